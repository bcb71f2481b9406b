"""The store: transactional import, recorded runs, the flag lifecycle, the audit trail, scope."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import func, select, text

from engine.ingest.loader import load_dataset
from engine.store.access import add_user, authenticate
from engine.store.data import import_dataset, load_from_db
from engine.store.db import session_factory, transaction
from engine.store.review import (
    QueueFilter,
    ReviewError,
    StaleFlag,
    act,
    bulk_act,
    expire_waivers,
    get_flag,
    history,
    queue,
)
from engine.store.runs import run_evaluation
from engine.store.schema import CaseRow, EvaluationRun, FlagEvent, FlagRow, RunRuleStat
from engine.store.scope import SYSTEM, NotFound, PermissionDenied, Scope

AS_OF = dt.date(2024, 4, 20)
TODAY = dt.date(2024, 4, 21)
SUP_A1 = Scope("sup.a1", "supervisor", "A1")
SUP_B2 = Scope("sup.b2", "supervisor", "B2")

TWO_AGENCIES = {
    "agencies": [{"agency_id": "B2", "name": "หน่วยงานบี", "serves_public": "true"}],
    "processes": [{"process_id": "PB", "agency_id": "B2", "name": "งานบี", "discretionary": "true",
                   "public_service": "false", "work_manual": "คู่มือ", "work_manual_reviewed_on": "2024-01-01",
                   "it_system": "ระบบ"}],
    "officers": [{"officer_id": "OBH", "agency_id": "B2", "name": "หัวหน้าบี", "in_position_since": "2023-01-01",
                  "ethics_acknowledged_on": "2024-01-01"},
                 {"officer_id": "OB", "agency_id": "B2", "name": "เจ้าหน้าที่บี", "in_position_since": "2023-01-01",
                  "ethics_acknowledged_on": "2024-01-01", "supervisor_id": "OBH"}],
    "cases": [
        {"case_id": "CA1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
         "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1", "via_it_system": "true"},
        {"case_id": "CB1", "process_id": "PB", "officer_id": "OB", "received_on": "2024-04-01",
         "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1"},
    ],
    "risk_analyses": [{"agency_id": "B2", "analysed_on": "2024-01-15", "ethics_committee": "true"}],
    "monitoring_reports": [{"agency_id": "B2", "reported_on": "2024-03-01"}],
    "acknowledgements": [{"agency_id": "B2", "staff_total": "5", "staff_acknowledged": "5",
                          "published_url": "https://b2.example.go.th", "reported_on": "2019-06-01"}],
}


@pytest.fixture
def store(db_url, dataset_dir):
    ds = load_dataset(dataset_dir(TWO_AGENCIES))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    return db_url


def flag_of(url, case_id: str, rule_id: str = "1.1-unreviewed") -> str:
    with transaction(url) as s:
        return s.scalar(select(FlagRow.flag_id).where(FlagRow.subject_id == case_id, FlagRow.rule_id == rule_id))


def test_import_and_run_are_recorded(store):
    with transaction(store) as s:
        run = s.scalars(select(EvaluationRun)).one()
        assert run.status == "succeeded" and run.as_of == AS_OF and run.kb_version == "2562.3"
        assert run.catalogue == "3"
        assert run.parameters["values"]["review_within_days"]["value"] == 7 and len(run.rules_version) == 16
        assert run.parameters["values"]["review_within_days"]["source_en"] == "product default — the letter sets no number"
        stats = {r.rule_id: (r.evaluated, r.flagged) for r in s.scalars(select(RunRuleStat))}
        assert len(stats) == 28
        assert stats["1.1-unreviewed"] == (3, 2)  # three cases, two unreviewed
        assert stats["1.2-process-without-manual"] == (2, 0)  # the discretionary processes (its applies_to)
        assert run.flags_total == sum(f for _, f in stats.values()) == run.flags_new
        assert len(load_from_db(s, SYSTEM).cases) == 3


def test_import_is_all_or_nothing(db_url, dataset_dir, monkeypatch):
    ds = load_dataset(dataset_dir(TWO_AGENCIES))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "first")
    bigger = load_dataset(dataset_dir({**TWO_AGENCIES, "cases": TWO_AGENCIES["cases"] + [
        {"case_id": "CA2", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-05", "discretion_used": "no"}]},
        name="bigger"))
    from engine.store import data

    real = data.BATCH
    monkeypatch.setattr(data, "BATCH", 1)  # many statements, so the failure lands mid-import
    calls = {"n": 0}
    original = data.bulk_insert

    def failing_insert(session, table, rows):
        calls["n"] += 1
        if table is CaseRow.__table__:
            raise RuntimeError("disk full")
        return original(session, table, rows)

    monkeypatch.setattr(data, "bulk_insert", failing_insert)
    with pytest.raises(RuntimeError, match="disk full"):
        with transaction(db_url) as s:
            import_dataset(s, SYSTEM, bigger, "second")
    monkeypatch.setattr(data, "BATCH", real)
    with transaction(db_url) as s:
        assert s.scalar(select(func.count()).select_from(CaseRow)) == 3  # the first import, whole
        assert {c for c in s.scalars(select(CaseRow.case_id))} == {"BASE1", "CA1", "CB1"}


def test_a_supervisor_imports_only_their_agency(db_url, dataset_dir):
    ds = load_dataset(dataset_dir(TWO_AGENCIES))
    with pytest.raises(PermissionDenied, match="may import data of agency A1 only; the dataset also has B2"):
        with transaction(db_url) as s:
            import_dataset(s, SUP_A1, ds, "x")


def test_transitions_and_required_fields(store):
    fid = flag_of(store, "CA1")
    with transaction(store) as s:
        with pytest.raises(ReviewError, match="dismiss needs reason"):
            act(s, SUP_A1, fid, "dismiss", reason="   ")
        with pytest.raises(ReviewError, match="confirm needs corrective_action, due_date"):
            act(s, SUP_A1, fid, "confirm")
        with pytest.raises(ReviewError, match="a open flag cannot be resolved"):
            act(s, SUP_A1, fid, "resolve", reason="x")
        act(s, SUP_A1, fid, "request_info", reason="ขอสำเนาคำสั่ง")
        row = act(s, SUP_A1, fid, "confirm", corrective_action="ให้ผู้บังคับบัญชาตรวจสอบย้อนหลัง",
                  due_date=dt.date(2024, 5, 31), today=TODAY)
        assert (row.status, row.due_date) == ("confirmed", dt.date(2024, 5, 31))
        act(s, SUP_A1, fid, "resolve", reason="ตรวจสอบแล้วเมื่อ 30 เม.ย.")
    with transaction(store) as s:
        events = history(s, SUP_A1, fid)
        assert [(e.action, e.from_status, e.to_status, e.actor) for e in events] == [
            ("created", None, "open", "system"), ("request_info", "open", "needs_info", "sup.a1"),
            ("confirm", "needs_info", "confirmed", "sup.a1"), ("resolve", "confirmed", "resolved", "sup.a1")]
        assert events[2].details == {"corrective_action": "ให้ผู้บังคับบัญชาตรวจสอบย้อนหลัง", "due_date": "2024-05-31"}


def test_waiver_needs_justification_approver_expiry_and_reopens_after_expiry(store):
    fid = flag_of(store, "CA1")
    with transaction(store) as s:
        with pytest.raises(ReviewError, match="waive needs approver, expires_on"):
            act(s, SUP_A1, fid, "waive", reason="ระบบล่ม")
        with pytest.raises(ReviewError, match="a waiver expires after today"):
            act(s, SUP_A1, fid, "waive", reason="ระบบล่ม", approver="หัวหน้า", expires_on=TODAY, today=TODAY)
        act(s, SUP_A1, fid, "waive", reason="ระบบล่ม", approver="หัวหน้าสำนักงาน", expires_on=dt.date(2024, 4, 30),
            today=TODAY)
    with transaction(store) as s:
        assert expire_waivers(s, dt.date(2024, 4, 30)) == 0
        assert expire_waivers(s, dt.date(2024, 5, 1)) == 1
    with transaction(store) as s:
        assert get_flag(s, SUP_A1, fid).status == "open"
        assert history(s, SUP_A1, fid)[-1].action == "waiver_expired"


def test_rerun_keeps_decisions_reopens_changed_evidence_and_clears(store, dataset_dir):
    ca1, cb1 = flag_of(store, "CA1"), flag_of(store, "CB1")
    with transaction(store) as s:
        act(s, SUP_A1, ca1, "dismiss", reason="ตรวจด้วยวาจาแล้ว")
        act(s, SUP_B2, cb1, "dismiss", reason="เหตุผลอื่น")
    # a later as_of changes only day counts: decisions stay
    run_evaluation(session_factory(store), SYSTEM, AS_OF + dt.timedelta(days=3))
    with transaction(store) as s:
        assert get_flag(s, SUP_A1, ca1).status == "dismissed"
    # new data: CA1's decision date changes (evidence changed), CB1 is now reviewed (no longer fires)
    cases = [dict(TWO_AGENCIES["cases"][0], decided_on="2024-04-03"),
             dict(TWO_AGENCIES["cases"][1], reviewed_by="OB", reviewed_on="2024-04-03")]
    ds = load_dataset(dataset_dir({**TWO_AGENCIES, "cases": cases}, name="v2"))
    with transaction(store) as s:
        import_dataset(s, SYSTEM, ds, "v2")
    run_evaluation(session_factory(store), SYSTEM, AS_OF)
    with transaction(store) as s:
        row = get_flag(s, SUP_A1, ca1)
        assert row.status == "open" and "decided_on" in row.changed_fields
        assert row.previous_evidence["decided_on"] == "2024-04-02" and row.evidence["decided_on"] == "2024-04-03"
        assert history(s, SUP_A1, ca1)[-1].details["before"]["decided_on"] == "2024-04-02"
        assert get_flag(s, SUP_B2, cb1).status == "cleared_by_data"
        assert s.scalar(select(func.count()).select_from(FlagRow).where(FlagRow.flag_id == cb1)) == 1
    # fires again when the review disappears again
    ds = load_dataset(dataset_dir(TWO_AGENCIES, name="v3"))
    with transaction(store) as s:
        import_dataset(s, SYSTEM, ds, "v3")
    run_evaluation(session_factory(store), SYSTEM, AS_OF)
    with transaction(store) as s:
        assert get_flag(s, SUP_B2, cb1).status == "open"
        assert [e.action for e in history(s, SUP_B2, cb1)][-2:] == ["cleared_by_data", "fired_again"]


# A first-kind key as releases before migration 0010 stored it (made by their evidence_key)
FIRST_KIND = ({"decided_on": "2024-04-02", "legal_basis": "ประมวลกฎหมายที่ดิน มาตรา ๖๑", "days_since_decision": 18,
               "limit": 1.5, "ids": ["C1", "C2"], "flag": True, "none": None},
              "7de2f0d4d084051180d50619c17508fc38d6a5f75ecc392f17e16d32ce9af808")


def test_flags_stored_with_the_first_kind_of_evidence_key_keep_their_decisions(store, dataset_dir):
    """A store written before evidence keys changed kind: a flag whose evidence is the same stays
    as the reviewer left it (and gets the new kind of key); one whose evidence changed reopens."""
    from engine.store.sync import first_evidence_key, same_evidence

    evidence, stored_key = FIRST_KIND
    assert first_evidence_key(evidence) == stored_key  # the first kind is still made as it was
    assert same_evidence(stored_key, "3:anything", evidence, {**evidence, "days_since_decision": 19})
    assert not same_evidence(stored_key, "3:anything", evidence, {**evidence, "decided_on": "2024-04-03"})
    assert same_evidence(stored_key, "3:anything", evidence, {**evidence, "added_empty": None})
    ca1, cb1 = flag_of(store, "CA1"), flag_of(store, "CB1")
    with transaction(store) as s:
        act(s, SUP_A1, ca1, "dismiss", reason="ตรวจด้วยวาจาแล้ว")
        act(s, SUP_B2, cb1, "dismiss", reason="เหตุผลอื่น")
        for row in s.scalars(select(FlagRow)):  # as the first kind of run stored them
            row.evidence_key, row.content_key = first_evidence_key(row.evidence), None
        events = {f: len(history(s, SYSTEM, f)) for f in (ca1, cb1)}
    cases = [dict(TWO_AGENCIES["cases"][0], decided_on="2024-04-03"), TWO_AGENCIES["cases"][1]]
    with transaction(store) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir({**TWO_AGENCIES, "cases": cases}, name="v2")), "v2")
    run_evaluation(session_factory(store), SYSTEM, AS_OF)
    with transaction(store) as s:
        kept, reopened = s.get(FlagRow, cb1), s.get(FlagRow, ca1)
        assert kept.status == "dismissed" and len(history(s, SYSTEM, cb1)) == events[cb1]
        assert kept.evidence_key.startswith("3:")
        assert reopened.status == "open" and "decided_on" in reopened.changed_fields
        assert [e.action for e in history(s, SYSTEM, ca1)][events[ca1]:] == ["evidence_changed"]


def test_downgrading_past_0015_and_0010_gives_every_key_its_older_kinds_back(store):
    import orjson
    from alembic import command

    from engine.store.migrate import alembic_config
    from engine.store.sync import VOLATILE_EVIDENCE, first_evidence_key

    with transaction(store) as s:
        before = {r.flag_id: r.evidence for r in s.scalars(select(FlagRow))}
        assert before and all(r.startswith("3:") for r in s.scalars(select(FlagRow.evidence_key)))
    command.downgrade(alembic_config(store), "0010")

    def second_kind(evidence):  # as the release of 0010 made it
        stable = {k: v for k, v in evidence.items() if k not in VOLATILE_EVIDENCE}
        return "2:" + hashlib.blake2b(orjson.dumps(stable, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()
    with transaction(store) as s:
        assert {r.flag_id: r.evidence_key for r in s.scalars(select(FlagRow))} == \
            {f: second_kind(e) for f, e in before.items()}
    command.downgrade(alembic_config(store), "0009")
    with transaction(store) as s:
        assert {r.flag_id: r.evidence_key for r in s.scalars(select(FlagRow))} == \
            {f: first_evidence_key(e) for f, e in before.items()}
    command.upgrade(alembic_config(store), "head")


def _stored(url) -> dict[str, tuple]:
    with transaction(url) as s:
        return {r.flag_id: r for r in s.execute(select(
            FlagRow.flag_id, FlagRow.status, FlagRow.version, FlagRow.content_key, FlagRow.message_th, FlagRow.evidence,
            FlagRow.as_of, FlagRow.last_run_id, FlagRow.updated_at))}


def test_a_rerun_rewrites_only_what_changed_and_moves_every_flags_bookkeeping(store, dataset_dir):
    """Flags whose content is as stored keep their messages, evidence, status and version and
    get only the run's as_of, run id and time; a cleared flag keeps the as_of it last fired at."""
    no_basis = {"case_id": "CA3", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
                "decided_on": "2024-04-02", "discretion_used": "true", "via_it_system": "true",
                "reviewed_by": "SUP", "reviewed_on": "2024-04-03"}  # a flag whose words do not move with the day
    with transaction(store) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(
            {**TWO_AGENCIES, "cases": TWO_AGENCIES["cases"] + [no_basis]}, name="v1")), "v1")
    run_evaluation(session_factory(store), SYSTEM, AS_OF)
    ca1 = flag_of(store, "CA1")
    with transaction(store) as s:
        act(s, SUP_A1, ca1, "dismiss", reason="ตรวจด้วยวาจาแล้ว")
        events = s.scalar(select(func.count()).select_from(FlagEvent))
    before = _stored(store)
    assert all(r.content_key and len(r.content_key) == 32 for r in before.values())
    second = run_evaluation(session_factory(store), SYSTEM, AS_OF)  # the same data and day: nothing changed
    again = _stored(store)
    assert again.keys() == before.keys()
    for fid, r in again.items():
        b = before[fid]
        assert (r.status, r.version, r.content_key, r.message_th, r.evidence) == \
            (b.status, b.version, b.content_key, b.message_th, b.evidence)
        assert r.last_run_id == second and r.updated_at > b.updated_at and r.as_of == AS_OF
    with transaction(store) as s:
        assert s.scalar(select(func.count()).select_from(FlagEvent)) == events  # no event: nothing happened
    # a later day: every flag's as_of moves; flags whose words move with the day are rewritten
    later = AS_OF + dt.timedelta(days=40)
    third = run_evaluation(session_factory(store), SYSTEM, later)
    moved = _stored(store)
    assert {r.as_of for r in moved.values()} == {later} and {r.last_run_id for r in moved.values()} == {third}
    assert moved[ca1].status == "dismissed"
    rewritten = {fid for fid, r in moved.items() if r.content_key != again[fid].content_key}
    assert rewritten and rewritten != set(moved)  # some read the day (an elapsed count), some do not
    assert all(moved[f].message_th != again[f].message_th or moved[f].evidence != again[f].evidence for f in rewritten)
    # CA1 reviewed: its flag is cleared and keeps the as_of it last fired at
    cases = [dict(TWO_AGENCIES["cases"][0], reviewed_by="SUP", reviewed_on="2024-04-03"), TWO_AGENCIES["cases"][1],
             no_basis]
    with transaction(store) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir({**TWO_AGENCIES, "cases": cases}, name="v2")), "v2")
    run_evaluation(session_factory(store), SYSTEM, later + dt.timedelta(days=1))
    cleared = _stored(store)[ca1]
    assert cleared.status == "cleared_by_data" and cleared.as_of == later


def test_audit_trail_cannot_be_changed_or_deleted(store):
    fid = flag_of(store, "CA1")
    with transaction(store) as s:
        act(s, SUP_A1, fid, "dismiss", reason="เหตุผล")
    for sql in ("UPDATE flag_events SET reason = 'rewritten'", "DELETE FROM flag_events"):
        with pytest.raises(Exception, match="append-only"):
            with transaction(store) as s:
                s.execute(text(sql))
    with transaction(store) as s:
        assert s.scalar(select(FlagEvent.reason).where(FlagEvent.action == "dismiss")) == "เหตุผล"


def test_scope_a_supervisor_cannot_read_or_act_on_another_agency_even_by_id(store):
    cb1 = flag_of(store, "CB1")
    with transaction(store) as s:
        rows, total = queue(s, SUP_A1, QueueFilter(statuses=[]))
        assert total == len(rows) > 0 and {r.agency_id for r in rows} == {"A1"}
        with pytest.raises(NotFound):
            get_flag(s, SUP_A1, cb1)
        with pytest.raises(NotFound):
            act(s, SUP_A1, cb1, "dismiss", reason="crafted id")
        with pytest.raises(NotFound):
            history(s, SUP_A1, cb1)
        with pytest.raises(ReviewError):
            bulk_act(s, SUP_A1, [flag_of(store, "CA1"), cb1], "dismiss", reason="x")
    with transaction(store) as s:
        assert get_flag(s, SUP_B2, cb1).status == "open"
        assert get_flag(s, SUP_A1, flag_of(store, "CA1")).status == "open"  # the bulk saved nothing


def test_roles(store):
    ca1 = flag_of(store, "CA1")
    ethics, province = Scope("e", "ethics_committee", "A1"), Scope("p", "provincial", None)
    with transaction(store) as s:
        assert get_flag(s, ethics, ca1).agency_id == "A1"
        with pytest.raises(PermissionDenied):
            act(s, ethics, ca1, "dismiss", reason="x")
        assert {r.agency_id for r in queue(s, province, QueueFilter(statuses=[]))[0]} == {"A1", "B2"}
        with pytest.raises(PermissionDenied):
            act(s, province, ca1, "dismiss", reason="x")


def test_bulk_action(store):
    ids = [flag_of(store, "CA1"), flag_of(store, "CA1", "1.1-unreviewed")]
    ids = list(dict.fromkeys(ids + [flag_of(store, "BASE1", "1.1-unreviewed")]))
    ids = [i for i in ids if i]
    with transaction(store) as s:
        done = bulk_act(s, SUP_A1, ids, "dismiss", reason="ตรวจแล้วทั้งชุด")
    assert len(done) == len(ids)
    with transaction(store) as s:
        assert all(get_flag(s, SUP_A1, i).status == "dismissed" for i in ids)


def test_concurrent_edit_is_refused_not_overwritten(store):
    fid = flag_of(store, "CA1")
    with transaction(store) as s:
        seen = get_flag(s, SUP_A1, fid).version
        act(s, SUP_A1, fid, "request_info", reason="first reviewer")
    with pytest.raises(StaleFlag, match="your text is kept in the form"):
        with transaction(store) as s:
            act(s, SUP_A1, fid, "dismiss", reason="second reviewer", expected_version=seen)
    with transaction(store) as s:
        assert get_flag(s, SUP_A1, fid).status == "needs_info"


def test_a_refused_decision_says_who_changed_the_flag_what_and_when(store):
    """The refusal carries the flag as it stands and its latest event, for the page to say so."""
    fid = flag_of(store, "CA1")
    head = Scope("head.a1", "agency_head", "A1")
    with transaction(store) as s:
        seen = get_flag(s, SUP_A1, fid).version
        act(s, head, fid, "request_info", reason="ขอสำเนาคำสั่ง")
    with pytest.raises(StaleFlag) as refused:
        with transaction(store) as s:
            act(s, SUP_A1, fid, "dismiss", reason="second reviewer", expected_version=seen)
    [change] = refused.value.changes
    assert (change.flag_id, change.subject_type, change.subject_id, change.status, change.version) == (
        fid, "case", "CA1", "needs_info", seen + 1)
    assert (change.actor, change.action, change.reason) == ("head.a1", "request_info", "ขอสำเนาคำสั่ง")
    assert isinstance(change.at, dt.datetime)


@pytest.fixture
def three_a1(db_url, dataset_dir):
    """TWO_AGENCIES with three unreviewed cases of A1: three open flags to tick; their ids."""
    more = [{**TWO_AGENCIES["cases"][0], "case_id": c} for c in ("CA2", "CA3")]
    ds = load_dataset(dataset_dir({**TWO_AGENCIES, "cases": TWO_AGENCIES["cases"] + more}))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    return db_url, [flag_of(db_url, c) for c in ("CA1", "CA2", "CA3")]


@pytest.mark.parametrize("changed", [0, 1, 2])
def test_a_bulk_acts_on_the_versions_ticked_or_on_none(three_a1, changed):
    """Issue 20: every ticked flag is checked against the version seen when it was ticked,
    whichever of them someone else changed meanwhile; nothing is saved and the case is named."""
    store, ids = three_a1
    with transaction(store) as s:
        seen = {i: get_flag(s, SUP_A1, i).version for i in ids}
        act(s, Scope("head.a1", "agency_head", "A1"), ids[changed], "dismiss", reason="ยุติแล้ว")
        case = get_flag(s, SUP_A1, ids[changed]).subject_id
    with pytest.raises(StaleFlag) as refused:
        with transaction(store) as s:
            bulk_act(s, SUP_A1, ids, "dismiss", expected_versions=seen, reason="ตรวจแล้วทั้งชุด")
    assert [c.flag_id for c in refused.value.changes] == [ids[changed]]
    assert refused.value.changes[0].actor == "head.a1"
    assert f"เรื่อง {case}" in str(refused.value) and f"case {case}" in str(refused.value)
    with transaction(store) as s:
        assert [get_flag(s, SUP_A1, i).status for i in ids] == [
            "dismissed" if i == ids[changed] else "open" for i in ids]
        assert s.scalars(select(FlagEvent.actor).where(FlagEvent.action == "dismiss")).all() == ["head.a1"]


def test_a_bulk_needs_the_version_of_every_flag_ticked(three_a1):
    store, ids = three_a1
    with transaction(store) as s:
        seen = {i: get_flag(s, SUP_A1, i).version for i in ids[:2]}
    with pytest.raises(ReviewError, match=f"no version seen for {ids[2]}"):
        with transaction(store) as s:
            bulk_act(s, SUP_A1, ids, "dismiss", expected_versions=seen, reason="x")
    with transaction(store) as s:
        assert {get_flag(s, SUP_A1, i).status for i in ids} == {"open"}


def test_a_ticked_flag_out_of_reach_refuses_the_bulk_without_naming_its_subject(store):
    ca1, cb1 = flag_of(store, "CA1"), flag_of(store, "CB1")
    with transaction(store) as s:
        seen = {ca1: get_flag(s, SUP_A1, ca1).version, cb1: 1}
    with pytest.raises(StaleFlag) as refused:
        with transaction(store) as s:
            bulk_act(s, SUP_A1, [ca1, cb1], "dismiss", expected_versions=seen, reason="x")
    [gone] = refused.value.changes
    assert (gone.flag_id, gone.subject_id, gone.status) == (cb1, None, None)
    assert "CB1" not in str(refused.value)  # another agency's case is not revealed
    with transaction(store) as s:
        assert get_flag(s, SUP_A1, ca1).status == "open"


def test_people_are_named_with_their_role(db_url):
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "somsri", "correct horse battery", "supervisor", "kk-land", "นางสมศรี ใจดี")
        from engine.store.access import people
        assert people(s, SUP_A1, ["somsri", "nobody", "system"]) == {"somsri": ("นางสมศรี ใจดี", "supervisor", None)}


def test_passwords_are_hashed_and_checked(db_url):
    with transaction(db_url) as s:
        user = add_user(s, SYSTEM, "somchai", "correct horse", "supervisor", "kk-land", "สมชาย")
        assert user.password_hash.startswith("$argon2") and "correct horse" not in user.password_hash
    with transaction(db_url) as s:
        assert authenticate(s, "somchai", "correct horse") == Scope("somchai", "supervisor", "kk-land")
        assert authenticate(s, "somchai", "wrong") is None and authenticate(s, "nobody", "x") is None


def test_reopen_after_each_decision_and_not_from_open(store):
    fid = flag_of(store, "CA1")
    with transaction(store) as s:
        with pytest.raises(ReviewError, match="a open flag cannot be open"):
            act(s, SUP_A1, fid, "reopen", reason="x")
        for action, fields in [("dismiss", {"reason": "a"}), ("request_info", {"reason": "b"}),
                               ("confirm", {"corrective_action": "c", "due_date": dt.date(2024, 5, 1)}),
                               ("waive", {"reason": "d", "approver": "e", "expires_on": dt.date(2024, 5, 1)})]:
            act(s, SUP_A1, fid, action, today=TODAY, **fields)
            with pytest.raises(ReviewError, match="reopen needs reason"):
                act(s, SUP_A1, fid, "reopen")
            assert act(s, SUP_A1, fid, "reopen", reason=f"reopen after {action}").status == "open"
        assert [e.action for e in history(s, SUP_A1, fid)][-2:] == ["waive", "reopen"]


def test_migrations_go_down_and_up_again(db_url):
    from alembic import command

    from engine.store.migrate import alembic_config, current_revision

    command.downgrade(alembic_config(db_url), "base")
    assert current_revision(db_url) is None
    command.upgrade(alembic_config(db_url), "head")
    from alembic.script import ScriptDirectory

    assert current_revision(db_url) == ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()


def test_the_queue_speed_migration_ranks_existing_flags_and_goes_down_and_up(store):
    """0007 adds the database-computed severity rank (and its indexes) to flags already stored."""
    from alembic import command
    from sqlalchemy import inspect

    from engine.store.db import make_engine
    from engine.store.migrate import alembic_config

    def columns_and_indexes() -> tuple[set[str], set[str]]:
        engine = make_engine(store)
        try:
            insp = inspect(engine)
            return {c["name"] for c in insp.get_columns("flags")}, {i["name"] for i in insp.get_indexes("flags")}
        finally:
            engine.dispose()

    with transaction(store) as s:
        severities = dict(s.execute(select(FlagRow.flag_id, FlagRow.severity)).all())
    assert severities
    command.downgrade(alembic_config(store), "0006")
    cols, indexes = columns_and_indexes()
    assert "severity_rank" not in cols and "ix_flags_severity_order" not in indexes
    command.upgrade(alembic_config(store), "head")
    cols, indexes = columns_and_indexes()
    assert "severity_rank" in cols and {"ix_flags_severity_order", "ix_flags_agency_severity_order"} <= indexes
    with transaction(store) as s:  # the rank follows the severity when it changes
        for flag_id, severity in zip(sorted(severities), ("medium", "low")):
            s.execute(FlagRow.__table__.update().where(FlagRow.flag_id == flag_id).values(severity=severity))
            severities[flag_id] = severity
    with transaction(store) as s:
        ranks = dict(s.execute(select(FlagRow.flag_id, FlagRow.severity_rank)).all())
    assert ranks == {f: {"high": 0, "medium": 1, "low": 2}[v] for f, v in severities.items()}
    assert set(ranks.values()) >= {1, 2}


def test_an_evaluation_run_reopens_expired_waivers_first(store):
    fid = flag_of(store, "CA1")
    with transaction(store) as s:
        act(s, SUP_A1, fid, "waive", reason="ระบบล่ม", approver="หัวหน้า", expires_on=dt.date(2024, 5, 1),
            today=dt.date(2024, 4, 21))  # expired long before the real today
    run_evaluation(session_factory(store), SYSTEM, AS_OF)
    with transaction(store) as s:
        assert get_flag(s, SUP_A1, fid).status == "open"
        assert "waiver_expired" in [e.action for e in history(s, SUP_A1, fid)]


def test_repeated_failed_logins_lock_the_name_for_a_while(db_url):
    from engine.store.access import MAX_FAILURES, TooManyAttempts, name_hash
    from engine.store.schema import LoginAttempt

    t0 = dt.datetime(2024, 4, 20, 9, 0)
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "somchai", "correct horse", "supervisor", "kk-land")
    for i in range(MAX_FAILURES):
        with transaction(db_url) as s:
            assert authenticate(s, "somchai", f"guess {i}", now=t0 + dt.timedelta(minutes=i)) is None
    with pytest.raises(TooManyAttempts, match="too many failed logins for 'somchai'"):
        with transaction(db_url) as s:
            authenticate(s, "somchai", "correct horse", now=t0 + dt.timedelta(minutes=6))
    with transaction(db_url) as s:  # the window has passed for the early failures
        assert authenticate(s, "somchai", "correct horse", now=t0 + dt.timedelta(minutes=20)) is not None
    with transaction(db_url) as s:
        attempts = s.scalars(select(LoginAttempt.success).where(LoginAttempt.name_hash == name_hash("somchai"))
                             .order_by(LoginAttempt.id)).all()
        assert attempts == [False] * MAX_FAILURES + [True]



@pytest.mark.parametrize("copy_from", [1, 10**9], ids=["bulk-copy", "executemany"])
def test_bulk_writes_keep_the_lifecycle_versions_and_hash_chain(db_url, dataset_dir, monkeypatch, copy_from):
    """The same lifecycle, written by COPY (PostgreSQL, every batch forced through it) and by
    executemany: the same statuses, versions, evidence, JSON nulls and an unbroken hash chain."""
    from engine.store import bulk, replay

    used = []
    real_use_copy = bulk.use_copy
    monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
    monkeypatch.setattr(bulk, "use_copy", lambda s, rows: used.append(real_use_copy(s, rows)) or used[-1])
    ds = load_dataset(dataset_dir(TWO_AGENCIES))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    ca1, cb1 = flag_of(db_url, "CA1"), flag_of(db_url, "CB1")
    with transaction(db_url) as s:
        act(s, SUP_A1, ca1, "dismiss", reason="ตรวจด้วยวาจาแล้ว")
        versions = dict(s.execute(select(FlagRow.flag_id, FlagRow.version)).all())
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF + dt.timedelta(days=3))  # day counts only
    with transaction(db_url) as s:
        assert dict(s.execute(select(FlagRow.flag_id, FlagRow.version)).all()) == versions
        assert get_flag(s, SUP_A1, ca1).status == "dismissed" and get_flag(s, SUP_A1, ca1).as_of > AS_OF
    cases = [dict(TWO_AGENCIES["cases"][0], decided_on="2024-04-03"),
             dict(TWO_AGENCIES["cases"][1], reviewed_by="OB", reviewed_on="2024-04-03")]
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir({**TWO_AGENCIES, "cases": cases}, name="v2")), "v2")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    with transaction(db_url) as s:
        row = get_flag(s, SUP_A1, ca1)
        assert (row.status, row.version) == ("open", versions[ca1] + 1)
        assert row.previous_evidence["decided_on"] == "2024-04-02"
        assert row.changed_fields == ["decided_on", "review_deadline"]  # v2 evidence: the deadline moves with it
        assert (get_flag(s, SUP_B2, cb1).status, get_flag(s, SUP_B2, cb1).version) == ("cleared_by_data",
                                                                                     versions[cb1] + 1)
        assert s.scalar(select(func.count()).select_from(FlagEvent).where(FlagEvent.details.is_(None))) == 0
        assert s.scalar(select(func.count()).select_from(FlagRow).where(FlagRow.previous_evidence.is_(None),
                                                                         FlagRow.flag_id == cb1)) == 1
        assert [e.action for e in history(s, SUP_A1, ca1)] == ["created", "dismiss", "evidence_changed"]
        counts, broken = replay.verify(s, SYSTEM)
        assert not broken and counts["flag_events"] > 0
    assert any(used) == (copy_from == 1 and db_url.startswith("postgresql"))


def test_queue_pages_follow_the_sort_exactly_whatever_the_page(db_url, tmp_path):
    """Page by page (ids first, then rows), the queue is the whole filtered, sorted list cut
    in pieces: high before medium before low, newest event first, then flag id."""
    from engine.demo.generate import generate

    generate(tmp_path / "demo", cases=600, seed=1, as_of=AS_OF)
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(tmp_path / "demo"), "demo")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    with transaction(db_url) as s:
        flags = s.execute(select(FlagRow.flag_id, FlagRow.severity, FlagRow.event_date, FlagRow.agency_id,
                                 FlagRow.status)).all()
    assert {f.severity for f in flags} == {"high", "medium", "low"} and any(f.event_date is None for f in flags)
    with transaction(db_url) as s:  # a few decided flags, so the status filter has something to leave out
        for f in flags[::7]:
            s.execute(FlagRow.__table__.update().where(FlagRow.flag_id == f.flag_id).values(status="dismissed"))
    rank = {"high": 0, "medium": 1, "low": 2}
    # NULL dates: PostgreSQL puts them first when descending, SQLite last; each database's own order
    null_first = db_url.startswith("postgresql")

    def expected(agency: str | None, statuses: tuple[str, ...]) -> list[str]:
        chosen = [f for f in flags if (agency is None or f.agency_id == agency)
                  and (not statuses or (f.status if f.flag_id not in dismissed else "dismissed") in statuses)]
        chosen.sort(key=lambda f: (rank[f.severity], (f.event_date is None) != null_first,
                                   -f.event_date.toordinal() if f.event_date else 0, f.flag_id))
        return [f.flag_id for f in chosen]

    dismissed = {f.flag_id for f in flags[::7]}
    busiest = max({f.agency_id for f in flags}, key=lambda a: sum(f.agency_id == a for f in flags))
    for scope, agency in ((SYSTEM, None), (Scope("sup", "supervisor", busiest), busiest)):
        for statuses in (("open", "needs_info"), ()):
            want = expected(agency, statuses)
            got, page = [], 1
            with transaction(db_url) as s:
                while True:
                    rows, total = queue(s, scope, QueueFilter(statuses=list(statuses)), "severity", page, 4)
                    assert total == len(want)
                    if not rows:
                        break
                    got += [r.flag_id for r in rows]
                    page += 1
            assert got == want and len(want) > 8  # several pages


def test_a_run_leaves_postgresql_planner_statistics_current(db_url, dataset_dir):
    """Without VACUUM (ANALYZE) after a bulk write the planner thinks ``flags`` is empty and sorts
    the whole queue for every page instead of walking the severity index, and index walks read rows."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner statistics; SQLite plans the queue well without")
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(TWO_AGENCIES)), "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    with transaction(db_url) as s:
        stored = s.scalar(select(func.count()).select_from(FlagRow))
        assert stored > 0
        tuples, pages, visible = s.execute(text("SELECT reltuples, relpages, relallvisible FROM pg_class "
                                                "WHERE relname = 'flags'")).one()
        assert tuples == stored and visible == pages > 0  # analysed, and index-only walks need no rows


def test_a_run_finds_expired_waivers_by_index_and_postgresql_leaves_room_for_its_updates(db_url):
    """Expired waivers are looked up through the expiry index, not by reading every flag (and no
    status index tempts SQLite away from the queue's severity index); PostgreSQL fills flags'
    pages to 60 %, so a run's bookkeeping update is a HOT update beside the old row."""
    with transaction(db_url) as s:
        if db_url.startswith("sqlite"):
            plan = " ".join(r[-1] for r in s.execute(text(
                "EXPLAIN QUERY PLAN SELECT flag_id FROM flags WHERE status = 'waived' AND waiver_expires_on < "
                "'2025-01-01' ORDER BY waiver_expires_on, flag_id")))
            assert "ix_flags_waiver_expiry" in plan
            queue_plan = " ".join(r[-1] for r in s.execute(text(
                "EXPLAIN QUERY PLAN SELECT flag_id FROM flags WHERE status IN ('open', 'needs_info') "
                "ORDER BY severity_rank, event_date DESC, flag_id LIMIT 50 OFFSET 10000")))
            assert "ix_flags_severity_order" in queue_plan and "TEMP B-TREE" not in queue_plan
        else:
            options = s.scalar(text("SELECT reloptions FROM pg_class WHERE relname = 'flags'"))
            assert "fillfactor=60" in options


def test_sqlite_bulk_insert_stores_exactly_what_sqlalchemy_stores(tmp_path, monkeypatch):
    """SQLite's many-row statements apply each column's own bind processor: the rows of an
    import and a run (its new flags written batch by batch by ``bulk.WriteBehind``'s thread) are
    byte for byte those of SQLAlchemy's executemany (dates, booleans, JSON), but a new flag's
    evidence, stored as the evaluation encoded it: the same JSON, compact."""
    import sqlite3

    from engine.demo.generate import generate
    from engine.store import audit, bulk, data, migrate, sync

    generate(tmp_path / "demo", cases=400, seed=1, as_of=AS_OF)
    ds = load_dataset(tmp_path / "demo")

    def plain(session, table, rows):
        if rows:
            session.execute(table.insert(), bulk.decoded_rows(rows))

    class PlainBehind:  # the run's new flags, written by SQLAlchemy in the caller's thread
        def __init__(self, session):
            self.session = session

        def __enter__(self):
            return self

        def __exit__(self, *_):
            pass

        def insert(self, table, rows):
            plain(self.session, table, rows)

    dumps = []
    for name, writer, behind in (("bulk", bulk.bulk_insert, bulk.WriteBehind), ("plain", plain, PlainBehind)):
        for module in (data, sync, audit):
            monkeypatch.setattr(module, "bulk_insert", writer)
        monkeypatch.setattr(sync, "WriteBehind", behind)
        monkeypatch.setattr(sync, "WRITE_BATCH", 97)  # several batches through the writing thread
        url = f"sqlite:///{tmp_path}/{name}.db"
        migrate.upgrade(url)
        with transaction(url) as s:
            import_dataset(s, SYSTEM, ds, "demo")
        run_evaluation(session_factory(url), SYSTEM, AS_OF)
        con = sqlite3.connect(tmp_path / f"{name}.db")
        dumps.append({t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in
                      ("agencies", "processes", "officers", "cases", "escalations", "risk_analyses")}
                     | {"flags": [(r[0], json.loads(r[1]), *r[2:]) for r in con.execute(
                         "SELECT flag_id, evidence, as_of, event_date, typeof(created_at), length(created_at), "
                         "version, status FROM flags ORDER BY 1")],
                        "events": con.execute("SELECT flag_id, action, length(at), details, typeof(details) "
                                              "FROM flag_events ORDER BY id").fetchall()})
        con.close()
    assert dumps[0]["flags"] and dumps[0]["cases"]
    assert dumps[0] == dumps[1]  # a flag's evidence: the same JSON, as the evaluation encoded it (compact)


def _stored_rows(url: str) -> dict[str, list]:
    """What an import and a run stored, without what differs between two databases (ids, times)."""
    evidence = "evidence::jsonb" if url.startswith("postgresql") else "json(evidence)"
    tables = {"agencies": "*", "processes": "*", "officers": "*", "cases": "*", "escalations": "*",
              "delay_notices": "*", "risk_analyses": "agency_id, analysed_on, ethics_committee, source",
              "flags": "flag_id, rule_id, measure, severity, subject_id, agency_id, applicant, process_id, officer_id, "
                       f"event_date, status, message_th, message_en, {evidence}, evidence_key, content_key, as_of, "
                       "version",
              "flag_events": "flag_id, action, from_status, to_status, details, prev_hash IS NOT NULL"}
    with transaction(url) as s:
        return {t: s.execute(text(f"SELECT {cols} FROM {t} ORDER BY 1")).all() for t, cols in tables.items()}


def test_copy_stores_exactly_what_executemany_stores(db_url, tmp_path, monkeypatch):
    """Every batch through COPY (binary on PostgreSQL: dates, times, yes/no, numbers, JSON,
    Thai text), or every batch through SQLAlchemy's executemany, each on a fresh database: an
    import and a run store the same rows. (SQLite has no COPY: both are its many-row statements.)"""
    from contextlib import nullcontext

    from conftest import scratch_pg_database

    from engine.demo.generate import generate
    from engine.store import bulk, migrate

    generate(tmp_path / "demo", cases=400, seed=1, as_of=AS_OF)
    ds = load_dataset(tmp_path / "demo")
    second = scratch_pg_database(db_url) if db_url.startswith("postgresql") else \
        nullcontext(f"sqlite:///{tmp_path}/second.db")
    stored = []
    with second as second_url:
        migrate.upgrade(second_url)
        for url, copy_from in ((db_url, 1), (second_url, 10**9)):
            monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
            with transaction(url) as s:
                import_dataset(s, SYSTEM, ds, "demo")
            run_evaluation(session_factory(url), SYSTEM, AS_OF)
            stored.append(_stored_rows(url))
    assert stored[0]["cases"] and stored[0]["flags"] and stored[0]["flag_events"]
    assert stored[0] == stored[1]


def test_overlapping_jobs_give_the_switch_interval_back_whatever_order_they_end_in():
    import sys

    from engine.gcpause import short_switch_interval

    before = sys.getswitchinterval()
    first, second = short_switch_interval(), short_switch_interval()
    first.__enter__()
    short = sys.getswitchinterval()
    assert short < before
    second.__enter__()
    first.__exit__(None, None, None)
    assert sys.getswitchinterval() == short  # the second job is still writing
    second.__exit__(None, None, None)
    assert sys.getswitchinterval() == before


def test_write_behind_hands_back_the_writers_error_and_the_transaction_keeps_nothing(db_url):
    """A batch the database refuses, written by ``bulk.WriteBehind``'s thread: the error reaches
    the caller when the block ends, later batches are not written, the caller's transaction
    rolls back whole, and the interpreter's switch interval is untouched (the app's server runs
    other sessions: only a command sets it, ``gcpause.short_switch_interval``)."""
    import sys

    from engine.store import bulk
    from engine.store.schema import AgencyRow

    table = AgencyRow.__table__
    rows = [{"agency_id": f"AG{i:04d}", "name": f"หน่วยงาน {i}", "serves_public": True, "name_en": None,
             "website": None} for i in range(1200)]
    interval = sys.getswitchinterval()
    with pytest.raises(Exception, match="(?i)unique|duplicate"):  # the driver's own error (raw DB-API)
        with transaction(db_url) as s:
            with bulk.WriteBehind(s) as writes:
                writes.insert(table, rows[:600])
                assert sys.getswitchinterval() == interval
                writes.insert(table, rows[599:601])  # AG0599 again
                writes.insert(table, rows[601:])
    assert sys.getswitchinterval() == interval
    with transaction(db_url) as s:
        assert s.scalar(select(func.count()).select_from(table)) == 0
    with transaction(db_url) as s:  # and when nothing is refused, every batch is written, in order
        with bulk.WriteBehind(s) as writes:
            for i in range(0, 1200, 250):
                writes.insert(table, rows[i:i + 250])
    with transaction(db_url) as s:
        assert s.execute(select(table.c.agency_id, table.c.name)).all() == [(r["agency_id"], r["name"]) for r in rows]


def test_write_behind_streams_consecutive_batches_of_the_same_rows_into_one_copy(db_url, monkeypatch):
    """PostgreSQL: batches of the same table and columns go into one COPY kept open between them
    (the server takes rows in as they come), a short last one too; other columns start another.
    SQLite: no COPY."""
    from engine.store import bulk
    from engine.store.schema import AgencyRow

    opened: list[tuple] = []
    real = bulk.CopyStream.__init__

    def recorded(self, conn, table, names):
        real(self, conn, table, names)
        opened.append(self.key)
    monkeypatch.setattr(bulk.CopyStream, "__init__", recorded)
    table = AgencyRow.__table__
    rows = [{"agency_id": f"AG{i:04d}", "name": f"หน่วยงาน {i}", "serves_public": True, "name_en": None,
             "website": None} for i in range(1503)]
    other = [{"agency_id": f"AH{i:04d}", "name": "อื่น", "serves_public": False} for i in range(600)]
    with transaction(db_url) as s:
        with bulk.WriteBehind(s) as writes:
            for i in range(0, 1503, 500):
                writes.insert(table, rows[i:i + 500])
            writes.insert(table, other)
    with transaction(db_url) as s:
        stored = dict(s.execute(select(table.c.agency_id, table.c.name)).all())
    assert stored == {r["agency_id"]: r["name"] for r in rows + other}
    if db_url.startswith("postgresql"):
        assert opened == [("agencies", tuple(rows[0])), ("agencies", tuple(other[0]))]
    else:
        assert opened == []


def test_a_runs_flags_are_filed_under_their_subjects_process_officer_and_date(db_url, tmp_path):
    """The links the queue filters by, worked out by the evaluation's workers with each flag:
    a case's process, officer and date (decided, else received — even after ``as_of``), a
    process's or an officer's own id (repeat applicants included), nothing for an agency."""
    from engine.demo.generate import generate

    generate(tmp_path / "demo", cases=600, seed=2, as_of=AS_OF)
    ds = load_dataset(tmp_path / "demo")
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "demo")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    cases = {c.case_id: c for c in ds.cases}
    expected = {"case": lambda i: (cases[i].process_id, cases[i].officer_id, cases[i].decided_on or cases[i].received_on),
                "process": lambda i: (i, None, None), "officer": lambda i: (None, i, None),
                "agency": lambda i: (None, None, None)}
    with transaction(db_url) as s:
        stored = s.execute(select(FlagRow.subject_type, FlagRow.subject_id, FlagRow.process_id, FlagRow.officer_id,
                                  FlagRow.event_date)).all()
    assert {t for t, *_ in stored} == {"case", "process", "officer", "agency"}
    for subject_type, subject_id, *link in stored:
        assert tuple(link) == expected[subject_type](subject_id), (subject_type, subject_id)


AWKWARD_TEXTS = ["", "\\N", "a\\b", "tab\there", "line\nbreak", "cr\rlf\r\n", "ชื่อ \"ไทย\" ๑๒", "'; DROP", " ", "\\"]


def test_copy_stores_every_value_as_sqlalchemys_own_insert_does(db_url):
    """``bulk.bulk_insert``'s rows (PostgreSQL: COPY, every batch forced through it; SQLite:
    statements of many rows) read back as the same values that SQLAlchemy's executemany
    stores: texts with backslashes, tabs, line breaks, quotes, Thai, the two characters \\N
    and empty; nulls, booleans and dates. JSON and times through COPY:
    ``test_bulk_writes_keep_the_lifecycle_versions_and_hash_chain``."""
    from engine.store import bulk
    from engine.store.schema import AgencyRow

    agencies = [{"agency_id": f"A{i:04d}", "name": text, "serves_public": i % 2 == 0,
                 "name_en": None if i % 3 == 0 else text[::-1], "website": text + "/x"}
                for i, text in enumerate(AWKWARD_TEXTS * 60)]
    cases = [{"case_id": f"C{i:04d}", "agency_id": "A0001", "process_id": "P", "officer_id": "O",
              "received_on": dt.date(2024, 1, 1) + dt.timedelta(days=i % 400), "discretion_used": i % 2 == 1,
              "decided_on": None if i % 4 else dt.date(2024, 6, 30), "outcome": AWKWARD_TEXTS[i % len(AWKWARD_TEXTS)],
              "via_it_system": None if i % 5 else False} for i in range(600)]
    stored = []
    for forced in (1, 10**9):  # every batch by COPY (PostgreSQL), then by SQLAlchemy's executemany
        before = bulk.COPY_FROM
        bulk.COPY_FROM = forced
        try:
            with transaction(db_url) as s:
                if forced == 1:
                    bulk.bulk_insert(s, AgencyRow.__table__, agencies)
                    bulk.bulk_insert(s, CaseRow.__table__, cases)
                else:
                    s.execute(AgencyRow.__table__.insert(), agencies)
                    s.execute(CaseRow.__table__.insert(), cases)
        finally:
            bulk.COPY_FROM = before
        with transaction(db_url) as s:
            stored.append([s.execute(select(t).order_by(*t.primary_key.columns)).all()
                           for t in (AgencyRow.__table__, CaseRow.__table__)])
            s.execute(CaseRow.__table__.delete())
            s.execute(AgencyRow.__table__.delete())
    assert stored[0] == stored[1]
    assert [r.name for r in stored[0][0]] == [a["name"] for a in agencies]
    assert [(r.case_id, r.outcome, r.decided_on, r.via_it_system) for r in stored[0][1]] == \
        [(c["case_id"], c["outcome"], c["decided_on"], c["via_it_system"]) for c in cases]


def test_an_import_writes_rows_in_the_order_a_run_reads_them_back(db_url, dataset_dir, monkeypatch):
    """By id, whatever the order the dataset holds them in (the columnar reader makes cases agency
    by agency): a run then reads the table in its stored order, not page by page at random."""
    from engine.store import data

    ds = load_dataset(dataset_dir(TWO_AGENCIES))
    ds.cases.reverse()
    written: list[str] = []
    real = data.bulk_insert

    def spy(session, table, rows):
        if table is CaseRow.__table__:
            written.extend(r["case_id"] for r in rows)
        return real(session, table, rows)

    monkeypatch.setattr(data, "bulk_insert", spy)
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "reversed")
    assert written == sorted(c.case_id for c in ds.cases) and len(written) == 3


def test_binary_copy_refuses_what_it_would_store_wrong(db_url):
    """PostgreSQL's binary COPY is not parsed by the server: a number out of its column's range
    or a yes/no given as text is refused (psycopg would wrap the number around, and store any
    text as true), and nothing of the transaction is kept. SQLite: the statements store them as
    SQLAlchemy does (no COPY)."""
    from engine.store import bulk
    from engine.store.schema import AgencyRow, RunRuleStat

    if not db_url.startswith("postgresql"):
        assert bulk.copy_type(AgencyRow.__table__.c.serves_public) == "bool"  # what PostgreSQL would use
        return
    agencies = [{"agency_id": f"A{i:04d}", "name": "ก", "serves_public": True, "name_en": None, "website": None}
                for i in range(600)]
    for bad, match in ((dict(agencies[5], serves_public="f"), "not true or false"),):
        with pytest.raises(ValueError, match=match), transaction(db_url) as s:
            bulk.bulk_insert(s, AgencyRow.__table__, agencies[:5] + [bad] + agencies[6:])
    with transaction(db_url) as s:
        assert s.scalar(select(func.count()).select_from(AgencyRow)) == 0
        run = EvaluationRun(as_of=AS_OF, parameters={}, kb_version="k", rules_version="r", agencies=[],
                            triggered_by="t", status="running", catalogue="2")
        s.add(run)
    stats = [{"run_id": run.id, "rule_id": f"r{i}", "evaluated": i, "flagged": 0} for i in range(600)]
    with pytest.raises(ValueError, match="fits int4"), transaction(db_url) as s:
        bulk.bulk_insert(s, RunRuleStat.__table__, stats[:9] + [dict(stats[9], evaluated=2**31)] + stats[10:])
    with transaction(db_url) as s:
        assert s.scalar(select(func.count()).select_from(RunRuleStat)) == 0


def test_a_failure_in_the_callers_block_keeps_nothing_the_writing_thread_took(db_url):
    """The caller's block fails while the writing thread has batches (PostgreSQL: an open COPY):
    the thread writes no more, the COPY ends as failed, the error is the caller's own, and the
    transaction keeps nothing."""
    from engine.store import bulk
    from engine.store.schema import AgencyRow

    rows = [{"agency_id": f"AG{i:04d}", "name": "ก", "serves_public": True, "name_en": None, "website": None}
            for i in range(2000)]
    with pytest.raises(KeyError, match="the caller's own"), transaction(db_url) as s:
        with bulk.WriteBehind(s) as writes:
            for i in range(0, 2000, 500):
                writes.insert(AgencyRow.__table__, rows[i:i + 500])
            raise KeyError("the caller's own")
    with transaction(db_url) as s:
        assert s.scalar(select(func.count()).select_from(AgencyRow)) == 0
        s.execute(AgencyRow.__table__.insert(), rows[:1])  # and the connection is sound again
