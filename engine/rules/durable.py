"""The one module that talks to durable-rules (its C core, ``durable_rules_engine``).

It is driven through the C API directly, not through ``durable.lang``/``Host``, because:

* ``Host`` runs actions on background timer threads, so a caller cannot tell when
  evaluation is complete (DURABLE_RULES_NOTES pitfall 4). Here every pending action is
  drained synchronously after each batch, so a batch is complete when ``decide`` returns.
* The engine is asked about each distinct subject once (``decide``): rules test one subject
  each, so subjects that show the engine the same values get the same answer.
* Facts carry only numbers and booleans plus our own sequence ``id`` (0…CHUNK−1, proven
  free of 32-bit hash collisions below — pitfall 2); no rule joins on ``id``/``sid``
  (pitfall 1) — rules here test one fact each; no user text ever reaches the C parser.
* A fact that matches no rule returns code 1 (not handled) and is simply not stored
  (pitfall 3); code 2 (already observed) can only mean a collision and is raised.
* ``$neq`` is emitted, never ``$ne`` (pitfall 5). Each batch's facts are retracted once
  its actions are drained, so memory stays bounded (pitfall 7) and nothing carries over.
  ``delete_state`` is never called: it aborted with "double free or corruption" here
  (its ``deleteStateNode`` frees buffers of the internal state fact), while retracting
  ran clean under valgrind.

Native crashes are contained one level up: ``engine.evaluation.workers`` runs this in worker processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from engine.domain.errors import EvaluationError
from engine.rules.catalogue import Rule
from engine.rules.terms import TERMS

CHUNK = 1000
KINDS = {"case": 1, "process": 2, "officer": 3, "officer_applicant": 4, "agency": 5}  # as the engine tells them apart
_SID = "p"
_OPS = {"eq": None, "neq": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


def fnv1_32(text: str) -> int:
    """durable-rules' ``fnv1Hash32`` (state.c), used to key stored facts."""
    h = 0x811C9DC5
    for byte in text.encode():
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def ids_are_collision_free(n: int) -> bool:
    """Stored facts are keyed by the 32-bit hash of their id text (state.c ``storeMessage``)."""
    return len({fnv1_32(str(i)) for i in range(n)}) == n


assert ids_are_collision_free(CHUNK), "fact ids of one batch must hash apart"


@dataclass(frozen=True)
class Action:
    rule_id: str
    severity: str
    variant: int  # 0 = the rule itself, i ≥ 1 = its i-th severity variant


@dataclass
class CompiledRules:
    """Rules and parameter values compiled into one durable-rules ruleset definition."""

    definition: dict[str, Any]
    actions: dict[str, Action]
    attributes: dict[str, list[str]]  # fact kind -> attributes the rules read
    name: str = ""
    _handle: int | None = field(default=None, repr=False)

    def handle(self) -> int:
        """Create the ruleset in this process on first use (after a worker has forked)."""
        if self._handle is None:
            import durable_rules_engine

            self._handle = durable_rules_engine.create_ruleset(self.name, json.dumps(self.definition))
        return self._handle


def _operand(value: Any) -> Any:
    return value.toordinal() if isinstance(value, dt.date) else value


def compile_condition(cond: dict[str, Any], params: dict[str, Any], optional: dict[str, bool],
                      used: set[str]) -> dict[str, Any]:
    """A rule condition (rules/*.yaml) as a durable-rules expression."""
    (key, value), = cond.items()
    if key in ("all", "any"):
        parts = [compile_condition(c, params, optional, used) for c in value]
        return {"$and" if key == "all" else "$or": parts}
    used.add(key)
    tests = value if isinstance(value, dict) else {"eq": value}
    parts = []
    for op, operand in tests.items():
        if isinstance(operand, str) and operand.startswith("$"):
            operand = params[operand[1:]]
        operand = _operand(operand)
        if op == "exists":
            parts.append({"$ex" if operand else "$nex": {key: 1}})
            continue
        test = {key: operand} if _OPS[op] is None else {_OPS[op]: {key: operand}}
        # an absent attribute never satisfies a comparison: say so instead of trusting the engine
        parts.append({"$and": [{"$ex": {key: 1}}, test]} if optional[key] else test)
    return parts[0] if len(parts) == 1 else {"$and": parts}


def compile_rules(rules: Iterable[Rule], params: dict[str, Any]) -> CompiledRules:
    definition: dict[str, Any] = {}
    actions: dict[str, Action] = {}
    attributes: dict[str, set[str]] = {}
    for n, rule in enumerate(rules):
        optional = TERMS[rule.fact_kind].conditions()
        used = attributes.setdefault(rule.fact_kind, set())
        if rule.applies_to is not None:  # counted per engine key (evaluate.py): the key must show them
            compile_condition(rule.applies_to, params, optional, used)
        variants = [(rule.when, rule.severity)] + [
            ({"all": [rule.when, v.when]}, v.severity) for v in rule.severity_when]
        for i, (when, severity) in enumerate(variants):
            name = f"r{n}v{i}"
            expr = compile_condition(when, params, optional, used)
            definition[name] = {"all": [{"m": {"$and": [{"k": KINDS[rule.fact_kind]}, expr]}}]}
            actions[name] = Action(rule.rule_id, severity, i)
    text = json.dumps(definition, sort_keys=True)
    compiled = CompiledRules(definition, actions, {k: sorted(v) for k, v in attributes.items()})
    compiled.name = "discretion-" + hashlib.sha1(text.encode()).hexdigest()[:16]
    return compiled


Key = tuple[Any, ...]  # (subject kind, the values of the attributes the rules read of that kind)
Answers = dict[Key, tuple[Action, ...]]


def engine_key(kind: str, terms: dict[str, Any], attributes: dict[str, list[str]]) -> Key | None:
    """What the rules engine sees of a subject: its kind and the values of the attributes the
    rules read (None = absent; ``terms``: the subject's terms by name); None for a kind no rule reads."""
    names = attributes.get(kind)
    if names is None:
        return None
    return (kind, *map(terms.get, names))


def _engine_fact(key: Key, seq: int, attributes: dict[str, list[str]]) -> dict[str, Any]:
    kind = key[0]
    out: dict[str, Any] = {"sid": _SID, "id": seq, "k": KINDS[kind]}
    for name, value in zip(attributes[kind], key[1:]):
        if value is None:
            continue
        if value.__class__ is not bool and value.__class__ is not int:
            raise EvaluationError(f"the {kind} term {name} is {value!r}; only numbers and true/false reach "
                                  "the rules engine")
        out[name] = value
    return out


def decide(compiled: CompiledRules, keys: list[Key | None], known: Answers | None = None) -> Answers:
    """Ask durable-rules which rules fire on each distinct key of ``keys`` not in ``known``, and
    return the answers of every key so far (``known``, extended): per key, the actions fired
    (of a rule with severity variants, the most specific).

    Every rule tests one subject (no joins), so the engine's answer for a subject depends only
    on what it sees of it (``engine_key``): the engine is asked once per distinct key, batch by
    batch, each batch complete when it returns.
    """
    known = {} if known is None else known
    asked = list(dict.fromkeys(k for k in keys if k is not None and k not in known))
    return _ask(compiled, asked, known)


def decide_each(compiled: CompiledRules, keys: list[Key]) -> list[tuple[Action, ...]]:
    """The actions the engine fires on each key, asked once per key as it comes (repeats too):
    what ``decide`` answers once per distinct key (the tests compare the two)."""
    answers = _ask(compiled, [(i, k) for i, k in enumerate(keys)], {}, positions=True)
    return [answers[(i, k)] for i, k in enumerate(keys)]


def _ask(compiled: CompiledRules, asked: list[Any], known: Answers, positions: bool = False) -> Answers:
    import durable_rules_engine as dre

    attributes = compiled.attributes
    handle = compiled.handle()
    fired: dict[Any, dict[str, Action]] = {}
    for start in range(0, len(asked), CHUNK):
        chunk = asked[start:start + CHUNK]
        payload = [_engine_fact(k[1] if positions else k, i, attributes) for i, k in enumerate(chunk)]
        for i, action in _run_batch(dre, handle, compiled, payload):
            by_rule = fired.setdefault(chunk[i], {})
            seen = by_rule.get(action.rule_id)
            if seen is None or action.variant > seen.variant:  # a severity variant is more specific
                by_rule[action.rule_id] = action
    known.update((key, tuple(fired[key].values()) if key in fired else ()) for key in asked)
    return known


def _run_batch(dre: Any, handle: int, compiled: CompiledRules, payload: list[dict[str, Any]],
               ) -> list[tuple[int, Action]]:
    """The (position in the batch, action) pairs durable-rules fires on a batch of facts."""
    try:
        code, _ = dre.assert_facts(handle, orjson.dumps(payload).decode())
    except Exception as exc:  # the C core raises plain exceptions carrying an error number
        raise EvaluationError(f"durable-rules rejected a batch of {len(payload)} facts: {exc}") from exc
    if code == 2:
        raise EvaluationError("durable-rules reported a fact as already observed: a fact id collided "
                              f"in a batch of {len(payload)}")
    matches: list[tuple[int, Action]] = []
    result = dre.start_action(handle)
    while result:
        _, message, state_handle = result
        while message:
            for action_name, frame in orjson.loads(message).items():
                matches.append((frame["m"]["id"], compiled.actions[action_name]))
            message = dre.complete_and_start_action(handle, state_handle)
        result = dre.start_action(handle)
    # Retract rather than delete the state: deleteStateNode frees memory it does not own
    # ("double free or corruption", reproduced), while retracting returns each fact's slot.
    dre.retract_facts(handle, json.dumps([{"sid": _SID, "id": i} for i in range(len(payload))]))
    return matches
