"""Duties due soon in the store (issue 23 item 1): a run records what it found due, with its flags
and in the same transaction, scoped by agency; the store's own duties — a round an administrator
opened, a confirmed flag's corrective action — come from the same terms and calendar as the
flags they prevent; the list the app and the digest read, soonest first, per role."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import crash_evaluation_on
from sqlalchemy import func, select
from test_due import AS_OF, OPEN_DUTIES

from engine.ingest.loader import load_dataset
from engine.store import duties, province, runs
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.review import act
from engine.store.runs import run_evaluation
from engine.store.schema import DutyRow, EvaluationRun, FlagRow
from engine.store.scope import SYSTEM, Scope

ADMIN = Scope("admin", "admin", None)
HEAD_A1 = Scope("head.a1", "agency_head", "A1")
SUP_A1 = Scope("sup.a1", "supervisor", "A1")
SUP_K2 = Scope("sup.k2", "supervisor", "K2")
PROVINCE = Scope("province", "provincial", None)
WARN = {"warn_within_working_days": "5"}
# the nine duties of test_due's dataset at AS_OF (worked out by hand there), the round's from the store
EXPECTED = {("1.1-unreviewed", "UNREVIEWED"): "2024-04-26", ("1.3-unreported-deviation", "DEVIATED"): "2024-04-29",
            ("1.3-uninvestigated", "REPORTED"): "2024-04-24", ("1.6-time-limit-exceeded", "PENDING"): "2024-04-25",
            ("1.6-delay-not-notified", "LATE"): "2024-04-24", ("1.2-manual-outdated", "PM"): "2024-04-23",
            ("1.4-no-risk-analysis", "A1"): "2024-04-22", ("1.8-no-monitoring", "A1"): "2024-04-23",
            ("2.3-not-reported", "A1"): "2024-04-25"}


@pytest.fixture
def store(db_url, dataset_dir):
    ds = load_dataset(dataset_dir(OPEN_DUTIES, replace=["risk_analyses", "monitoring_reports", "acknowledgements"]))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "fixture")
        # the round of fiscal year 2567, opened as the administrator does from the province's letter
        province.open_round(s, ADMIN, 2567, dt.date(2024, 4, 25), "หนังสือจังหวัด ขก 0017.5/ว 1 (ทดสอบ)")
    return db_url


def stored(url, scope=SYSTEM):
    with transaction(url) as s:
        return {(d["rule_id"], d["subject_id"]): d for d in duties.due_soon(s, scope, on=AS_OF, kinds=["duty"])}


def test_a_run_records_its_duties_with_the_stored_round_and_replaces_them_on_the_next(store):
    run_id = run_evaluation(session_factory(store), SYSTEM, AS_OF, WARN)
    found = stored(store)
    assert {k: d["due_on"].isoformat() for k, d in found.items()} == EXPECTED
    assert found[("2.3-not-reported", "A1")]["working_days_left"] == 3 and not found[("2.3-not-reported", "A1")]["late"]
    assert found[("1.1-unreviewed", "UNREVIEWED")]["case_id"] == "UNREVIEWED"
    assert found[("1.1-unreviewed", "UNREVIEWED")]["officer_id"] == "OFF1"
    with transaction(store) as s:
        assert set(s.scalars(select(DutyRow.run_id))) == {run_id}
    # the next run replaces them: the same duties, once, from the later run
    second = run_evaluation(session_factory(store), SYSTEM, AS_OF, WARN)
    with transaction(store) as s:
        assert s.scalar(select(func.count()).select_from(DutyRow)) == len(EXPECTED)
        assert set(s.scalars(select(DutyRow.run_id))) == {second}
    # a day later, what was due on the 22nd is a flag, no longer a duty; the rest is counted from the 23rd
    run_evaluation(session_factory(store), SYSTEM, AS_OF + dt.timedelta(days=1), WARN)
    later = stored(store)
    assert ("1.4-no-risk-analysis", "A1") not in later and ("2.3-not-reported", "A1") in later
    with transaction(store) as s:
        assert s.scalar(select(FlagRow.status).where(FlagRow.rule_id == "1.4-no-risk-analysis")) == "open"


def test_duties_are_scoped_by_agency_and_counted_from_the_day_asked(store):
    run_evaluation(session_factory(store), SYSTEM, AS_OF, WARN)
    assert set(stored(store, SUP_A1)) == set(EXPECTED) == set(stored(store, PROVINCE))
    assert stored(store, SUP_K2) == {}
    with transaction(store) as s:
        two_days_on = {(d["rule_id"], d["subject_id"]): d for d in duties.due_soon(s, HEAD_A1, on=dt.date(2024, 4, 24))}
    # a duty whose day has passed since the run is late (the next run flags it); the rest count down
    assert (two_days_on[("1.2-manual-outdated", "PM")]["late"], two_days_on[("1.2-manual-outdated", "PM")]
            ["working_days_left"]) == (True, 1)
    assert (two_days_on[("2.3-not-reported", "A1")]["late"], two_days_on[("2.3-not-reported", "A1")]
            ["working_days_left"]) == (False, 1)
    # and each says so, counted from the day asked
    assert two_days_on[("2.3-not-reported", "A1")]["message_th"].endswith("ภายใน 25 เม.ย. 2567 (อีก 1 วันทำการ)")
    assert two_days_on[("1.2-manual-outdated", "PM")]["message_en"].endswith("by 2024-04-23 (1 working day late).")
    days = [d["due_on"] for d in two_days_on.values()]
    assert days == sorted(days)


def test_a_confirmed_flags_corrective_action_is_listed_before_it_is_due_and_is_a_flag_the_day_after(store):
    run_evaluation(session_factory(store), SYSTEM, AS_OF - dt.timedelta(days=7), WARN)
    with transaction(store) as s:
        flag_id = s.scalar(select(FlagRow.flag_id).where(FlagRow.agency_id == "A1", FlagRow.status == "open",
                                                         FlagRow.subject_type == "case").order_by(FlagRow.flag_id))
        act(s, HEAD_A1, flag_id, "confirm", corrective_action="ทบทวนคำสั่ง", due_date=dt.date(2024, 4, 24),
            today=AS_OF - dt.timedelta(days=7))
    run_evaluation(session_factory(store), SYSTEM, AS_OF, WARN)
    listed = [d for d in stored(store).values() if d["rule_id"] == "1.8-corrective-action-overdue"]
    assert [(d["flag_id"], d["due_on"], d["working_days_left"]) for d in listed] == [(flag_id, dt.date(2024, 4, 24), 2)]
    run_evaluation(session_factory(store), SYSTEM, dt.date(2024, 4, 24), WARN)  # its last day: still a duty
    with transaction(store) as s:
        assert s.scalar(select(FlagRow.status).where(FlagRow.rule_id == "1.8-corrective-action-overdue")) is None
        assert runs.corrective_actions_overdue(s, SYSTEM, dt.date(2024, 4, 25)) == {"A1": (1, dt.date(2024, 4, 24))}
    run_evaluation(session_factory(store), SYSTEM, dt.date(2024, 4, 25), WARN)  # left undone: the rule's flag
    with transaction(store) as s:
        assert s.scalar(select(FlagRow.status).where(FlagRow.rule_id == "1.8-corrective-action-overdue")) == "open"
    assert not [d for d in stored(store).values() if d["rule_id"] == "1.8-corrective-action-overdue"]


def test_duties_are_written_in_the_runs_transaction_with_its_flags(store, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(duties, "replace_duties", broken)
    with pytest.raises(RuntimeError):
        run_evaluation(session_factory(store), SYSTEM, AS_OF, WARN)
    with transaction(store) as s:  # neither its flags nor its duties: the run failed whole
        assert s.scalar(select(func.count()).select_from(FlagRow)) == 0
        assert s.scalar(select(func.count()).select_from(DutyRow)) == 0
        assert s.scalar(select(EvaluationRun.status)) == "failed"


def test_an_agency_whose_evaluation_fails_keeps_the_duties_its_last_run_found(store, monkeypatch):
    run_evaluation(session_factory(store), SYSTEM, AS_OF, WARN)
    dump = crash_evaluation_on("A1", monkeypatch)
    try:
        run_evaluation(session_factory(store), SYSTEM, AS_OF + dt.timedelta(days=1), WARN, jobs=1)
    finally:
        dump.unlink(missing_ok=True)
    assert {k: d["due_on"].isoformat() for k, d in stored(store).items()} == EXPECTED


def test_an_account_linked_to_an_officer_sees_the_duties_of_their_team(store, monkeypatch):
    """Accounts linked to officers (users.officer_id) come with issue 20 item 3; until then the
    list is the agency's. A supervisor linked to SUP sees SUP's team (OFF1 decides under SUP)."""
    run_evaluation(session_factory(store), SYSTEM, AS_OF, WARN)
    monkeypatch.setattr(duties, "linked_officer", lambda session, scope: {"sup.a1": "SUP", "sup.x": "OFF2"}.get(
        scope.username))
    mine = stored(store, SUP_A1)
    assert {d["officer_id"] for d in mine.values()} == {"OFF1"} and ("1.1-unreviewed", "UNREVIEWED") in mine
    assert stored(store, Scope("sup.x", "supervisor", "A1")) == {}  # nothing of OFF2's team is due
    assert set(stored(store, HEAD_A1)) == set(EXPECTED)  # the head answers for the whole agency
