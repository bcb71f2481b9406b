"""Rule definitions: ``rules/*.yaml`` loaded, checked against the KB and the term registry.

A rule's condition is data: ``all``/``any`` of tests of its subject's terms (the conditions of
``engine/rules/terms/<subject>.py``), each ``$name`` a parameter of the knowledge base; its
messages and evidence name terms, parameters and the flag's own ``id``, ``agency``, ``as_of``,
``measure`` and ``rule_id``. ``engine/rules/durable.py`` compiles conditions into durable-rules
rulesets.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.domain.errors import DefinitionError, DefinitionProblem, did_you_mean
from engine.kb.knowledge import KnowledgeBase, load_kb
from engine.kb.resources import data_dir
from engine.kb.yamlfile import LocatedYaml
from engine.rules.terms import SUBJECTS, TERMS, label_th

SUBJECT_TYPES = ("case", "process", "officer", "agency")
COMMON_NAMES = ("id", "agency", "as_of", "measure", "rule_id")  # what every flag can say of itself
# what a duty's warning can say besides: its due day, the working days left, and those in words
DUTY_NAMES = frozenset({"due", "working_days_left", "left_th", "left_en"})
# and, for a duty whose term lists things each due on its own day (a confirmed flag's corrective
# action), the flag it is: its id, its rule, and its subject in words ("เรื่อง C1" / "case C1")
DUTY_ITEM_NAMES = frozenset({"flag_id", "flag_rule_id", "flagged_th", "flagged_en"})
OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "exists")
Severity = Literal["high", "medium", "low"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

class SeverityVariant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    when: dict[str, Any]
    severity: Severity


class Duty(BaseModel):
    """What a rule prevents: the term giving the day an open duty is due (a date, or None when no
    duty is open), and what a warning says before that day (``{due:date}``, ``{working_days_left}``,
    ``{left_th}``/``{left_en}`` — "today is the last day" or the working days left — and the rule's
    own names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    term: str
    message_th: str
    message_en: str


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rule_id: str = Field(pattern=r"^\d\.\d-[a-z0-9-]+$")
    measure: str
    subject: Literal["case", "process", "officer", "agency"]
    fact: Literal["case", "process", "officer", "officer_applicant", "agency"] | None = None
    severity: Severity
    severity_when: list[SeverityVariant] = []
    parameters: list[str]
    legal_references: list[str] = []
    title_th: str
    title_en: str
    when: dict[str, Any]
    # the facts of its kind the rule concerns (default: all of them): what "evaluated" means in
    # a run's per-agency counts and so in the self-assessment's "not assessed — no data".
    # Same form as ``when``, literal operands only; evaluated in Python (``holds``), not by
    # the rules engine, and never a reason to flag.
    applies_to: dict[str, Any] | None = None
    message_th: str
    message_en: str
    evidence: list[str]
    # evaluated only in store runs: the rule reads the review workflow (SPEC §3, 1.8)
    store_only: bool = False
    # the duty whose lateness the rule flags, warned of before it is due (``discretion-review due``)
    duty: Duty | None = None
    source: str = ""  # file:line, set by the loader

    @property
    def fact_kind(self) -> str:
        return self.fact or self.subject


class RuleCatalogue:
    """Every rule, in a stable order (by measure, then file order)."""

    def __init__(self, rules: list[Rule], kb: KnowledgeBase):
        self.kb = kb
        order = {m: i for i, m in enumerate(kb.measure_ids())}
        def position(r: Rule) -> tuple[int, str, int]:
            file, _, line = r.source.rpartition(":")
            return order[r.measure], file, int(line or 0)

        self.rules = sorted(rules, key=position)
        self.by_id = {r.rule_id: r for r in self.rules}

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def select(self, rule_ids: list[str] | None) -> RuleCatalogue:
        if not rule_ids:
            return self
        unknown = [r for r in rule_ids if r not in self.by_id]
        if unknown:
            from engine.domain.errors import UsageError
            raise UsageError(f"unknown rule '{unknown[0]}'{did_you_mean(unknown[0], self.by_id)}")
        return RuleCatalogue([self.by_id[r] for r in rule_ids], self.kb)


def _check_condition(cond: Any, kind: str, params: set[str], used: set[str], path: tuple[Any, ...],
                     doc: LocatedYaml, problems: list[DefinitionProblem]) -> None:
    attrs = TERMS[kind].conditions()
    if not isinstance(cond, dict) or len(cond) != 1:
        problems.append(doc.problem(path, "a condition is a mapping with exactly one key: all, any or an attribute"))
        return
    (key, value), = cond.items()
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            problems.append(doc.problem(path + (key,), f"'{key}' takes a non-empty list of conditions"))
            return
        for i, sub in enumerate(value):
            _check_condition(sub, kind, params, used, path + (key, i), doc, problems)
        return
    if key not in attrs:
        problems.append(doc.problem(path + (key,), f"unknown attribute '{key}' of a {kind} fact"
                                    f"{did_you_mean(key, attrs)}"))
        return
    tests = value if isinstance(value, dict) else {"eq": value}
    for op, operand in tests.items():
        if op not in OPERATORS:
            problems.append(doc.problem(path + (key, op), f"unknown operator '{op}'{did_you_mean(op, OPERATORS)}; "
                                        f"use one of {', '.join(OPERATORS)}"))
            continue
        if isinstance(operand, str) and operand.startswith("$"):
            name = operand[1:]
            if name not in params:
                problems.append(doc.problem(path + (key, op), f"unknown parameter '{name}'{did_you_mean(name, params)}"))
            used.add(name)
        elif op == "exists" and not isinstance(operand, bool):
            problems.append(doc.problem(path + (key, op), "exists takes true or false"))
        elif not isinstance(operand, (bool, int)):
            problems.append(doc.problem(path + (key, op), f"operand must be a number, true/false or $parameter, not {operand!r}"))


def _check_rule(rule: Rule, kb: KnowledgeBase, path: tuple[Any, ...], doc: LocatedYaml,
                problems: list[DefinitionProblem]) -> None:
    if rule.measure not in kb.measure_ids():
        problems.append(doc.problem(path + ("measure",), f"unknown measure '{rule.measure}'"
                                    f"{did_you_mean(rule.measure, kb.measure_ids())}"))
    if not rule.rule_id.startswith(rule.measure + "-"):
        problems.append(doc.problem(path + ("rule_id",), f"rule id must start with its measure '{rule.measure}-'"))
    if rule.fact_kind == "officer_applicant" and rule.subject != "officer":
        problems.append(doc.problem(path + ("subject",), "an officer_applicant fact has subject officer"))
    params = set(kb.parameters)
    for name in rule.parameters:
        if name not in params:
            problems.append(doc.problem(path + ("parameters",), f"unknown parameter '{name}'{did_you_mean(name, params)}"))
    used: set[str] = set()
    _check_condition(rule.when, rule.fact_kind, params, used, path + ("when",), doc, problems)
    for i, variant in enumerate(rule.severity_when):
        _check_condition(variant.when, rule.fact_kind, params, used, path + ("severity_when", i, "when"), doc, problems)
    if rule.applies_to is not None:
        applies_used: set[str] = set()
        _check_condition(rule.applies_to, rule.fact_kind, params, applies_used, path + ("applies_to",), doc, problems)
        if applies_used:
            problems.append(doc.problem(path + ("applies_to",), "applies_to compares with literal values only, "
                                        f"not parameters ({', '.join(sorted(applies_used))})"))
    for name in sorted(used & params):
        if kb.parameters[name].overridable != "no" or kb.parameters[name].type != "int":
            # one compiled ruleset serves every subject: a value that differs per agency or
            # process is compared in a term instead
            problems.append(doc.problem(path + ("when",), f"'${name}' may differ per agency or process "
                                        "(or is not a number); compare it in a term (engine/rules/terms), not in a "
                                        "condition"))
    undeclared = sorted(used - set(rule.parameters))
    if undeclared:
        problems.append(doc.problem(path + ("parameters",), f"condition uses undeclared parameter(s): {', '.join(undeclared)}"))
    refs = {r.id for r in kb.legal_references}
    for ref in rule.legal_references:
        if ref not in refs:
            problems.append(doc.problem(path + ("legal_references",), f"unknown legal reference '{ref}'{did_you_mean(ref, refs)}"))
    allowed = set(COMMON_NAMES) | set(TERMS[rule.fact_kind].by_name) | set(SUBJECTS[rule.fact_kind].given) | params
    for field in ("message_th", "message_en"):
        for _, name, _, _ in string.Formatter().parse(getattr(rule, field)):
            if name is not None and name not in allowed:
                problems.append(doc.problem(path + (field,), f"unknown placeholder '{{{name}}}'{did_you_mean(name, allowed)}"))
    for name in rule.evidence:
        if name not in allowed:
            problems.append(doc.problem(path + ("evidence",), f"unknown evidence field '{name}'{did_you_mean(name, allowed)}"))
    if rule.duty is not None:
        terms = TERMS[rule.fact_kind].by_name
        if rule.duty.term not in terms:
            problems.append(doc.problem(path + ("duty", "term"), f"unknown term '{rule.duty.term}' of a "
                                        f"{rule.fact_kind}{did_you_mean(rule.duty.term, terms)}"))
        for field in ("message_th", "message_en"):
            for _, name, _, _ in string.Formatter().parse(getattr(rule.duty, field)):
                if name is not None and name not in allowed | DUTY_NAMES | DUTY_ITEM_NAMES:
                    problems.append(doc.problem(path + ("duty", field), f"unknown placeholder '{{{name}}}'"
                                                f"{did_you_mean(name, allowed)}"))


_TESTS = {"eq": lambda a, b: a == b, "neq": lambda a, b: a != b, "gt": lambda a, b: a > b,
          "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


def matcher(cond: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    """A condition with literal operands (``applies_to``) as a function of a fact, built once
    per rule so that counting costs a few look-ups per fact. An absent attribute meets only
    ``exists: false``, as in the rules engine."""
    (key, value), = cond.items()
    if key in ("all", "any"):
        parts = [matcher(c) for c in value]
        join = all if key == "all" else any
        return lambda fact: join(p(fact) for p in parts)
    tests = list((value if isinstance(value, dict) else {"eq": value}).items())
    if len(tests) == 1 and tests[0][0] == "eq":
        operand = tests[0][1]
        return lambda fact: key in fact and fact[key] == operand

    def check(fact: dict[str, Any]) -> bool:
        present = key in fact
        for op, operand in tests:
            if op == "exists":
                if present != operand:
                    return False
            elif not present or not _TESTS[op](fact[key], operand):
                return False
        return True
    return check


def holds(cond: dict[str, Any], fact: dict[str, Any]) -> bool:
    """Whether a fact meets a condition with literal operands (see ``matcher``)."""
    return matcher(cond)(fact)


_OPS_TEXT = {"eq": "=", "neq": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}


def _compound(cond: dict[str, Any]) -> bool:
    """More than one test, so that inside another all/any it needs parentheses."""
    (key, value), = cond.items()
    return len(value) > 1 if key in ("all", "any") or isinstance(value, dict) else False


def describe_condition(cond: dict[str, Any], lang: str, params: dict[str, Any]) -> str:
    """A rule's condition in words, for people (Thai or English)."""
    from engine.domain.thai import format_date

    (key, value), = cond.items()
    if key in ("all", "any"):
        joiner = {"all": (" และ ", " and "), "any": (" หรือ ", " or ")}[key][lang != "th"]
        return joiner.join(f"({describe_condition(c, lang, params)})" if _compound(c)
                           else describe_condition(c, lang, params) for c in value)
    label = label_th(key) if lang == "th" else key.replace("_", " ")
    tests = value if isinstance(value, dict) else {"eq": value}
    out = []
    for op, operand in tests.items():
        if op == "exists":
            out.append((f"มีข้อมูล{label}" if operand else f"ไม่มีข้อมูล{label}") if lang == "th"
                       else (f"{label} is known" if operand else f"no {label}"))
            continue
        if isinstance(operand, bool):
            yes = operand == (op == "eq")
            out.append(f"{label}: {'ใช่' if yes else 'ไม่ใช่'}" if lang == "th" else (label if yes else f"not {label}"))
            continue
        if isinstance(operand, str) and operand.startswith("$"):
            name = operand[1:]
            shown = params[name]
            if lang == "th":  # the value in words (365 วัน), never the parameter's code inside Thai
                parameter = load_kb().parameters.get(name)
                operand = parameter.amount(shown, "th") if parameter and not hasattr(shown, "isoformat") \
                    else format_date(shown, lang) if hasattr(shown, "isoformat") else shown
                out.append(f"{label} {_OPS_TEXT[op]} {operand}")
                continue
            shown = format_date(shown, lang) if hasattr(shown, "isoformat") else shown
            operand = f"{shown} ({name})"
        out.append(f"{label} {_OPS_TEXT[op]} {operand}")
    return (" และ " if lang == "th" else " and ").join(out)


def load_rules(folder: Path | None = None, kb: KnowledgeBase | None = None) -> RuleCatalogue:
    """Load every ``*.yaml`` of the rules folder; raise ``DefinitionError`` listing all problems."""
    folder = folder or data_dir("rules")
    kb = kb or load_kb()
    problems: list[DefinitionProblem] = []
    rules: list[Rule] = []
    first_seen: dict[str, str] = {}
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise DefinitionError([DefinitionProblem(str(folder), None, "", "no rule files (*.yaml) found")])
    for file in files:
        doc = LocatedYaml(file)
        entries = doc.data.get("rules") if isinstance(doc.data, dict) else None
        if not isinstance(entries, list):
            problems.append(doc.problem((), "a rule file has a top-level 'rules:' list"))
            continue
        for i, entry in enumerate(entries):
            path = ("rules", i)
            where = f"{file.name}:{doc.line(path)}"
            try:
                rule = Rule.model_validate({**entry, "source": where} if isinstance(entry, dict) else entry)
            except ValidationError as exc:
                problems.extend(doc.problems_from(exc, path))
                continue
            if rule.rule_id in first_seen:
                problems.append(doc.problem(path + ("rule_id",), f"duplicate rule id '{rule.rule_id}' "
                                            f"(first defined at {first_seen[rule.rule_id]})"))
                continue
            first_seen[rule.rule_id] = where
            _check_rule(rule, kb, path, doc, problems)
            rules.append(rule)
    if problems:
        raise DefinitionError(problems)
    return RuleCatalogue(rules, kb)


@lru_cache(maxsize=1)
def default_catalogue() -> RuleCatalogue:
    return load_rules()


class RuleFile(BaseModel):
    """A file of ``rules/``: its rules."""

    model_config = ConfigDict(extra="forbid")
    rules: list[Rule]


def rule_file_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file, from the pydantic model the loader validates with
    (``rules/schema.json`` is this, checked by the test suite)."""
    schema = RuleFile.model_json_schema()
    schema["$defs"]["Rule"]["properties"].pop("source", None)  # set by the loader, never written
    schema["title"] = "discretion-review rule file"
    return schema


def explain(rule: Rule, kb: KnowledgeBase, lang: str = "th") -> str:
    """A rule as a maintainer reads it: what it flags, its condition in words, and each term it
    tests, quotes or keeps as evidence with its definition (the term's docstring) and where the
    term is written; each parameter with its value and source."""
    th = lang == "th"
    terms = TERMS[rule.fact_kind]
    measure = kb.measure(rule.measure)
    params = kb.defaults()
    out = [f"{rule.rule_id} — {rule.title_th if th else rule.title_en}",
           f"{'มาตรการข้อ' if measure.kind == 'measure' else 'แนวทางข้อ'} {rule.measure}: {measure.title_th}"
           if th else f"{measure.kind} {rule.measure}: {measure.title_en}",
           f"subject: {rule.subject}" + (f" ({rule.fact_kind})" if rule.fact else "") + f"; severity: {rule.severity}"
           + "".join(f"; {v.severity} when {describe_condition(v.when, lang, params)}" for v in rule.severity_when),
           f"defined at rules/{rule.source}", "",
           ("เงื่อนไข: " if th else "flags when: ") + describe_condition(rule.when, lang, params)]
    if rule.applies_to is not None:
        out.append(("ใช้กับ: " if th else "applies to: ") + describe_condition(rule.applies_to, lang, params))
    tested: list[str] = []
    _names(rule.when, tested)
    for variant in rule.severity_when:
        _names(variant.when, tested)
    if rule.applies_to is not None:
        _names(rule.applies_to, tested)
    module = SUBJECTS[rule.fact_kind].__module__.replace(".", "/") + ".py"
    out += ["", ("คำที่ใช้ในเงื่อนไข" if th else "terms tested") + f" ({module}):"]
    out += [_term_line(terms.by_name[n], th) for n in dict.fromkeys(tested)]
    quoted = [n for n in dict.fromkeys(_template_names(rule.message_th) + _template_names(rule.message_en)
                                       + list(rule.evidence)) if n in terms.by_name and n not in tested]
    if quoted:
        out += ["", ("ข้อความและหลักฐาน" if th else "quoted in its messages and evidence") + ":"]
        out += [_term_line(terms.by_name[n], th) for n in quoted]
    if rule.parameters:
        out += ["", ("ค่าที่ใช้" if th else "parameters") + ":"]
        for name in rule.parameters:
            p = kb.parameters[name]
            out.append(f"  {name} = {params[name]} ({p.basis}; {p.source_th if th else p.source_en}; "
                       f"{'แก้ได้ระดับ ' + p.overridable if th else 'overridable: ' + p.overridable})")
    return "\n".join(out)


def _names(cond: dict[str, Any], out: list[str]) -> None:
    (key, value), = cond.items()
    if key in ("all", "any"):
        for sub in value:
            _names(sub, out)
    else:
        out.append(key)


def _template_names(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def _term_line(term: Any, th: bool) -> str:
    return f"  {term.name} — {term.label_th if th else term.label_en}: {term.definition}"
