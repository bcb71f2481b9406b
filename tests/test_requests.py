"""Requests for information to a named officer (issue 23 item 4): made on a flag, with a reply-by
date counted in working days on the government calendar, listed in the officer's (for now: the
agency's) due-soon list until answered, answered in the app, audited as flag events — and
``audit verify`` stays green and catches a request changed behind the trail's back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from engine.ingest.loader import load_dataset
from engine.store import duties, requests
from engine.store.replay import verify
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.runs import run_evaluation
from engine.store.review import ReviewError, StaleFlag, act, get_flag
from engine.store.schema import FlagEvent, FlagRow, InformationRequest, OfficerRow
from engine.store.scope import SYSTEM, Scope

SUP_A1 = Scope("sup.a1", "supervisor", "A1")
HEAD_A1 = Scope("head.a1", "agency_head", "A1")
ASKED = dt.date(2024, 4, 11)  # a Thursday: Friday 12 (a bridge day off), Songkran 13–16 April
REPLY_BY = dt.date(2024, 4, 23)  # 5 working days: 17, 18, 19, 22 and Tuesday 23 April


# three discretionary decisions nobody reviewed: rule 1.1-unreviewed flags each of them
UNREVIEWED = {"cases": [
    {"case_id": f"U{i}", "process_id": "P1", "officer_id": "OFF1", "applicant_id": f"Y{i}", "received_on": "2024-03-01",
     "decided_on": "2024-03-04", "discretion_used": "true", "legal_basis": "มาตรา 1", "via_it_system": "true"}
    for i in range(3)]}


@pytest.fixture
def agency_db(db_url, dataset_dir):
    """The base dataset with three unreviewed decisions, evaluated on 10 April 2024."""
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(UNREVIEWED)), "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 4, 10))
    return db_url


def open_flag(url: str, but: str | None = None) -> str:
    with transaction(url) as s:
        return s.scalar(select(FlagRow.flag_id).where(FlagRow.agency_id == "A1", FlagRow.status == "open",
                                                      FlagRow.subject_type == "case", FlagRow.flag_id != (but or ""))
                        .order_by(FlagRow.flag_id))


def ask(url: str, flag_id: str, officer_id: str | None = "OFF1", days: int | None = 5, **kw) -> None:
    with transaction(url) as s:
        act(s, SUP_A1, flag_id, "request_info", reason="ขอสำเนาคำสั่งอนุญาต", officer_id=officer_id,
            reply_within_days=days, today=ASKED, **kw)


def listed(url: str, scope: Scope = HEAD_A1, on: dt.date = ASKED) -> list[dict]:
    with transaction(url) as s:
        return duties.due_soon(s, scope, on=on, kinds=["request"])


def test_a_request_names_an_officer_of_the_agency_and_a_reply_by_date_in_working_days(agency_db):
    flag_id = open_flag(agency_db)
    ask(agency_db, flag_id)
    with transaction(agency_db) as s:
        row = s.scalar(select(InformationRequest))
        event = s.scalar(select(FlagEvent).where(FlagEvent.action == "request_info"))
        assert (row.flag_id, row.officer_id, row.reply_within_days, row.reply_by, row.asked_by, row.question) == (
            flag_id, "OFF1", 5, REPLY_BY, "sup.a1", "ขอสำเนาคำสั่งอนุญาต")
        assert event.details == {"officer_id": "OFF1", "reply_within_days": 5, "reply_by": "2024-04-23",
                                 "request_id": row.id}
        assert get_flag(s, SUP_A1, flag_id).status == "needs_info"
    [item] = listed(agency_db)
    assert (item["kind"], item["flag_id"], item["officer_id"], item["due_on"], item["working_days_left"],
            item["late"]) == ("request", flag_id, "OFF1", REPLY_BY, 5, False)
    assert "ต้องตอบคำขอข้อมูลเพิ่มเติม" in item["message_th"] and "23 เม.ย. 2567" in item["message_th"]
    # counted on from a later day, and late once the day has passed
    assert [(i["working_days_left"], i["late"]) for i in listed(agency_db, on=dt.date(2024, 4, 19))] == [(2, False)]
    assert [(i["working_days_left"], i["late"]) for i in listed(agency_db, on=dt.date(2024, 4, 25))] == [(2, True)]
    # the default period is the knowledge base's
    assert requests.default_days() == 5


def test_the_officer_it_is_addressed_to_sees_it_in_their_list(agency_db, monkeypatch):
    """An account linked to an officer (users.officer_id, issue 20 item 3) sees the requests to
    them and their team; until accounts are linked, the agency's users see them all."""
    ask(agency_db, open_flag(agency_db), officer_id="OFF2")
    monkeypatch.setattr(duties, "linked_officer", lambda session, scope: {"off2": "OFF2", "off1": "OFF1",
                                                                          "sup": "SUP"}.get(scope.username))
    assert [i["officer_id"] for i in listed(agency_db, Scope("off2", "supervisor", "A1"))] == ["OFF2"]
    assert listed(agency_db, Scope("off1", "supervisor", "A1")) == []
    assert [i["officer_id"] for i in listed(agency_db, Scope("sup", "supervisor", "A1"))] == ["OFF2"]  # SUP's team
    assert listed(agency_db, Scope("sup.k2", "supervisor", "K2")) == []


@pytest.mark.parametrize("officer_id, days, says", [
    ("OFF-NOBODY", 5, "ไม่มีเจ้าหน้าที่รหัส OFF-NOBODY ในหน่วยงานของข้อสังเกตนี้"),
    ("K2OFF", 5, "ไม่มีเจ้าหน้าที่รหัส K2OFF ในหน่วยงานของข้อสังเกตนี้"),  # another agency's: not said to exist
    ("OFF1", 0, "ระยะเวลาตอบต้องเป็น 1–60 วันทำการ"),
    ("OFF1", 61, "ระยะเวลาตอบต้องเป็น 1–60 วันทำการ"),
    (None, 5, "ต้องระบุเจ้าหน้าที่ผู้ต้องตอบคำขอ"),
])
def test_a_request_to_nobody_in_the_agency_or_for_a_period_out_of_range_changes_nothing(
        agency_db, officer_id, days, says):
    flag_id = open_flag(agency_db)
    with transaction(agency_db) as s:  # an officer of another agency, stored
        s.add(OfficerRow(officer_id="K2OFF", agency_id="K2", name="เจ้าหน้าที่หน่วยงานอื่น"))
    with pytest.raises(ReviewError) as refused:
        ask(agency_db, flag_id, officer_id, days)
    assert says in str(refused.value)
    with transaction(agency_db) as s:
        assert s.get(FlagRow, flag_id).status == "open"
        assert s.scalar(select(func.count()).select_from(InformationRequest)) == 0
        assert s.scalar(select(func.count()).select_from(FlagEvent).where(FlagEvent.action == "request_info")) == 0


def test_a_request_on_a_flag_changed_meanwhile_is_refused_and_leaves_no_request(agency_db):
    flag_id = open_flag(agency_db)
    with pytest.raises(StaleFlag):
        ask(agency_db, flag_id, expected_version=99)
    with transaction(agency_db) as s:
        assert s.scalar(select(func.count()).select_from(InformationRequest)) == 0


def test_the_answer_is_recorded_on_the_request_and_told_to_who_asked(agency_db):
    flag_id = open_flag(agency_db)
    ask(agency_db, flag_id)
    before = dt.datetime(2000, 1, 1)
    with transaction(agency_db) as s:
        act(s, HEAD_A1, flag_id, "answer", reason="ส่งสำเนาคำสั่งแล้ว เลขที่ 12/2567", today=ASKED)
    with transaction(agency_db) as s:
        row = s.scalar(select(InformationRequest))
        assert (row.answer, row.answered_by) == ("ส่งสำเนาคำสั่งแล้ว เลขที่ 12/2567", "head.a1")
        assert s.scalar(select(FlagEvent.details).where(FlagEvent.action == "answer")) == {"request_id": row.id}
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(seconds=1)
        told = requests.answered_since(s, SUP_A1, before, now)
        assert [(r["flag_id"], r["answer"]) for r in told] == [(flag_id, "ส่งสำเนาคำสั่งแล้ว เลขที่ 12/2567")]
        assert requests.answered_since(s, HEAD_A1, before, now) == []  # the head did not ask
        assert requests.answered_since(s, SUP_A1, now, now) == []  # nothing new since
    assert listed(agency_db) == []  # answered: nobody's deadline any more


def test_a_flag_decided_without_the_answer_closes_the_request_and_a_new_request_is_the_one_awaited(agency_db):
    flag_id = open_flag(agency_db)
    ask(agency_db, flag_id)
    with transaction(agency_db) as s:
        act(s, HEAD_A1, flag_id, "dismiss", reason="ตรวจแล้วถูกต้อง", today=ASKED)
    assert listed(agency_db) == []
    with transaction(agency_db) as s:
        act(s, HEAD_A1, flag_id, "reopen", reason="มีข้อมูลใหม่", today=ASKED)
    ask(agency_db, flag_id, officer_id="OFF2", days=1)
    assert [(i["officer_id"], i["due_on"]) for i in listed(agency_db)] == [("OFF2", dt.date(2024, 4, 17))]


def test_audit_verify_replays_requests_and_names_one_changed_added_or_deleted_behind_its_trail(agency_db):
    flag_id = open_flag(agency_db)
    ask(agency_db, flag_id)
    with transaction(agency_db) as s:
        act(s, HEAD_A1, flag_id, "answer", reason="ส่งแล้ว", today=ASKED)
    second = open_flag(agency_db, but=flag_id)
    ask(agency_db, second, officer_id="OFF2")
    with transaction(agency_db) as s:
        _, broken = verify(s, SYSTEM)
        assert broken == []
        first_id = s.scalar(select(InformationRequest.id).where(InformationRequest.flag_id == flag_id))
        s.execute(text("UPDATE information_requests SET reply_by = :d, answer = 'ไม่มี' WHERE id = :i"),
                  {"d": dt.date(2024, 5, 31), "i": first_id})
        s.execute(text("DELETE FROM information_requests WHERE flag_id = :f"), {"f": second})
        s.execute(text("INSERT INTO information_requests (id, flag_id, agency_id, officer_id, question, asked_by, "
                       "asked_at) VALUES (99, :f, 'A1', 'OFF3', 'ปลอม', 'sup.a1', :at)"),
                  {"f": second, "at": dt.datetime(2024, 4, 11)})
    with transaction(agency_db) as s:
        _, broken = verify(s, SYSTEM)
    said = {(b.table, str(b.event_id)): b.what for b in broken}
    assert set(t for t, _ in said) == {"information_requests"}, said
    changed = said[("information_requests", str(first_id))]
    assert "ตอบภายใน ในตารางคือ '2024-05-31' แต่ประวัติบอกว่า '2024-04-23'" in changed
    assert "its answer is 'ไม่มี' but its events say 'ส่งแล้ว'" in changed
    assert any("it was deleted" in w for w in said.values())
    assert any("it was added without the trail" in w for w in said.values())


def test_requests_are_rebuilt_from_their_events_after_a_downgrade_below_0021_and_back(agency_db):
    from alembic import command

    from engine.store.migrate import alembic_config

    flag_id = open_flag(agency_db)
    ask(agency_db, flag_id)
    with transaction(agency_db) as s:
        act(s, HEAD_A1, flag_id, "answer", reason="ส่งแล้ว", today=ASKED)
    ask(agency_db, open_flag(agency_db, but=flag_id), officer_id="OFF2")

    def rows() -> list[tuple]:
        with transaction(agency_db) as s:
            return [tuple(getattr(r, c.name) for c in InformationRequest.__table__.columns)
                    for r in s.scalars(select(InformationRequest).order_by(InformationRequest.id))]

    before = rows()
    command.downgrade(alembic_config(agency_db), "0020")
    command.upgrade(alembic_config(agency_db), "head")
    assert rows() == before and len(before) == 2
    assert [i["officer_id"] for i in listed(agency_db)] == ["OFF2"]
    ask(agency_db, third_flag(agency_db), officer_id="OFF3")
    with transaction(agency_db) as s:  # a new request after the rebuild takes the next id
        assert s.scalar(select(func.max(InformationRequest.id))) == max(r[0] for r in before) + 1
        assert verify(s, SYSTEM)[1] == []


def third_flag(url: str) -> str:
    with transaction(url) as s:
        return s.scalar(select(FlagRow.flag_id).where(FlagRow.status == "open", FlagRow.subject_type == "case")
                        .order_by(FlagRow.flag_id.desc()))
