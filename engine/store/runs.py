"""Evaluation runs over the stored dataset, and keeping flags in step with them.

A re-run never loses a decision: flags are keyed by their stable ``flag_id``. A flag whose
evidence changed reopens and keeps what it was before; a flag that no longer fires is
marked ``cleared_by_data``, never deleted; every change is appended to the audit trail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import os
import socket
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from engine.domain.calendar import CalendarEntry, GovernmentCalendar
from engine.domain.models import Dataset
from engine.evaluation.flags import LINE_CONTENT_KEY, LINE_FLAG_ID, LINE_JSON, LINE_LINK, FlagLine, Link, evidence_text
from engine.evaluation.run import evaluated_subjects, iter_partitions
from engine.kb.knowledge import KnowledgeBase, ParameterResolver, ParamValue, government_calendar
from engine.kb.resources import data_dir
from engine.rules.catalogue import RuleCatalogue, default_catalogue
from engine.rules.context import CorrectiveAction, overdue_corrective_actions
from engine.store import anchors, audit, duties, province
from engine.store.data import consistent_snapshot
from engine.store.db import EncodedJSON, WriteBehind, begin_write, bulk_insert, bulk_update, refresh_statistics
from engine.store.review import expire_waivers
from engine.store.schema import DatasetImport, EvaluationRun, FlagEvent, FlagRow, RunAgencyRuleStat, RunRuleStat, utcnow
from engine.store.scope import IMPORT, READ, Scope

ProgressFn = Callable[[float, str], None]

# Evidence that moves with as_of alone; a change in it is not a change in the facts.
VOLATILE_EVIDENCE = frozenset({"days_since_decision", "days_since_deviation", "max_investigation_days",
                               "manual_age_days", "days_since_committee_analysis", "days_since_monitoring_report",
                               "years_in_position", "elapsed", "corrective_actions_overdue", "oldest_due_date",
                               # counts that grow with the ongoing work of a process or a sliding window:
                               # a decided 1.2 or sampled-review flag is not reopened by each new case
                               "discretionary_decided_cases", "latest_case_ids", "sample_size", "sample_reviewed"})
CATALOGUE_VERSION = "3"  # SPEC §3 rule catalogue v3
_CHUNK = 5000  # ids per IN (…) list: well under SQLite's and PostgreSQL's parameter limits
DECIDED = ("confirmed", "dismissed", "waived", "needs_info", "resolved")


def evidence_facts(evidence: dict[str, Any]) -> dict[str, Any]:
    """What a reviewer's decision on a flag rests on, of its evidence: not what moves with as_of
    alone (``VOLATILE_EVIDENCE``), not a parameter's wording of its source (its value, origin and
    effective date count), and no key that is empty (a key a later release added empty says
    nothing new: a conflict's recorded ground, say, in a store from before it was recorded)."""
    out: dict[str, Any] = {}
    for name, value in evidence.items():
        if name in VOLATILE_EVIDENCE or value is None or value == [] or value == {} or value == "":
            continue
        if name == "parameters" and isinstance(value, dict):
            value = {p: {f: used[f] for f in ("value", "from", "effective_from") if f in used}
                     if isinstance(used, dict) else used for p, used in value.items()}
        out[name] = value
    return out


def evidence_key(evidence: dict[str, Any]) -> str:
    """The digest of what a flag's decision rests on (``evidence_facts``), as stored in
    ``flags.evidence_key``: ``"3:"`` and a BLAKE2b of its JSON with sorted keys."""
    return "3:" + hashlib.blake2b(orjson.dumps(evidence_facts(evidence), option=orjson.OPT_SORT_KEYS, default=str),
                                  digest_size=16).hexdigest()


def _first_evidence_key(evidence: dict[str, Any]) -> str:
    """The first kind of evidence key (a SHA-256 of the standard library's JSON of the evidence
    without ``VOLATILE_EVIDENCE``), which flags stored by the earliest releases carry."""
    stable = {k: v for k, v in evidence.items() if k not in VOLATILE_EVIDENCE}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def same_evidence(stored_key: str, key: str, stored: dict[str, Any] | None, evidence: dict[str, Any]) -> bool:
    """Whether a stored flag rests on the same facts as ``evidence`` (whose key is ``key``). A flag
    stored with an older kind of key (before "3:") is compared by what its stored evidence
    (``stored``) and the new one rest on, so that neither a new kind of key nor a release's new
    wording or new empty keys reopen a decided flag."""
    if stored_key.startswith("3:"):
        return stored_key == key
    return stored is not None and evidence_facts(stored) == evidence_facts(evidence)


def _changed(before: dict[str, Any], after: dict[str, Any], applied: dict[str, Any] | None = None) -> list[str]:
    """The facts (``evidence_facts``) whose values differ. Not ``parameters`` when the stored
    evidence lacks them (catalogue v1 did not record them in a flag) and each value in them is the
    one the run that last found the flag applied (``applied``: that run's recorded values,
    ``_applied``)."""
    unrecorded = "parameters" not in before
    before, after = evidence_facts(before), evidence_facts(after)
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)
                  and not (k == "parameters" and unrecorded and _as_applied(after[k], applied)))


def _as_applied(parameters: Any, applied: dict[str, Any] | None) -> bool:
    """Whether every value of a flag's ``parameters`` evidence (name -> {"value", "from", …}) is
    the value a run recorded as applied (``applied``: name -> value)."""
    return (applied is not None and isinstance(parameters, dict)
            and all(isinstance(p, dict) and name in applied and str(applied[name]) == str(p.get("value"))
                    for name, p in parameters.items()))


def _applied(recorded: dict[str, Any] | None) -> dict[str, Any]:
    """The parameter values a run recorded (``evaluation_runs.parameters``): ``{"values": {name:
    {"value": …}}}`` since catalogue v2, a flat ``{name: value}`` before."""
    if not recorded:
        return {}
    if isinstance(recorded.get("values"), dict):
        return {n: v.get("value") for n, v in recorded["values"].items() if isinstance(v, dict)}
    return {n: v for n, v in recorded.items() if not isinstance(v, (dict, list))}


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
    """What a run reads of the store, all of it in one snapshot (``_read_store``)."""

    dataset: Dataset
    broken: dict[str, list[str]]  # agency -> the problems of its stored data (it is left out)
    corrective: dict[str, list[CorrectiveAction]]  # the confirmed flags' corrective actions (duties.confirmed_rows)
    stored: dict[str, ParamValue]  # province.stored_parameters: the rounds an administrator opened
    days_off: list[CalendarEntry]  # province.calendar_in_force
    last_import: int | None  # the import whose data the snapshot holds (with the ones before it)


def _read_store(session_factory: Callable[[], Session], scope: Scope, kb: KnowledgeBase, as_of: dt.date) -> _Stored:
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
    the corrective actions, days off and rounds it needs, in one snapshot: ``_read_store``), then
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
        recorded = _record(ParameterResolver(catalogue.kb, params, stored=stored), days_off)
        run = EvaluationRun(as_of=as_of, parameters=recorded, catalogue=CATALOGUE_VERSION,
                            kb_version=catalogue.kb.version, rules_version=rules_version(),
                            dataset_import_id=last_import, agencies=[agencies_filter] if agencies_filter else [],
                            triggered_by=scope.username, status="running", pid=os.getpid(),
                            host=socket.gethostname())
        session.add(run)
        session.flush()
        run_id = run.id
    try:
        read = _read_store(session_factory, scope, catalogue.kb, as_of)
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
            run = session.get(EvaluationRun, run_id)
            run.parameters = _record(ParameterResolver(catalogue.kb, params, ds.parameters, stored=stored), days_off)
            run.dataset_import_id = read.last_import
            expire_waivers(session)  # a waiver past its expiry is open again before the run compares
            if session.get_bind().dialect.name == "postgresql":  # a run that finds nothing new writes
                # nothing until the evaluation ends: not an idle transaction for a server to end
                session.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))
            # closed whatever happens: the evaluation's workers stop with it
            with contextlib.closing(evaluated()) as partitions:
                _sync_flags(session, run, partitions, set(agencies), failed)
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


def _record(resolver: ParameterResolver, days_off: list[CalendarEntry]) -> dict[str, Any]:
    """The run's parameters with their sources, and the stored days off its calendar used."""
    return {**resolver.record(),
            "calendar": [{"date": e.date.isoformat(), "kind": e.kind, "name_th": e.name_th, "name_en": e.name_en,
                          "source": e.source} for e in days_off]}


def _sync_flags(session: Session, run: EvaluationRun, partitions: Iterable[list[FlagLine]], agencies: set[str],
                failed: dict[str, str] | None = None) -> None:
    """Bring the stored flags in step with this run's (``partitions``: lists of flags as the
    evaluation hands them over, each with its content key and links: ``FlagRenderer.keyed``),
    inside the caller's transaction. New flags are written as each list comes (the evaluation
    goes on meanwhile); the flags stored before are compared once every list is in. The flags
    of an agency in ``failed`` once every list is in (its evaluation failed: it handed over
    none) stay as they are, neither cleared nor touched.

    The statuses compared against are read *under lock*: the caller took ``begin_write``'s
    lock, which every writer of flags takes before it reads one (``review.act``, ``bulk_act``,
    ``expire_waivers``, a run), so a reviewer's decision is either committed before and seen
    here (and kept, or reopened with an event from that status), or it waits and then fails its
    version check: never lost. (The rows are not also locked ``FOR UPDATE``: on PostgreSQL that
    wrote every flag's row, 2–3 s for 171,481 flags, and guarded against no writer the lock lets
    through.)
    ``version`` moves only when the status, the stable evidence or the severity changes.
    A flag whose content is as stored (``content_key``) gets only the run's bookkeeping —
    ``as_of``, ``last_run_id``, ``updated_at`` — set for all such flags by one statement.
    """
    existing = {row.flag_id: row for row in session.execute(
        select(FlagRow.flag_id, FlagRow.status, FlagRow.evidence_key, FlagRow.severity, FlagRow.content_key,
               FlagRow.as_of, FlagRow.agency_id)
        .where(FlagRow.agency_id.in_(agencies)).order_by(FlagRow.flag_id))}
    as_of, run_id = run.as_of, run.id  # plain locals: the ORM's attributes cost per access
    now = utcnow()
    table, events_table = FlagRow.__table__, FlagEvent.__table__
    chain = audit.Chain(session, FlagEvent)
    known: list[tuple[dict[str, Any], str, Link]] = []
    seen: set[str] = set()
    new = reopened = cleared = 0
    # New flags are inserted batch by batch by a second thread while this one parses and links
    # the next batch (db.WriteBehind), each batch's "created" events after it. The thread starts
    # once the first list is in: the evaluation's pool has forked its workers by then. (Only a
    # part retried alone after a worker crashed, workers._isolated, is forked beside the
    # thread; that child evaluates and exits, touching nothing the thread may hold.)
    total = 0
    lists = iter(partitions)
    first = next(lists, [])
    with WriteBehind(session) as writes:
        inserts: list[dict[str, Any]] = []
        created: list[dict[str, Any]] = []
        for r in itertools.chain.from_iterable(itertools.chain([first], lists)):
            total += 1
            flag_id, line, ck = r[LINE_FLAG_ID], r[LINE_JSON], r[LINE_CONTENT_KEY]
            seen.add(flag_id)
            old = existing.get(flag_id)
            if old is None:
                f = orjson.loads(line)
                evidence = f["evidence"]
                process_id, officer_id, event_date = r[LINE_LINK]
                inserts.append({
                    "flag_id": flag_id, "rule_id": f["rule_id"], "measure": f["measure"],
                    "subject_type": f["subject_type"], "subject_id": f["subject_id"], "agency_id": f["agency_id"],
                    "applicant": evidence.get("applicant"), "status": "open", "first_run_id": run_id,
                    "created_at": now, "version": 1, "message_th": f["message_th"], "message_en": f["message_en"],
                    "evidence": EncodedJSON(evidence_text(line)),  # as the evaluation encoded it
                    "evidence_key": evidence_key(evidence), "content_key": ck, "as_of": as_of,
                    "last_run_id": run_id, "severity": f["severity"], "process_id": process_id,
                    "officer_id": officer_id, "event_date": event_date, "updated_at": now})
                created.append(_event(flag_id, "created", None, "open", run_id, now))
                new += 1
                if len(inserts) == _WRITE_BATCH:
                    writes.insert(table, inserts)
                    writes.insert(events_table, chain.link(created))  # after their flags: a foreign key
                    inserts, created = [], []
            elif old.content_key != ck or old.status == "cleared_by_data":
                known.append((orjson.loads(line), ck, r[LINE_LINK]))
        writes.insert(table, inserts)
        writes.insert(events_table, chain.link(created))
    # known flags whose content changed: the stored evidence is read (and JSON-decoded) only
    # for those whose facts may have changed — a key of the current kind that differs, or a key of
    # an older kind (compared by the evidence itself: once, at the first run of a new release)
    keys = {f["flag_id"]: evidence_key(f["evidence"]) for f, _, _ in known}
    live = [f for f, _, _ in known if existing[f["flag_id"]].status != "cleared_by_data"]
    wanted = sorted(f["flag_id"] for f in live if existing[f["flag_id"]].evidence_key != keys[f["flag_id"]])
    stored_evidence: dict[str, dict[str, Any]] = {}
    found_by: dict[str, int | None] = {}  # the run that last found the flag: the parameters it applied
    for i in range(0, len(wanted), _CHUNK):
        for flag_id, evidence, last_run in session.execute(
                select(FlagRow.flag_id, FlagRow.evidence, FlagRow.last_run_id)
                .where(FlagRow.flag_id.in_(wanted[i:i + _CHUNK]))):
            stored_evidence[flag_id], found_by[flag_id] = evidence, last_run
    changed_set = {f["flag_id"] for f in live if not same_evidence(
        existing[f["flag_id"]].evidence_key, keys[f["flag_id"]], stored_evidence.get(f["flag_id"]), f["evidence"])}
    # only for evidence stored without its parameters (catalogue v1): the runs' recorded values
    applied = {run: _applied(recorded) for run, recorded in session.execute(
        select(EvaluationRun.id, EvaluationRun.parameters).where(EvaluationRun.id.in_(
            {found_by[f] for f in changed_set if "parameters" not in (stored_evidence.get(f) or {})
             and found_by.get(f) is not None})))}
    updates, events = [], []
    for f, ck, (process_id, officer_id, event_date) in known:
        flag_id, evidence = f["flag_id"], f["evidence"]
        key = keys[flag_id]
        common = {"message_th": f["message_th"], "message_en": f["message_en"], "evidence": evidence,
                  "evidence_key": key, "content_key": ck, "as_of": as_of, "last_run_id": run_id,
                  "severity": f["severity"], "process_id": process_id, "officer_id": officer_id,
                  "event_date": event_date, "updated_at": now}
        old = existing[flag_id]
        if old.status == "cleared_by_data":
            updates.append((True, {"flag_id": flag_id, "status": "open", **common}))
            events.append(_event(flag_id, "fired_again", old.status, "open", run_id, now))
            reopened += 1
        elif flag_id in changed_set and (changed := _changed(before := stored_evidence.get(flag_id) or {}, evidence,
                                                             applied.get(found_by.get(flag_id)))):
            status = "open" if old.status in DECIDED else old.status
            updates.append((True, {"flag_id": flag_id, "status": status, "previous_evidence": before,
                                   "changed_fields": changed, **common}))
            events.append(_event(flag_id, "evidence_changed", old.status, status, run_id, now,
                                 {"changed": changed, "before": {k: before.get(k) for k in changed},
                                  "after": {k: evidence.get(k) for k in changed}}))
            reopened += old.status != status
        else:  # same facts (if keyed differently, by fields only added empty): refresh what moves with
            # as_of, and the evidence as found; the status is the reviewer's, untouched
            updates.append((old.severity != f["severity"], {"flag_id": flag_id, **common}))
            if old.severity != f["severity"]:  # a new version: its event (audit verify replays versions)
                events.append(_event(flag_id, "severity_changed", old.status, old.status, run_id, now,
                                     {"before": old.severity, "after": f["severity"]}))
    failed = failed or {}
    evaluated = agencies - set(failed)
    for flag_id, old in existing.items():
        if flag_id not in seen and old.status != "cleared_by_data" and old.agency_id not in failed:
            updates.append((True, {"flag_id": flag_id, "status": "cleared_by_data", "as_of": old.as_of,
                                   "last_run_id": run_id, "updated_at": now}))
            events.append(_event(flag_id, "cleared_by_data", old.status, "cleared_by_data", run_id, now))
            cleared += 1
    by_shape: dict[tuple[bool, tuple[str, ...]], list[dict[str, Any]]] = {}
    for bump, u in updates:
        by_shape.setdefault((bump, tuple(sorted(u))), []).append(u)
    for (bump, _), shaped in by_shape.items():
        bulk_update(session, table, "flag_id", shaped, {"version": "version + 1"} if bump else None)
    bulk_insert(session, events_table, chain.link(events))
    # the run's bookkeeping on every other flag it found — stored before, content unchanged: one
    # statement, last, so that a flag written above (its last_run_id is this run's) is not
    # written twice (a day later most flags' words move: on PostgreSQL each write copies the row)
    session.execute(table.update().where(table.c.agency_id.in_(evaluated), table.c.status != "cleared_by_data",
                                         table.c.last_run_id != run_id)
                    .values(as_of=as_of, last_run_id=run_id, updated_at=now))
    run.flags_total = total
    run.flags_new += new
    run.flags_reopened += reopened
    run.flags_cleared += cleared


_WRITE_BATCH = 4096  # new flags (and their events) handed to the writing thread at a time


def _event(flag_id: str, action: str, before: str | None, after: str, run_id: int, at: dt.datetime,
           details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"flag_id": flag_id, "at": at, "actor": "system", "action": action, "from_status": before,
            "to_status": after, "reason": None, "details": details, "run_id": run_id}
