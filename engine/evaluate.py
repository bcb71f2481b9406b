"""Evaluate a dataset at ``as_of``: split it into parts (per agency, and a large agency's
cases in slices), run the rules engine on each part in worker processes, turn its answers
into flags there, and hand them back as compact rows, gathered per agency in a fixed order.

The rules engine's C core can crash the process that runs it, so it never runs in the
caller's process: parts go to forked workers. When a worker dies, the parts it left are
retried one at a time in fresh processes, so that a crash is pinned to one agency (and
slice of cases) and reported as ``EvaluationError`` — never a crash of the caller, never
missing flags. An agency whose evaluation fails (a crash, or an error raised while its facts
or flags are made) is reported by name; a store run has it set aside and evaluates the others
(``iter_partitions(..., failed=)``).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import mmap
import multiprocessing as mp
import os
import shutil
import signal
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import count, islice
from operator import itemgetter
from typing import Any

from . import durable
from .calendar import GovernmentCalendar
from .errors import EvaluationError
from .facts import Index, Part, ascending, part_facts, plan_parts
from .flags import ROW_LINE, Flag, FlagRenderer, FlagRow, row_sort_key
from .gcpause import paused_gc
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
    as_of: dt.date
    kb: KnowledgeBase
    renderer: FlagRenderer
    # fact kind -> (applies_to as a function, the count keys of the rules that share it)
    applies: dict[str, list[tuple[Callable[[dict[str, Any]], bool], list[str]]]] = field(default_factory=dict)
    # the engine's answers per engine key (durable.decide): each worker fills its own copy. A part
    # retried alone after a crash starts from an empty one, so it asks about every key it has.
    answers: durable.Answers = field(default_factory=dict)
    # when only the flags' lines are wanted (``check``): the folder through which parts hand them back
    spool: str | None = None
    keyed: bool = False  # rows carry their content key and links (FlagRenderer.keyed): store runs


# What a part hands back per rule (its flags in order): the rows, or — when only the lines are
# wanted (``check``) — how many of each severity and the lines (written to a spool file, so that
# the flags cross from worker to caller as one file per part, not a tuple each).
Block = tuple[str, str, str, "list[FlagRow] | tuple[dict[str, int], Any]"]  # measure, rule_id, subject_type, …


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


def _evaluate_part(part: Part) -> tuple[Part, list[Block] | tuple[str, list[Block]], Counter]:
    with paused_gc():  # facts and flags form no cycles: see gcpause.py
        part, by_rule, kinds = _evaluate(part)
        blocks = _blocks(by_rule)
        if _JOB.spool is None:
            return part, blocks, kinds
        # only the lines are wanted: they go through a file, not the result pipe (one copy each
        # way, nothing pickled), and the caller gets per rule the severities and the size
        path = os.path.join(_JOB.spool, f"{os.getpid()}-{next(_SPOOLED)}")
        sized: list[Block] = []
        with open(path, "wb", buffering=_SPOOL_BUFFER) as fh:
            for *key, rows in blocks:
                start = fh.tell()
                fh.writelines(map(_LINE, rows))
                sized.append((*key, (dict(Counter(map(_SEVERITY, rows))), fh.tell() - start)))
        return part, (path, sized), kinds


_SPOOLED = count()
_SPOOL_BUFFER = 1 << 20
_SUBJECT, _SEVERITY, _LINE = itemgetter(4, 5), itemgetter(6), itemgetter(ROW_LINE)


def _unspooled(result: tuple[Part, Any, Counter]) -> tuple[Part, list[Block], Counter]:
    """A part's result as ``_evaluate_part`` made it, its lines read back from the spool file
    as ``(severities, lines)`` per rule."""
    part, blocks, kinds = result
    if isinstance(blocks, tuple):
        path, sized = blocks
        with open(path, "rb") as fh:  # mapped, not read: the writer copies the pages straight out
            data = memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if sized else b"")
        os.unlink(path)
        blocks, at = [], 0
        for *key, (severities, size) in sized:
            blocks.append((*key, (severities, data[at:at + size])))
            at += size
    return part, blocks, kinds


def _blocks(by_rule: dict[str, list[FlagRow]]) -> list[Block]:
    """A part's flags in ``row_sort_key`` order, a block per rule. Each rule's rows come in the
    order of the part's facts, which for cases is their id order already: sorted only if not."""
    out: list[Block] = []
    for rows in sorted(by_rule.values(), key=lambda rows: row_sort_key(rows[0])):
        if not ascending(list(map(_SUBJECT, rows))):
            rows.sort(key=row_sort_key)
        first = rows[0]
        out.append((first[1], first[2], first[3], rows))
    return out


def _evaluate(part: Part) -> tuple[Part, dict[str, list[FlagRow]], Counter]:
    job = _JOB
    assert job is not None, "worker started without a job"
    by_id, writer, keyed = job.catalogue.by_id, job.renderer.writer, job.renderer.keyed if job.keyed else None
    answers = job.answers  # what this worker has asked the engine already, in earlier parts too
    kinds: Counter = Counter()
    shapes: Counter = Counter()
    by_rule: dict[str, list[FlagRow]] = {}
    sinks: dict[str, tuple[Callable[[FlagRow], None], Callable[[dict[str, Any], str], FlagRow]]] = {}
    facts_of_part = part_facts(job.index, part, job.as_of)
    while facts := list(islice(facts_of_part, _FACTS_AT_ONCE)):  # a few thousand facts in memory at a time
        keys, answers = durable.decide(job.compiled, facts, known=answers)
        kinds.update(map(_TYPE, facts))
        shapes.update(filter(None, keys))  # a key is a non-empty tuple, or None
        for fact, key in zip(facts, keys):
            if key is not None:
                for action in answers[key]:
                    sink = sinks.get(action.rule_id)
                    if sink is None:  # the rule's list of rows, and the function that makes them
                        rows = by_rule[action.rule_id] = []
                        sink = sinks[action.rule_id] = (rows.append, writer(by_id[action.rule_id]))
                    add, write = sink
                    made = write(fact, action.severity)
                    add(made if keyed is None else keyed(made, fact))
    # rules with applies_to: counted per distinct engine key (the test reads only what the key shows)
    for key, n in shapes.items():
        tests = job.applies.get(key[0])
        if tests:
            shown = {name: v for name, v in zip(job.compiled.attributes[key[0]], key[1:]) if v is not None}
            for test, count_keys in tests:
                if test(shown):
                    for count_key in count_keys:
                        kinds[count_key] += n
    return part, by_rule, kinds


_FACTS_AT_ONCE = 4000
_TYPE = itemgetter("_type")


def _where(part: Part) -> str:
    agency_id, lo, hi = part
    return f"agency '{agency_id}'" + (f" (its cases {lo + 1:,}–{hi:,})" if lo >= 0 else "")


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


class _PartFailed(Exception):
    """A part's evaluation failed: ``detail`` says how (``iter_partitions`` names the agency)."""

    def __init__(self, part: Part, detail: str):
        super().__init__(detail)
        self.part, self.detail = part, detail


def _failure(exc: BaseException) -> str:
    """How a part's evaluation failed, in one line, for a person to act on."""
    if isinstance(exc, _PartFailed):
        return exc.detail
    text = " ".join(str(exc).split())[:300]
    return f"the evaluation failed ({type(exc).__name__}: {text})" if text else \
        f"the evaluation failed ({type(exc).__name__})"


def _run_isolated(part: Part) -> tuple[Part, list[FlagRow], Counter]:
    """One part in its own process, to tell a crash apart from a neighbour's."""
    ctx = mp.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    parent = os.getpid()

    def target() -> None:
        _die_with_parent(parent)
        try:
            result: Any = _evaluate_part(part)
        except Exception as exc:  # noqa: BLE001  (told to the parent: an error, not a crash)
            result = _failure(exc)
        writer.send(result)
        writer.close()

    proc = ctx.Process(target=target, daemon=True)
    proc.start()
    writer.close()
    try:
        result = reader.recv()
    except EOFError:
        result = None
    proc.join()
    if isinstance(result, str):
        raise _PartFailed(part, result)
    if result is None or proc.exitcode != 0:
        code = proc.exitcode
        how = (f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}")
        raise _PartFailed(part, f"the rules engine (durable-rules) crashed with {how}")
    return result


def _failed_error(part: Part, detail: str) -> EvaluationError:
    return EvaluationError(f"{detail} while evaluating {_where(part)}; nothing was written. "
                           "Please report this with the dataset.")


def _facts(counts: Counter) -> int:
    return sum(n for k, n in counts.items() if not k.startswith(APPLIES))


def slice_size(cases: int, jobs: int) -> int:
    """Cases per part: about eight parts per worker, so that the cores stay busy to the end
    whatever the agencies' sizes, and no part holds more than 50,000 cases' facts."""
    return max(2_000, min(50_000, -(-cases // (jobs * 8))))


# A large dataset is evaluated in waves of whole agencies of about this many cases, each by
# freshly forked workers. A worker's reading a case writes its page (the object's reference
# count), so the page is copied into the worker: over a whole run every worker would come to
# hold its own copy of most of the dataset. Workers that end with their wave hold only their
# wave's agencies' pages — when an agency's cases lie together in memory (the columnar reader
# makes them agency by agency): on average this many in a row, at least (a few pages of cases).
WAVE_CASES = 250_000
WAVE_RUN = 100


def waves(parts: list[Part], index: Index, size: int | None = None) -> list[list[Part]]:
    """``parts`` (in order) in waves of whole agencies of at least ``size`` cases each (the
    last one may be smaller); one wave for a dataset of fewer than twice as many, or whose
    agencies' cases are interleaved (new workers would copy the same pages again)."""
    size = size or WAVE_CASES
    cases = {agency: len(index.cases_by_id.get(agency, ())) for agency in {part[0] for part in parts}}
    out: list[list[Part]] = [[]]
    total = sum(cases.values())
    if total < 2 * size or index.agency_runs * WAVE_RUN > total:
        return [list(parts)]
    held = 0
    for part in parts:
        if part[2] < 0 and held >= size:  # an agency's first part, and the wave is full
            out.append([])
            held = 0
        if part[2] < 0:
            held += cases[part[0]]
        out[-1].append(part)
    return out


def iter_partitions(ds: Dataset, as_of: dt.date, params: dict[str, Any],
                    catalogue: RuleCatalogue | None = None, jobs: int | None = None,
                    progress: ProgressFn | None = None, calendar: GovernmentCalendar | None = None,
                    corrective: dict[str, tuple[int, dt.date]] | None = None,
                    stored: dict[str, ParamValue] | None = None, lines_only: bool = False,
                    keyed: bool = False, failed: dict[str, str] | None = None,
                    ) -> Iterator[tuple[str, list[Any], Counter]]:
    """Yield ``(agency_id, flag rows, fact counts)`` per agency, in agency order, the rows in
    ``row_sort_key`` order (``Flag.from_row`` makes a flag of one). The counts are by fact
    kind, and by rule (key ``APPLIES + rule_id``) for rules with ``applies_to``: read a rule's
    with ``evaluated_subjects``.

    With ``lines_only``, each agency's flags come as ``(rule_id, {severity: count}, lines)``
    in the same order: their lines of JSON, a string per rule and part. With ``keyed`` (store
    runs), each row also carries its content key and links (``FlagRenderer.keyed``), worked
    out in the workers.

    ``params`` are the run's values (KB defaults with ``--set``); the dataset's ``parameters``
    rows refine them per agency and process. ``corrective`` (store runs only) feeds rule
    1.8-corrective-action-overdue: agency -> (overdue confirmed flags, oldest due date).
    ``stored`` (store runs only): values an administrator recorded, with their sources.

    An agency whose evaluation fails — the rules engine crashes, or making its facts or flags
    raises — yields nothing. Without ``failed`` that ends the evaluation with ``EvaluationError``
    naming the agency (``check``: exit 3, nothing written); with it, the agency's id and what
    went wrong are put in ``failed`` and the other agencies are evaluated (store runs: the run
    is partial).
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
    _JOB = _Job(index, catalogue, durable.compile_rules(catalogue, params), as_of, kb,
                FlagRenderer(kb, as_of), applies, keyed=keyed)
    jobs = max(1, jobs or os.cpu_count() or 1)
    parts = plan_parts(index, slice_size(len(ds.cases), jobs))
    last_part = {part[0]: part for part in parts}  # the part that completes its agency
    done = 0
    kinds: Counter = Counter()

    groups: dict[tuple[str, str, str], list[Any]] = {}  # an agency's flags so far, per rule, in part order

    def set_aside(part: Part, exc: BaseException) -> None:
        """An agency whose part failed: what it gathered is dropped, its other parts are not
        evaluated; without ``failed`` the whole evaluation ends here."""
        nonlocal kinds
        if failed is None:
            raise _failed_error(part, _failure(exc)) from exc
        failed[part[0]] = _failure(exc)
        groups.clear()  # parts come in order: what is gathered is this agency's
        kinds = Counter()

    def gathered(result: tuple[Part, list[Block], Counter]) -> tuple[str, list[Any], Counter] | None:
        """An agency's flags once its last part is in: each rule's flags from its parts in part
        order, which is their order (a part's cases come before the next part's in id order)."""
        nonlocal kinds
        part, blocks, part_kinds = result
        for measure, rule_id, subject_type, payload in blocks:
            groups.setdefault((measure, rule_id, subject_type), []).append(payload)
        kinds.update(part_kinds)
        if progress:
            progress(part[0], _facts(part_kinds))
        if last_part[part[0]] != part:
            return None
        if lines_only:
            out: list[Any] = [(key[1], *payload) for key in sorted(groups) for payload in groups[key]]
        else:
            out = [row for key in sorted(groups) for payload in groups[key] for row in payload]
        result_kinds = kinds
        groups.clear()
        kinds = Counter()
        return part[0], out, result_kinds

    try:
        if lines_only:  # private to this user (0700), removed below
            _JOB.spool = tempfile.mkdtemp(prefix="discretion-review-")
        # keep the shared dataset's pages untouched by the workers' collector. No collection
        # first: it found nothing to free (the dataset is built with the collector paused and
        # forms no cycles) and walked every object: 0.07 s of a 100k-case check, 0.4 s at 1M
        gc.freeze()
        # waves only for ``check``: a store run's time counts for more than its memory, and each
        # wave costs time (fresh workers fault their pages in again; one waits at a wave's end)
        for wave in waves(parts, index) if lines_only else [parts]:
            with ProcessPoolExecutor(max_workers=min(jobs, len(wave) or 1), mp_context=mp.get_context("fork"),
                                     initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
                # Parts are taken in order with a few in flight: output is deterministic and at
                # most a few parts' flags wait in memory for their turn.
                in_flight: dict[Part, Any] = {}
                ahead = iter(wave)
                for part in wave:
                    while len(in_flight) < 2 * jobs + 2:
                        nxt = next(ahead, None)
                        if nxt is None:
                            break
                        if failed is None or nxt[0] not in failed:
                            in_flight[nxt] = pool.submit(_evaluate_part, nxt)
                    future = in_flight.pop(part, None)
                    done += 1
                    if future is None or (failed is not None and part[0] in failed):
                        if future is not None:
                            future.cancel()  # an agency set aside: the rest of it is not wanted
                        continue
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        done -= 1
                        raise
                    except Exception as exc:  # noqa: BLE001  (an error in the worker: this agency's)
                        set_aside(part, exc)
                        continue
                    out = gathered(_unspooled(result))
                    if out is not None:
                        yield out
    except BrokenProcessPool:
        for part in parts[done:]:
            if failed is not None and part[0] in failed:
                continue
            try:
                result = _run_isolated(part)
            except _PartFailed as exc:
                set_aside(part, exc)
                continue
            out = gathered(_unspooled(result))
            if out is not None:
                yield out
    finally:
        gc.unfreeze()
        if _JOB is not None and _JOB.spool is not None:
            shutil.rmtree(_JOB.spool, ignore_errors=True)
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
    for _, rows, kinds in iter_partitions(ds, as_of, params, catalogue, jobs, progress, calendar, corrective):
        flags = [Flag.from_row(row) for row in rows]
        result.flags.extend(flags)
        for rule in catalogue:
            if rule.store_only and corrective is None:
                continue
            result.stats[rule.rule_id].evaluated += evaluated_subjects(rule, kinds)
        for f in flags:
            result.stats[f.rule_id].flagged += 1
    return result

