"""Evaluate a dataset at ``as_of``: partition by agency, run the rules engine in worker
processes, turn matches into flags.

The rules engine's C core can crash the process that runs it, so it never runs in the
caller's process: partitions go to forked workers. When a worker dies, the partitions it
left are retried one at a time in fresh processes, so that a crash is pinned to one agency
and reported as ``EvaluationError`` — never a crash of the caller, never missing flags.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import multiprocessing as mp
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from . import durable
from .calendar import GovernmentCalendar
from .errors import EvaluationError
from .facts import Index, partition_facts
from .flags import Flag, build_flag
from .kb import KnowledgeBase, ParamValue
from .models import Dataset
from .rules import Rule, RuleCatalogue, default_catalogue, matcher

ProgressFn = Callable[[str, int], None]  # (agency_id, subjects evaluated)


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


@dataclass
class _Job:
    index: Index
    catalogue: RuleCatalogue
    compiled: durable.CompiledRules
    params: dict[str, Any]
    as_of: dt.date
    kb: KnowledgeBase
    # fact kind -> (applies_to as a function, the count keys of the rules that share it)
    applies: dict[str, list[tuple[Callable[[dict[str, Any]], bool], list[str]]]] = field(default_factory=dict)


# In a partition's fact counts, the key of a rule's count of the facts it applies to (rules
# with ``applies_to`` only); every other key is a fact kind.
APPLIES = "applies_to:"


def evaluated_subjects(rule: Rule, counts: Counter | dict[str, int]) -> int:
    """The subjects ``rule`` evaluated in a partition (or a sum of partitions): the facts of its
    kind to which it applies (all of them unless the rule has ``applies_to``)."""
    if rule.applies_to is not None:
        return counts.get(APPLIES + rule.rule_id, 0)
    return counts.get(rule.fact_kind, 0)


_JOB: _Job | None = None  # set in the parent before forking; workers inherit it


def _evaluate_partition(agency_id: str) -> tuple[str, list[Flag], Counter]:
    job = _JOB
    assert job is not None, "worker started without a job"
    kinds: Counter = Counter()
    applies = job.applies

    def counted(facts: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for f in facts:
            kinds[f["_type"]] += 1
            for test, keys in applies.get(f["_type"], ()):
                if test(f):
                    for key in keys:
                        kinds[key] += 1
            yield f

    chosen: dict[tuple[str, int], tuple[int, durable.Action, dict[str, Any]]] = {}
    for match in durable.run(job.compiled, counted(partition_facts(job.index, agency_id, job.as_of, job.params))):
        key = (match.action.rule_id, id(match.fact))
        seen = chosen.get(key)
        if seen is None or match.action.variant > seen[0]:  # a severity variant is more specific
            chosen[key] = (match.action.variant, match.action, match.fact)
    flags = [build_flag(job.catalogue.by_id[a.rule_id], a.severity, fact, job.params, job.as_of, job.kb)
             for _, a, fact in chosen.values()]
    flags.sort(key=flag_sort_key)
    return agency_id, flags, kinds


def flag_sort_key(f: Flag) -> tuple[Any, ...]:
    return (f.agency_id, f.measure, f.rule_id, f.subject_type, f.subject_id, str(f.evidence.get("applicant", "")))


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent_pid: int) -> None:
    """In a forked worker, first thing: be killed when the parent dies, even by ``kill -9``.

    Otherwise a killed ``run`` leaves its workers waiting forever on a queue nobody feeds.
    The parent may already be gone when this runs (the signal would then never come), so its
    pid is checked after the request. Linux only; elsewhere workers outlive a killed parent.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _run_isolated(agency_id: str) -> tuple[str, list[Flag], Counter]:
    """One partition in its own process, to tell a crash apart from a neighbour's."""
    ctx = mp.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    parent = os.getpid()

    def target() -> None:
        _die_with_parent(parent)
        writer.send(_evaluate_partition(agency_id))
        writer.close()

    proc = ctx.Process(target=target, daemon=True)
    proc.start()
    writer.close()
    try:
        result = reader.recv()
    except EOFError:
        result = None
    proc.join()
    if result is None or proc.exitcode != 0:
        code = proc.exitcode
        how = (f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}")
        raise EvaluationError(f"the rules engine (durable-rules) crashed with {how} while evaluating agency "
                              f"'{agency_id}'; nothing was written. Please report this with the dataset.")
    return result


def _facts(counts: Counter) -> int:
    return sum(n for k, n in counts.items() if not k.startswith(APPLIES))


def iter_partitions(ds: Dataset, as_of: dt.date, params: dict[str, Any],
                    catalogue: RuleCatalogue | None = None, jobs: int | None = None,
                    progress: ProgressFn | None = None, calendar: GovernmentCalendar | None = None,
                    corrective: dict[str, tuple[int, dt.date]] | None = None,
                    stored: dict[str, ParamValue] | None = None,
                    ) -> Iterator[tuple[str, list[Flag], Counter]]:
    """Yield ``(agency_id, flags, fact counts)`` per agency, in agency order. The counts are by
    fact kind, and by rule (key ``APPLIES + rule_id``) for rules with ``applies_to``: read a
    rule's with ``evaluated_subjects``.

    ``params`` are the run's values (KB defaults with ``--set``); the dataset's ``parameters``
    rows refine them per agency and process. ``corrective`` (store runs only) feeds rule
    1.8-corrective-action-overdue: agency -> (overdue confirmed flags, oldest due date).
    ``stored`` (store runs only): values an administrator recorded, with their sources.
    """
    global _JOB
    catalogue = catalogue or default_catalogue()
    kb = catalogue.kb
    index = Index.build(ds, params, calendar, corrective, stored)
    shared: dict[tuple[str, str], list[str]] = {}  # rules with the same applies_to test each fact once
    conditions: dict[tuple[str, str], dict[str, Any]] = {}
    for rule in catalogue:
        if rule.applies_to is not None:
            key = (rule.fact_kind, repr(rule.applies_to))
            shared.setdefault(key, []).append(APPLIES + rule.rule_id)
            conditions[key] = rule.applies_to
    applies: dict[str, list[tuple[Callable[[dict[str, Any]], bool], list[str]]]] = {}
    for key, keys in shared.items():
        applies.setdefault(key[0], []).append((matcher(conditions[key]), keys))
    _JOB = _Job(index, catalogue, durable.compile_rules(catalogue, params), params, as_of, kb, applies)
    agencies = index.agency_ids()
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(agencies) or 1))
    gc.collect()
    gc.freeze()  # keep the shared dataset's pages untouched by the workers' collector
    pending = list(agencies)
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork"), initializer=_die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            # Agency order, with a few partitions in flight: output is deterministic and at
            # most jobs + 2 partitions' flags wait in memory for their turn.
            in_flight: dict[str, Any] = {}
            queue = iter(agencies)
            for agency_id in agencies:
                while len(in_flight) < jobs + 2:
                    nxt = next(queue, None)
                    if nxt is None:
                        break
                    in_flight[nxt] = pool.submit(_evaluate_partition, nxt)
                result = in_flight.pop(agency_id).result()
                pending.remove(agency_id)
                if progress:
                    progress(agency_id, _facts(result[2]))
                yield result
    except BrokenProcessPool:
        for agency_id in list(pending):
            result = _run_isolated(agency_id)
            pending.remove(agency_id)
            if progress:
                progress(agency_id, _facts(result[2]))
            yield result
    finally:
        gc.unfreeze()
        _JOB = None


def evaluate(ds: Dataset, as_of: dt.date | None = None, params: dict[str, Any] | None = None,
             catalogue: RuleCatalogue | None = None, jobs: int | None = None,
             progress: ProgressFn | None = None, calendar: GovernmentCalendar | None = None,
             corrective: dict[str, tuple[int, dt.date]] | None = None) -> Evaluation:
    """Evaluate every rule of the catalogue over the dataset at ``as_of`` (default today).

    Without ``corrective`` (a plain ``check``), store-only rules are not evaluated."""
    catalogue = catalogue or default_catalogue()
    as_of = as_of or dt.date.today()
    params = params if params is not None else catalogue.kb.defaults()
    result = Evaluation(as_of, params, stats={r.rule_id: RuleStats() for r in catalogue})
    for _, flags, kinds in iter_partitions(ds, as_of, params, catalogue, jobs, progress, calendar, corrective):
        result.flags.extend(flags)
        for rule in catalogue:
            if rule.store_only and corrective is None:
                continue
            result.stats[rule.rule_id].evaluated += evaluated_subjects(rule, kinds)
        for f in flags:
            result.stats[f.rule_id].flagged += 1
    return result

