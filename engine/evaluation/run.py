"""Evaluate a dataset at ``as_of``: split it into parts (per agency, and a large agency's cases in
slices), see each part's subjects through their terms, ask the rules engine which rules fire,
word the flags, and hand them back per agency in a fixed order.

Parts run in forked worker processes (``workers``): the rules engine's C core never runs in
the caller's process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any

from engine.domain.calendar import GovernmentCalendar
from engine.domain.calendar import today
from engine.domain.errors import EvaluationError
from engine.domain.models import Dataset
from engine.evaluation import workers
from engine.evaluation.flags import LINE_JSON, Flag, FlagLine, line_order
from engine.evaluation.render import FlagRenderer
from engine.gcpause import paused_gc
from engine.kb.knowledge import ParamValue
from engine.rules import durable
from engine.rules.catalogue import Rule, RuleCatalogue, default_catalogue, matcher
from engine.rules.context import CorrectiveAction, RunContext, ascending
from engine.rules.terms import SUBJECTS, agency, case, officer, process
from engine.rules.terms.registry import Subject

ProgressFn = Callable[[str, int], None]  # (agency_id, subjects evaluated)

# A part of a run: one agency's subjects other than cases (lo = hi = -1), or a slice [lo, hi)
# of its cases. A large agency's cases span several parts, so that every core has work.
Part = tuple[str, int, int]


@dataclass
class RuleStats:
    evaluated: int = 0
    flagged: int = 0


@dataclass
class Evaluation:
    as_of: dt.date
    parameters: dict[str, Any]
    flags: list[Flag] = field(default_factory=list)
    stats: dict[str, RuleStats] = field(default_factory=dict)


# In a part's subject counts, the key of a rule's count of the subjects it applies to (rules with
# ``applies_to`` only); every other key is a subject kind.
APPLIES = "applies_to:"


def evaluated_subjects(rule: Rule, counts: Counter | dict[str, int]) -> int:
    """The subjects ``rule`` evaluated in a part (or a sum of parts): the subjects of its kind to
    which it applies (all of them unless the rule has ``applies_to``)."""
    if rule.applies_to is not None:
        return counts.get(APPLIES + rule.rule_id, 0)
    return counts.get(rule.fact_kind, 0)


def plan_parts(run: RunContext, slice_size: int) -> list[Part]:
    """The parts of a run, in agency order: each agency's other subjects, then its cases in
    slices of at most ``slice_size``."""
    parts: list[Part] = []
    for agency_id in run.agency_ids():
        parts.append((agency_id, -1, -1))
        n = len(run.cases_by_id.get(agency_id, ()))
        parts.extend((agency_id, lo, min(n, lo + slice_size)) for lo in range(0, n, slice_size))
    return parts


def part_subjects(run: RunContext, part: Part) -> Iterator[Subject]:
    """Every subject of one part: the agency, its processes, its officers (each with their
    applicants), or a slice of its cases (those received on or before as_of)."""
    agency_id, lo, hi = part
    if lo < 0:
        yield from agency.subjects(run, agency_id)
        yield from process.subjects(run, agency_id)
        yield from officer.subjects(run, agency_id)
        return
    yield from case.subjects(run, agency_id, lo, hi)


def describe(part: Part) -> str:
    agency_id, lo, hi = part
    return f"agency '{agency_id}'" + (f" (its cases {lo + 1:,}–{hi:,})" if lo >= 0 else "")


@dataclass
class _Job:
    """What every part of a run needs; workers inherit it when they fork."""

    run: RunContext
    catalogue: RuleCatalogue
    compiled: durable.CompiledRules
    renderer: FlagRenderer
    # subject kind -> the terms to compute (in order) for the rules engine to see what it reads
    plans: dict[str, list[tuple[str, Callable[[Any], Any]]]]
    computed: dict[str, frozenset[str]]  # subject kind -> the names of those terms
    # subject kind -> (applies_to as a function, the count keys of the rules that share it)
    applies: dict[str, list[tuple[Callable[[dict[str, Any]], bool], list[str]]]]
    keyed: bool = False  # lines carry their content key and links (FlagRenderer.keyed): store runs
    spool: workers.Spool | None = None  # only the lines are wanted (``check``): handed back through files
    # duties due soon are wanted: per subject kind, the rules with a duty and the terms their due days need
    duties: dict[str, tuple[list[Rule], list[tuple[str, Callable[[Any], Any]]]]] | None = None
    # the engine's answers per engine key: each worker fills its own copy across its parts. A part
    # retried alone after a crash starts from an empty one, so it asks about every key it has.
    answers: durable.Answers = field(default_factory=dict)

    def part(self, part: Part) -> tuple[Part, Any, Counter, set[int], list[dict[str, Any]]]:
        """A part's flags, a block per rule in ``line_order`` (or, spooled, where they are), its
        subject counts, the years (Buddhist Era) its counts went through on the calendar, and its
        duties due soon (when wanted)."""
        with paused_gc():  # subjects and flags form no cycles: see gcpause.py
            due: list[dict[str, Any]] = []
            by_rule, kinds = self._evaluate(part, due)
            blocks = _blocks(by_rule)
            years = set(self.run.calendar.years_counted)
            if self.spool is None:
                return part, blocks, kinds, years, due
            handle = self.spool.put([list(map(_LINE, rows)) for *_, rows in blocks])
            severities = [dict(Counter(map(_SEVERITY, rows))) for *_, rows in blocks]
            return part, ([(*key, s) for (*key, _), s in zip(blocks, severities)], handle), kinds, years, due

    def _evaluate(self, part: Part, due: list[dict[str, Any]]) -> tuple[dict[str, list[FlagLine]], Counter]:
        by_id, attributes = self.catalogue.by_id, self.compiled.attributes
        render, keyed = self.renderer.lines, self.renderer.keyed if self.keyed else None
        kinds: Counter = Counter()
        shapes: Counter = Counter()
        by_rule: dict[str, list[FlagLine]] = {}
        subjects = part_subjects(self.run, part)
        while batch := list(islice(subjects, _AT_ONCE)):  # a few thousand subjects in memory at a time
            kinds.update(s.kind for s in batch)
            for start in range(0, len(batch), _COMPUTED_TOGETHER):
                group = batch[start:start + _COMPUTED_TOGETHER]
                for kind in {s.kind for s in group}:
                    Subject.compute_all([s for s in group if s.kind == kind], self.plans.get(kind, []))
            keys = [durable.engine_key(s.kind, s.__dict__, attributes) for s in batch]
            answers = self.answers = durable.decide(self.compiled, keys, known=self.answers)
            shapes.update(filter(None, keys))  # a key is a non-empty tuple, or None
            flagged: dict[str, list[tuple[Subject, str]]] = {}  # per rule, in the order of the batch
            for subject, key in zip(batch, keys):
                if key is not None:
                    for action in answers[key]:
                        found = flagged.get(action.rule_id)
                        if found is None:
                            found = flagged[action.rule_id] = []
                        found.append((subject, action.severity))
            for rule_id, found in flagged.items():
                rule = by_id[rule_id]
                lines = render(rule, found, self.computed[rule.fact_kind])
                if keyed is not None:
                    lines = [keyed(line, subject) for line, (subject, _) in zip(lines, found)]
                by_rule.setdefault(rule_id, []).extend(lines)
            if self.duties is not None:
                due.extend(self._due_soon(batch))
        # rules with applies_to: counted per distinct engine key (the test reads only what the key shows)
        for key, n in shapes.items():
            tests = self.applies.get(key[0])
            if tests:
                shown = {name: v for name, v in zip(attributes[key[0]], key[1:]) if v is not None}
                for test, count_keys in tests:
                    if test(shown):
                        for count_key in count_keys:
                            kinds[count_key] += n
        return by_rule, kinds


    def _due_soon(self, batch: list[Subject]) -> Iterator[dict[str, Any]]:
        """The duties of ``batch`` due within warn_within_working_days and not yet late (SPEC's
        rules, prevented: each duty's due day is a term of the rule that flags it the day after)."""
        calendar, as_of, renderer = self.run.calendar, self.run.as_of, self.renderer
        by_kind: dict[str, list[Subject]] = {}
        for s in batch:
            by_kind.setdefault(s.kind, []).append(s)
        for kind, (rules, plan) in self.duties.items():
            subjects = by_kind.get(kind)
            if not subjects:
                continue
            Subject.compute_all(subjects, plan)
            for rule in rules:
                term = rule.duty.term
                for subject in subjects:
                    due = subject.__dict__[term]
                    if due is None:  # most subjects: no duty open
                        continue
                    # a day, or (a rule about many things of its subject: a confirmed flag's
                    # corrective action each) a list of items, each with its own due date
                    for day, item in ((due, None),) if due.__class__ is not list else [(x.due_date, x) for x in due]:
                        if day >= as_of:
                            left = calendar.working_days(as_of, day)
                            if left <= subject.limits["warn_within_working_days"]:
                                yield renderer.duty(rule, subject, day, left, item)


_AT_ONCE = 4000
_COMPUTED_TOGETHER = 200  # subjects whose terms are computed term by term (Subject.compute_all)
_SUBJECT, _SEVERITY, _LINE = itemgetter(4, 5), itemgetter(6), itemgetter(LINE_JSON)
# What a part hands back per rule: (measure, rule_id, subject_type, its lines in order)
Block = tuple[str, str, str, Any]


def _blocks(by_rule: dict[str, list[FlagLine]]) -> list[Block]:
    """A part's flags in ``line_order``, a block per rule. Each rule's lines come in the order of
    the part's subjects, which for cases is their id order already: sorted only if not."""
    out: list[Block] = []
    for lines in sorted(by_rule.values(), key=lambda lines: line_order(lines[0])):
        if not ascending(list(map(_SUBJECT, lines))):
            lines.sort(key=line_order)
        first = lines[0]
        out.append((first[1], first[2], first[3], lines))
    return out


def _counted(counts: Counter) -> int:
    return sum(n for k, n in counts.items() if not k.startswith(APPLIES))


def iter_partitions(ds: Dataset, as_of: dt.date, params: dict[str, Any],
                    catalogue: RuleCatalogue | None = None, jobs: int | None = None,
                    progress: ProgressFn | None = None, calendar: GovernmentCalendar | None = None,
                    corrective: dict[str, tuple[int, dt.date]] | None = None,
                    stored: dict[str, ParamValue] | None = None, lines_only: bool = False,
                    keyed: bool = False, failed: dict[str, str] | None = None,
                    calendar_years: set[int] | None = None, due: list[dict[str, Any]] | None = None,
                    only_cases: set[str] | None = None,
                    corrective_actions: dict[str, list[CorrectiveAction]] | None = None,
                    ) -> Iterator[tuple[str, list[Any], Counter]]:
    """Yield ``(agency_id, flag lines, subject counts)`` per agency, in agency order, the lines in
    ``line_order`` (``Flag.from_line`` makes a flag of one). The counts are by subject kind, and
    by rule (key ``APPLIES + rule_id``) for rules with ``applies_to``: read a rule's with
    ``evaluated_subjects``.

    With ``lines_only``, each agency's flags come as ``(rule_id, {severity: count}, lines)`` in
    the same order: their lines of JSON, a string per rule and part. With ``keyed`` (store runs),
    each line also carries its content key and links (``FlagRenderer.keyed``), worked out in the
    workers.

    ``params`` are the run's values (KB defaults with ``--set``); the dataset's ``parameters``
    rows refine them per agency and process. ``corrective`` (store runs only) feeds rule
    1.8-corrective-action-overdue: agency -> (overdue confirmed flags, oldest due date).
    ``stored`` (store runs only): values an administrator recorded, with their sources.
    ``corrective_actions`` (store runs): agency -> its confirmed flags' corrective actions, from
    which ``corrective`` is counted when not given, and whose coming due dates are duties.

    An agency whose evaluation fails — the rules engine crashes, or seeing its subjects or wording
    its flags raises — yields nothing. Without ``failed`` that ends the evaluation with
    ``EvaluationError`` naming the agency (``check``: exit 3, nothing written); with it, the
    agency's id and what went wrong are put in ``failed`` and the other agencies are evaluated
    (store runs: the run is partial).

    ``calendar_years``, when given, gets the years (Buddhist Era) the evaluation counted days
    through on the government calendar (``GovernmentCalendar.unchecked`` tells those not checked).
    ``due``, when given, gets the duties due soon (``FlagRenderer.duty`` rows), agency by agency.
    ``only_cases``, when given: of the cases, only these are subjects (every case is still read by
    the processes', officers' and agencies' terms): a post's evaluation of the cases it changed
    (engine/store/intake.py), whose other cases' flags stand.
    """
    catalogue = catalogue or default_catalogue()
    kb = catalogue.kb
    run = RunContext.build(ds, as_of, params, calendar, corrective, stored, corrective_actions)
    if only_cases is not None:
        run.cases_by_id = {a: [c for c in cases if c.case_id in only_cases] for a, cases in run.cases_by_id.items()}
    shared: dict[tuple[str, str], list[str]] = {}  # rules with the same applies_to test each subject once
    conditions: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in catalogue:
        if rule.applies_to is not None:
            key = (rule.fact_kind, repr(rule.applies_to))
            shared.setdefault(key, []).append(APPLIES + rule.rule_id)
            conditions[key] = rule.applies_to
    applies: dict[str, list[tuple[Callable[[dict[str, Any]], bool], list[str]]]] = {}
    for key, keys in shared.items():
        applies.setdefault(key[0], []).append((matcher(conditions[key]), keys))
    compiled = durable.compile_rules(catalogue, params)
    plans = {kind: SUBJECTS[kind].terms.plan(set(names)) for kind, names in compiled.attributes.items()}
    computed = {kind: frozenset(name for name, _ in plan) for kind, plan in plans.items()}
    computed.update((kind, frozenset()) for kind in SUBJECTS if kind not in computed)
    duties = None
    if due is not None:
        duties = {}
        for rule in catalogue:
            if rule.duty is not None and not (rule.store_only and run.corrective is None):
                duties.setdefault(rule.fact_kind, ([], set()))[0].append(rule)
                duties[rule.fact_kind][1].add(rule.duty.term)
        duties = {kind: (rules, [(n, f) for n, f in SUBJECTS[kind].terms.plan(names) if n not in computed[kind]])
                  for kind, (rules, names) in duties.items()}
    job = _Job(run, catalogue, compiled, FlagRenderer(kb, as_of, run.calendar), plans, computed, applies, keyed=keyed,
               spool=workers.Spool() if lines_only else None, duties=duties)
    jobs = max(1, jobs or os.cpu_count() or 1)
    parts = plan_parts(run, workers.slice_size(len(ds.cases), jobs))
    last_part = {part[0]: part for part in parts}  # the part that completes its agency
    # waves only for ``check``: a store run's time counts for more than its memory, and each wave
    # costs time (fresh workers fault their pages in again; one waits at a wave's end)
    cases = {agency_id: len(run.cases_by_id.get(agency_id, ())) for agency_id in run.agency_ids()}
    waves = workers.waves(parts, cases, run.agency_runs) if lines_only else [parts]
    try:
        yield from _gathered(job, waves, jobs, progress, lines_only, last_part, failed,
                             calendar_years if calendar_years is not None else set(), due)
    finally:
        if job.spool is not None:
            job.spool.close()


def _gathered(job: _Job, waves: list[list[Part]], jobs: int, progress: ProgressFn | None, lines_only: bool,
              last_part: dict[str, Part], failed: dict[str, str] | None, calendar_years: set[int],
              due: list[dict[str, Any]] | None) -> Iterator[tuple[str, list[Any], Counter]]:
    """Each agency's flags once its last part is in: each rule's flags from its parts in part
    order, which is their order (a part's cases come before the next part's in id order)."""
    kinds: Counter = Counter()
    groups: dict[tuple[str, str, str], list[Any]] = {}  # an agency's flags so far, per rule, in part order
    duties: list[dict[str, Any]] = []  # an agency's duties due soon so far

    def set_aside(part: Part) -> bool:
        return failed is not None and part[0] in failed

    with contextlib.closing(workers.run_parts(job.part, waves, jobs, set_aside)) as results:
        for part, result, error in results:
            if error is not None:
                if failed is None:
                    raise EvaluationError(f"{error} while evaluating {describe(part)}; nothing was written. "
                                          "Please report this with the dataset.")
                failed[part[0]] = error  # its later parts are not evaluated
                groups.clear()  # parts come in order: what is gathered is this agency's
                duties.clear()
                kinds = Counter()
                continue
            _, blocks, part_kinds, years, part_due = result
            calendar_years |= years
            duties.extend(part_due)
            if job.spool is not None:
                sized, handle = blocks
                blocks = [(*key, (severities, lines)) for (*key, severities), lines
                          in zip(sized, workers.Spool.take(handle))]
            for measure, rule_id, subject_type, payload in blocks:
                groups.setdefault((measure, rule_id, subject_type), []).append(payload)
            kinds.update(part_kinds)
            if progress:
                progress(part[0], _counted(part_kinds))
            if last_part[part[0]] != part:
                continue
            if lines_only:
                out: list[Any] = [(key[1], *payload) for key in sorted(groups) for payload in groups[key]]
            else:
                out = [line for key in sorted(groups) for payload in groups[key] for line in payload]
            if due is not None:
                due.extend(duties)
            yield part[0], out, kinds
            groups.clear()
            duties.clear()
            kinds = Counter()


def evaluate(ds: Dataset, as_of: dt.date | None = None, params: dict[str, Any] | None = None,
             catalogue: RuleCatalogue | None = None, jobs: int | None = None,
             progress: ProgressFn | None = None, calendar: GovernmentCalendar | None = None,
             corrective: dict[str, tuple[int, dt.date]] | None = None,
             corrective_actions: dict[str, list[CorrectiveAction]] | None = None) -> Evaluation:
    """Evaluate every rule of the catalogue over the dataset at ``as_of`` (default today).

    Without ``corrective`` or ``corrective_actions`` (a plain ``check``), store-only rules are
    not evaluated."""
    catalogue = catalogue or default_catalogue()
    as_of = as_of or today()
    params = params if params is not None else catalogue.kb.defaults()
    result = Evaluation(as_of, params, stats={r.rule_id: RuleStats() for r in catalogue})
    store = corrective is not None or corrective_actions is not None
    for _, lines, kinds in iter_partitions(ds, as_of, params, catalogue, jobs, progress, calendar, corrective,
                                           corrective_actions=corrective_actions):
        flags = [Flag.from_line(line) for line in lines]
        result.flags.extend(flags)
        for rule in catalogue:
            if rule.store_only and not store:
                continue
            result.stats[rule.rule_id].evaluated += evaluated_subjects(rule, kinds)
        for f in flags:
            result.stats[f.rule_id].flagged += 1
    return result
