"""The term registry: every fact a rule may test, and every value its messages quote, is one
registered function of its subject — its docstring the SPEC sentence it implements, with an
example that the test suite runs (``tests/test_terms.py``).

A *subject* (a case, a process, an officer, an officer–applicant pair, an agency) is seen at
``as_of`` as an object whose attributes are its terms, each computed on first use and kept:
a term reads the record (``s.row``), the run's context (``s.run``), the subject's parameter
values (``s.limits``, with their sources in ``s.params``) and other terms (``s.decided_on``).

A term annotated ``-> bool`` or ``-> int`` (``| None`` when it may not apply) is a *condition*:
a rule's ``when`` may test it, and the rules engine sees its value. Any other term is a
*value*: messages and evidence quote it, and it is computed only for a subject a rule flags.

Everything that describes terms — the vocabulary rules are checked against, the Thai labels
of a rule's condition, the names a message may use — is read from here.
"""

from __future__ import annotations

import dis
import inspect
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter, setitem
from typing import Any, ClassVar

CONDITION_TYPES = {"bool": False, "int": False, "bool | None": True, "int | None": True}


@dataclass(frozen=True)
class Term:
    """One term of a subject kind."""

    name: str
    kind: str  # the subject kind: case, process, officer, officer_applicant, agency
    compute: Callable[[Any], Any]
    label_th: str
    label_en: str
    condition: bool  # a number or yes/no that a rule's condition may test
    optional: bool  # may not apply (None): only ``exists`` and comparisons that need it
    doc: str  # the docstring: the SPEC sentence and its example
    # what the evaluation calls: ``compute`` itself, or, for a term that only reads an attribute
    # path of its subject (``return s.row.name``), the same read by ``operator.attrgetter``
    # (no Python frame: the run computes millions of them)
    fast: Callable[[Any], Any]

    @property
    def definition(self) -> str:
        """The docstring's text before its example (the SPEC sentence)."""
        text = self.doc.split(">>>", 1)[0]
        return " ".join(line.strip() for line in text.strip().splitlines() if line.strip()
                        and not line.strip().startswith("Example"))


class Subject:
    """One subject of a run at ``as_of``: its terms are its attributes, each computed on first
    use (``__getattr__`` runs only for a name not computed yet) and kept in ``__dict__``."""

    kind: ClassVar[str]
    terms: ClassVar[Terms]
    given: ClassVar[tuple[str, ...]] = ()  # attributes set when made that messages may quote, besides terms
    applicant: str | None = None  # only an officer–applicant pair has one

    id: str
    agency: str

    def __getattr__(self, name: str) -> Any:
        term = self.terms.by_name.get(name) if name[0] != "_" else None
        if term is None:
            raise AttributeError(f"a {self.kind} has no term '{name}'")
        value = self.__dict__[name] = term.compute(self)
        return value

    def compute(self, plan: list[tuple[str, Callable[[Any], Any]]]) -> dict[str, Any]:
        """Compute the terms of ``plan`` (``Terms.plan``: each after the terms it reads) and return
        the subject's terms so far, by name."""
        done = self.__dict__
        for name, compute in plan:
            done[name] = compute(self)
        return done

    @staticmethod
    def compute_all(subjects: list[Subject], plan: list[tuple[str, Callable[[Any], Any]]]) -> None:
        """``compute`` for several subjects of one kind, term by term: the same values, with the
        loops in C (``map``) — the run computes tens of millions of terms. Best for a few hundred
        subjects at a time, whose dictionaries stay in the processor's cache."""
        dicts = [s.__dict__ for s in subjects]
        for name, compute in plan:
            deque(map(setitem, dicts, repeat(name), map(compute, subjects)), 0)

    def value(self, name: str) -> Any:
        """A term's value; for a name that is not a term, the parameter of that name."""
        try:
            return getattr(self, name)
        except AttributeError:
            return self.limits[name]


class Terms:
    """The terms of one subject kind, in the order they are defined."""

    def __init__(self, kind: str):
        self.kind = kind
        self.by_name: dict[str, Term] = {}

    def term(self, label_th: str, label_en: str | None = None, name: str | None = None,
             ) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
        """Register a function as the term of its name (or ``name``; see the module's docstring)."""

        def register(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
            term_name = name or compute.__name__
            if term_name in self.by_name:
                raise ValueError(f"term '{term_name}' of a {self.kind} is defined twice")
            returns = inspect.signature(compute).return_annotation
            returns = returns if isinstance(returns, str) else getattr(returns, "__name__", str(returns))
            doc = inspect.getdoc(compute) or ""
            if not doc:
                raise ValueError(f"term '{term_name}' of a {self.kind} has no docstring")
            path = _attribute_path(compute)
            self.by_name[term_name] = Term(term_name, self.kind, compute, label_th,
                                           label_en or term_name.replace("_", " "),
                                           returns in CONDITION_TYPES, CONDITION_TYPES.get(returns, True), doc,
                                           attrgetter(path) if path else compute)
            return compute

        return register

    def __iter__(self) -> Iterator[Term]:
        return iter(self.by_name.values())

    def conditions(self) -> dict[str, bool]:
        """The names a rule's condition may test -> whether the term may not apply."""
        return {t.name: t.optional for t in self if t.condition}

    def counts_on_calendar(self, names: set[str] | frozenset[str]) -> bool:
        """Whether any of ``names``, or a term they read (transitively), counts days on the
        government calendar (its code reads ``.calendar``)."""
        seen: set[str] = set()
        todo = [n for n in names if n in self.by_name]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if "calendar" in _names_in(self.by_name[name].compute.__code__):
                return True
            todo.extend(self.reads(name))
        return False

    def reads(self, name: str) -> set[str]:
        """The terms a term reads (``s.other`` in its code, comprehensions included)."""
        compute = self.by_name[name].compute
        return {n for n in _attributes_of_first_argument(compute.__code__) if n in self.by_name}

    def plan(self, names: set[str] | frozenset[str]) -> list[tuple[str, Callable[[Any], Any]]]:
        """The terms to compute so that ``names`` are known — they and the terms they read,
        transitively — each after the terms it reads (then each is computed once)."""
        order: list[str] = []
        placed: set[str] = set()

        def place(name: str, path: tuple[str, ...]) -> None:
            if name in placed:
                return
            if name in path:
                raise ValueError(f"terms of a {self.kind} read each other in a circle: {' -> '.join(path + (name,))}")
            for dependency in sorted(self.reads(name)):
                place(dependency, path + (name,))
            placed.add(name)
            order.append(name)

        for name in sorted(n for n in names if n in self.by_name):
            place(name, ())
        return [(name, self.by_name[name].fast) for name in order]


def _names_in(code: Any) -> set[str]:
    """Every name a function's code (and the code it defines) loads."""
    out = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            out |= _names_in(const)
    return out


def _attribute_path(compute: Callable[[Any], Any]) -> str | None:
    """``"row.name"`` when a function's whole body is ``return s.row.name`` (``s`` its argument)."""
    code = compute.__code__
    steps = [i for i in dis.get_instructions(code) if i.opname not in ("RESUME", "NOP", "CACHE")]
    if (code.co_argcount == 1 and len(steps) >= 3 and steps[0].opname == "LOAD_FAST" and steps[0].arg == 0
            and steps[-1].opname == "RETURN_VALUE" and all(i.opname == "LOAD_ATTR" for i in steps[1:-1])):
        return ".".join(i.argval for i in steps[1:-1])
    return None


def _attributes_of_first_argument(code: Any, subject: str | None = None) -> set[str]:
    """The attribute names read from a function's first argument (``s.name``), in its code and in
    the code of the comprehensions and functions it defines (where that argument is a free variable)."""
    subject = subject or code.co_varnames[0]
    found: set[str] = set()
    loads_subject = False
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_ATTR", "LOAD_METHOD") and loads_subject:
            found.add(instruction.argval)
        loads_subject = instruction.opname in ("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE") and \
            instruction.argval == subject
    for const in code.co_consts:
        if hasattr(const, "co_code") and subject in const.co_freevars:
            found |= _attributes_of_first_argument(const, subject)
    return found
