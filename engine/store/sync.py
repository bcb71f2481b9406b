"""A run's flags kept in step with the stored ones: what a reviewer's decision rests on, and the
sync that never loses one.

A flag is keyed by its stable ``flag_id``. A flag whose facts (``evidence_facts``) changed
reopens and keeps what it was before; a flag that no longer fires is marked
``cleared_by_data``, never deleted; every change is appended to the audit trail. The facts
are compared by a digest (``evidence_key``, kind ``3:``); a flag stored with an older kind of
key is compared by its stored evidence, so no release's new wording reopens a decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from engine.evaluation.flags import LINE_CONTENT_KEY, LINE_FLAG_ID, LINE_JSON, LINE_LINK, FlagLine, Link, evidence_text
from engine.store import audit
from engine.store.bulk import EncodedJSON, WriteBehind, bulk_insert, bulk_update
from engine.store.schema import EvaluationRun, FlagEvent, FlagRow, utcnow

# Evidence that moves with as_of alone; a change in it is not a change in the facts.
VOLATILE_EVIDENCE = frozenset({"days_since_decision", "days_since_deviation", "max_investigation_days",
                               "manual_age_days", "days_since_committee_analysis", "days_since_monitoring_report",
                               "years_in_position", "elapsed", "corrective_actions_overdue", "oldest_due_date",
                               # counts that grow with the ongoing work of a process or a sliding window:
                               # a decided 1.2 or sampled-review flag is not reopened by each new case
                               "discretionary_decided_cases", "latest_case_ids", "sample_size", "sample_reviewed"})
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


def first_evidence_key(evidence: dict[str, Any]) -> str:
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


def changed_facts(before: dict[str, Any], after: dict[str, Any], applied: dict[str, Any] | None = None) -> list[str]:
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


def sync_flags(session: Session, run: EvaluationRun, partitions: Iterable[list[FlagLine]], agencies: set[str],
               failed: dict[str, str] | None = None, outcome: dict[str, list[str]] | None = None,
               cases: set[str] | None = None) -> None:
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
    ``outcome``, when given, gets the ids of the flags ``opened`` (new), ``reopened`` (found
    again, or a decided one whose facts changed) and ``cleared`` (by data). ``cases``, when given:
    only these cases were evaluated (``iter_partitions(only_cases=...)``); the other cases' flags
    are neither compared nor touched.
    """
    said = outcome if outcome is not None else {}
    opened, again, gone = said.setdefault("opened", []), said.setdefault("reopened", []), said.setdefault("cleared", [])
    evaluated_only = (FlagRow.subject_type != "case") | FlagRow.subject_id.in_(sorted(cases)) if cases is not None \
        else true()
    existing = {row.flag_id: row for row in session.execute(
        select(FlagRow.flag_id, FlagRow.status, FlagRow.evidence_key, FlagRow.severity, FlagRow.content_key,
               FlagRow.as_of, FlagRow.agency_id)
        .where(FlagRow.agency_id.in_(agencies), evaluated_only).order_by(FlagRow.flag_id))}
    as_of, run_id = run.as_of, run.id  # plain locals: the ORM's attributes cost per access
    now = utcnow()
    table, events_table = FlagRow.__table__, FlagEvent.__table__
    chain = audit.Chain(session, FlagEvent)
    known: list[tuple[dict[str, Any], str, Link]] = []
    seen: set[str] = set()
    new = reopened = cleared = 0
    # New flags are inserted batch by batch by a second thread while this one parses and links
    # the next batch (bulk.WriteBehind), each batch's "created" events after it. The thread starts
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
                opened.append(flag_id)
                if len(inserts) == WRITE_BATCH:
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
            again.append(flag_id)
        elif flag_id in changed_set and (changed := changed_facts(before := stored_evidence.get(flag_id) or {}, evidence,
                                                             applied.get(found_by.get(flag_id)))):
            status = "open" if old.status in DECIDED else old.status
            updates.append((True, {"flag_id": flag_id, "status": status, "previous_evidence": before,
                                   "changed_fields": changed, **common}))
            events.append(_event(flag_id, "evidence_changed", old.status, status, run_id, now,
                                 {"changed": changed, "before": {k: before.get(k) for k in changed},
                                  "after": {k: evidence.get(k) for k in changed}}))
            reopened += old.status != status
            if old.status != status:
                again.append(flag_id)
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
            gone.append(flag_id)
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
                                         table.c.last_run_id != run_id, evaluated_only)
                    .values(as_of=as_of, last_run_id=run_id, updated_at=now))
    run.flags_total = total
    run.flags_new += new
    run.flags_reopened += reopened
    run.flags_cleared += cleared


WRITE_BATCH = 4096  # new flags (and their events) handed to the writing thread at a time


def _event(flag_id: str, action: str, before: str | None, after: str, run_id: int, at: dt.datetime,
           details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"flag_id": flag_id, "at": at, "actor": "system", "action": action, "from_status": before,
            "to_status": after, "reason": None, "details": details, "run_id": run_id}
