"""Evaluation runs over the stored dataset: one snapshot read, the run recorded (who, when, its
parameters and days off, per rule and agency counts), the flags synced (``sync.py``: a re-run
never loses a decision), stale runs reaped, and the overdue corrective actions a run reports.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from engine.domain.calendar import CalendarEntry, GovernmentCalendar
from engine.domain.models import Dataset
from engine.evaluation.flags import FlagLine
from engine.evaluation.run import evaluated_subjects, iter_partitions
from engine.kb.knowledge import KnowledgeBase, ParameterResolver, ParamValue, government_calendar
from engine.kb.resources import data_dir
from engine.rules.catalogue import RuleCatalogue, default_catalogue
from engine.rules.context import CorrectiveAction, overdue_corrective_actions
from engine.store import anchors, duties, province
from engine.store.data import consistent_snapshot
from engine.store.bulk import refresh_statistics
from engine.store.db import begin_write
from engine.store.review import expire_waivers
from engine.store.schema import DatasetImport, EvaluationRun, FlagRow, RunAgencyRuleStat, RunRuleStat, utcnow
from engine.store.scope import IMPORT, READ, Scope
from engine.store.sync import sync_flags

ProgressFn = Callable[[float, str], None]

CATALOGUE_VERSION = "3"  # SPEC §3 rule catalogue v3


def rules_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(data_dir("rules").glob("*.yaml")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def corrective_actions_overdue(session: Session, scope: Scope, as_of: dt.date) -> dict[str, tuple[int, dt.date]]:
    """Per agency the user sees: confirmed flags whose corrective-action due date is before
    ``as_of``, and the oldest such due date (SPEC §3 1.8-corrective-action-overdue; the review
    workflow's data), counted as the rule counts them (``context.overdue_corrective_actions``)."""
    scope.require(READ)
    return overdue_corrective_actions(duties.corrective_actions(session.execute(duties.confirmed_rows(scope))), as_of)


@dataclass(frozen=True)
class _Stored:
    """What a run reads of the store, all of it in one snapshot (``read_store``)."""

    dataset: Dataset
    broken: dict[str, list[str]]  # agency -> the problems of its stored data (it is left out)
    corrective: dict[str, list[CorrectiveAction]]  # the confirmed flags' corrective actions (duties.confirmed_rows)
    stored: dict[str, ParamValue]  # province.stored_parameters: the rounds an administrator opened
    days_off: list[CalendarEntry]  # province.calendar_in_force
    last_import: int | None  # the import whose data the snapshot holds (with the ones before it)


def read_store(session_factory: Callable[[], Session], scope: Scope, kb: KnowledgeBase, as_of: dt.date) -> _Stored:
    """The stored dataset and everything else a run reads of the store, in one snapshot
    (``data.consistent_snapshot``): an import, a reviewer's decision or an administrator's entry
    committed meanwhile is seen whole or not at all — a run never evaluates a state that never
    existed (torn between two imports, it once flagged officers for notices they had sent)."""
    with session_factory() as session:  # a fresh session: its transaction is the snapshot
        ds, _, broken, (confirmed, days_off, rounds, last) = consistent_snapshot(
            session, scope, [duties.confirmed_rows(scope), province.CALENDAR_ROWS, province.ROUND_ROWS,
                             select(func.max(DatasetImport.id))])
    return _Stored(ds, broken, duties.corrective_actions(confirmed),
                   province.parameters_of_rounds(rounds, kb), province.entries_in_force(days_off),
                   last[0][0] if last else None)


def run_evaluation(session_factory: Callable[[], Session], scope: Scope, as_of: dt.date,
                   overrides: dict[str, str] | None = None, catalogue: RuleCatalogue | None = None,
                   progress: ProgressFn | None = None, jobs: int | None = None,
                   calendar: GovernmentCalendar | None = None) -> int:
    """Evaluate the stored dataset and bring the flags of the user's agencies up to date.

    The run is recorded first (so a failure is visible), then the stored dataset is read (with
    the corrective actions, days off and rounds it needs, in one snapshot: ``read_store``), then
    it is evaluated and its flags synchronised in one transaction, which holds the flags' write
    lock (``begin_write``) from before the evaluation to its commit: new flags are written while
    the workers evaluate the next agencies. A failure anywhere keeps nothing of it. Returns the
    run id. ``calendar``: the government calendar to use (default: the knowledge base's with the
    days off an administrator recorded, ``province.calendar_in_force``). Acknowledgement rounds an administrator opened
    come between the KB's and ``overrides``. The run records per agency and rule the subjects
    evaluated (``RunAgencyRuleStat``: the self-assessment's "not assessed — no data").
    """
    scope.require(IMPORT)
    catalogue = catalogue or default_catalogue()
    agencies_filter = scope.agency_filter()
    with session_factory() as session, session.begin():
        reap_stale_runs(session)
        # SPEC §3 resolution KB → what an administrator recorded (acknowledgement rounds) → --set
        # (a wrong --set is refused here, before the run is recorded; read again with the dataset)
        stored = province.stored_parameters(session, scope, catalogue.kb)
        params = catalogue.kb.resolve_parameters(overrides or {}, base={n: v.value for n, v in stored.items()})
        days_off = province.calendar_in_force(session, scope)
        last_import = session.scalar(select(DatasetImport.id).order_by(DatasetImport.id.desc()))
        # every value with its source; the dataset's agency/process rows are added once it is loaded
        recorded = run_parameters(ParameterResolver(catalogue.kb, params, stored=stored), days_off)
        run = EvaluationRun(as_of=as_of, parameters=recorded, catalogue=CATALOGUE_VERSION,
                            kb_version=catalogue.kb.version, rules_version=rules_version(),
                            dataset_import_id=last_import, agencies=[agencies_filter] if agencies_filter else [],
                            triggered_by=scope.username, status="running", pid=os.getpid(),
                            host=socket.gethostname())
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        read = read_store(session_factory, scope, catalogue.kb, as_of)
        ds, broken, corrective, stored, days_off = read.dataset, read.broken, read.corrective, read.stored, read.days_off
        params = catalogue.kb.resolve_parameters(overrides or {}, base={n: v.value for n, v in stored.items()})
        if calendar is None:  # the KB's calendar with the days off recorded in the app
            calendar = government_calendar(extra=days_off)
        # an agency whose stored data is broken keeps its flags as they are; the others go on
        agencies = [a.agency_id for a in ds.agencies if scope.sees(a.agency_id) and a.agency_id not in broken]
        failed: dict[str, str] = {}  # agency -> why its evaluation failed: its flags stay as they are too
        years: set[int] = set()  # the years (B.E.) the evaluation counted days through
        flagged: Counter = Counter()  # per rule
        due: list[dict[str, Any]] = []  # the duties due soon (FlagRenderer.duty rows), agency by agency
        counts: dict[str, int] = {}
        per_agency: list[dict[str, Any]] = []

        def evaluated() -> Iterator[list[FlagLine]]:
            """The flags of the user's agencies (each with its content key and links, worked out
            by the workers), agency by agency as the evaluation hands them over; the run's
            counts are gathered on the way."""
            done = 0
            for agency_id, partition, kinds in iter_partitions(ds, as_of, params, catalogue, jobs, calendar=calendar,
                                                               corrective_actions=corrective, stored=stored,
                                                               keyed=True, failed=failed, calendar_years=years,
                                                               due=due):
                done += 1
                if agency_id in agencies:
                    flagged.update(r[2] for r in partition)
                    for kind, n in kinds.items():
                        counts[kind] = counts.get(kind, 0) + n
                    per_agency.extend({"run_id": run_id, "agency_id": agency_id, "rule_id": rule.rule_id,
                                       "evaluated": evaluated_subjects(rule, kinds)} for rule in catalogue)
                    yield partition
                if progress:
                    progress(0.9 * done / max(1, len(ds.agencies)), agency_id)
        with session_factory() as session, session.begin():
            # The write lock from here to commit, the evaluation included: each agency's new flags
            # are written while the workers evaluate the next ones (the database takes them in on
            # the core the evaluation leaves it; after the evaluation it was the run's bottleneck).
            begin_write(session, "flag_events")
            # an agency posted to (the intake API) after the snapshot keeps the flags the post made
            # from its newer data: syncing the snapshot's now would put older facts over newer ones,
            # and reopen decided flags for nothing (an import evaluates nothing: the snapshot's stand)
            moved = posted_since(session, read.last_import)
            agencies = [a for a in agencies if a not in moved]
            run = session.get(EvaluationRun, run_id)
            run.parameters = run_parameters(ParameterResolver(catalogue.kb, params, ds.parameters, stored=stored), days_off)
            run.dataset_import_id = read.last_import
            expire_waivers(session)  # a waiver past its expiry is open again before the run compares
            if session.get_bind().dialect.name == "postgresql":  # a run that finds nothing new writes
                # nothing until the evaluation ends: not an idle transaction for a server to end
                session.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))
            # closed whatever happens: the evaluation's workers stop with it
            with contextlib.closing(evaluated()) as partitions:
                sync_flags(session, run, partitions, set(agencies), failed)
            # what is due soon, with the flags it would become: an agency whose evaluation failed keeps its own
            duties.replace_duties(session, scope, run_id, set(agencies) - set(failed), due)
            stats = [{"run_id": run_id, "rule_id": rule.rule_id, "evaluated": evaluated_subjects(rule, counts),
                      "flagged": flagged[rule.rule_id]} for rule in catalogue]
            if stats:
                session.execute(insert(RunRuleStat.__table__), stats)
            if per_agency:
                session.execute(RunAgencyRuleStat.__table__.insert(), per_agency)
            unchecked = calendar.unchecked(years)
            if unchecked:  # said once per year, with the run (the app shows it with the run)
                run.parameters = {**run.parameters, "calendar_unchecked_years": unchecked}
            if kept := sorted(a for a in moved if scope.sees(a)):  # the posts' since the snapshot: not this run's
                run.parameters = {**run.parameters, "posted_meanwhile": kept}
            run.status, run.finished_at = "succeeded", utcnow()
            skipped = {a: p for a, p in broken.items() if scope.sees(a)}
            skipped.update({a: [f"การประเมินผิดพลาด / {why}"] for a, why in failed.items() if a in agencies})
            if skipped:  # evaluated everybody else; say who was not, and why
                run.status = "partial"
                run.error = "\n".join(f"{a} ไม่ได้ประเมิน / not evaluated: " + "; ".join(p[:5])
                                      + (f" (+{len(p) - 5} more)" if len(p) > 5 else "")
                                      for a, p in sorted(skipped.items()))[:4000]
    except Exception as exc:
        with session_factory() as session, session.begin():
            run = session.get(EvaluationRun, run_id)
            run.status, run.finished_at, run.error = "failed", utcnow(), str(exc)[:4000]
        raise
    with session_factory() as session:  # after commit: the run stands either way
        refresh_statistics(session, FlagRow.__tablename__)
    anchors.after_run(session_factory, run_id)  # DISCRETION_AUDIT_ANCHORS: the trails' heads, kept outside
    if progress:
        progress(1.0, "done")
    return run_id


def posted_since(session: Session, last_import: int | None) -> set[str]:
    """The agencies that posts to the intake API (``dataset_imports`` rows made by a token: no
    user's name begins as a token's, ``tokens.actor``) committed data to after the import numbered
    ``last_import``. Exact when asked under the flags' lock: every writer of a ``dataset_imports``
    row takes its lock (``db.begin_write``) before it and commits holding it, so rows are
    numbered in the order they commit."""
    from engine.store.tokens import ACTOR

    return {a for agencies in session.scalars(select(DatasetImport.agencies).where(
        DatasetImport.id > (last_import or 0), DatasetImport.imported_by.startswith(ACTOR))) for a in agencies}


def log_run(run: EvaluationRun, seconds: float, via: str) -> None:
    """The run's JSON log line (``engine.logs``): who, when, the outcome, the counts, and for a
    partial run the agencies not evaluated (their ids, not the problems, which quote data)."""
    from engine import logs

    skipped = sorted({line.split(" ", 1)[0] for line in (run.error or "").splitlines() if "not evaluated" in line})
    logs.event("run", "warning" if run.status != "succeeded" else "info", user=run.triggered_by, run_id=run.id,
               status=run.status, as_of=run.as_of, flags=run.flags_total, new=run.flags_new,
               reopened=run.flags_reopened, cleared=run.flags_cleared, seconds=round(seconds, 1), via=via,
               **({"not_evaluated": skipped} if skipped else {}))


def reap_stale_runs(session: Session) -> list[int]:
    """Mark failed every run left "running" by a process of this host that no longer exists
    (killed, or its machine restarted); returns their ids. Runs of other hosts are left alone:
    their processes cannot be seen from here."""
    host = socket.gethostname()
    reaped = []
    for run in session.scalars(select(EvaluationRun).where(EvaluationRun.status == "running",
                                                           EvaluationRun.host == host)):
        if run.pid is not None and not _process_alive(run.pid, run.started_at):
            run.status, run.finished_at = "failed", utcnow()
            run.error = (f"the process running it (pid {run.pid} on {host}) stopped before it finished, "
                         "killed or crashed; found at the next run")
            reaped.append(run.id)
    return reaped


def _process_alive(pid: int, since: dt.datetime) -> bool:
    """Whether ``pid`` is a live process that was already running at ``since`` (naive UTC):
    a pid reused by a process started later is not the run's."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/stat") as fh:
            boot = next(int(line.split()[1]) for line in fh if line.startswith("btime "))
    except (OSError, StopIteration, IndexError, ValueError):
        return True  # not Linux: the pid exists, so count it as alive
    if fields[0] == "Z":
        return False  # a zombie: dead, not yet collected
    started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return started <= since.replace(tzinfo=dt.timezone.utc).timestamp() + 1


def run_parameters(resolver: ParameterResolver, days_off: list[CalendarEntry]) -> dict[str, Any]:
    """The run's parameters with their sources, and the stored days off its calendar used."""
    return {**resolver.record(),
            "calendar": [{"date": e.date.isoformat(), "kind": e.kind, "name_th": e.name_th, "name_en": e.name_en,
                          "source": e.source} for e in days_off]}
