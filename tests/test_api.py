"""The intake API (issue 23 item 2): its contract, its tokens and its trail, what a post does to
reviewers' decisions, and posts and runs at the same time. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import live_threads
from sqlalchemy import func, select, text

from engine.api.app import create_app
from engine.api.openapi import EXAMPLE_REQUEST
from engine.api.throttle import Rates, Throttle
from engine.cli import main
from engine.ingest.loader import load_dataset
from engine.store.access import add_user
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.review import ReviewError, act, get_flag
from engine.store.runs import run_evaluation
from engine.store.schema import (
    ApiTokenEvent,
    CaseRow,
    DatasetImport,
    DelayNoticeRow,
    EscalationRow,
    EvaluationRun,
    FlagEvent,
    FlagRow,
    IntakeEvent,
    RunAgencyRuleStat,
)
from engine.store.scope import SYSTEM, Scope
from engine.store.tokens import add_token, revoke_token, token_hash

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

AS_OF = dt.date(2024, 4, 20)
SUP = Scope("sup.a1", "supervisor", "A1")
PATH = "/v1/agencies/{}/records"
STRONG = "Udon-jasmine-ledger-2569"
# decided, used discretion, not reviewed and no legal basis: 1.1-unreviewed and 1.1-no-legal-basis
N1 = {"case_id": "N1", "process_id": "P1", "officer_id": "OFF1", "received_on": "1/4/2567",
      "decided_on": "2024-04-02", "discretion_used": True, "via_it_system": "ใช่"}


def thai(text: str) -> bool:
    return any("\u0e00" <= ch <= "\u0e7f" for ch in text)


class Api:
    """A client of the API over one store, with a token of A1 (``token``)."""

    def __init__(self, url: str, **options):
        self.url = url
        with transaction(url) as s:
            self.token = add_token(s, SYSTEM, "A1", "ระบบทดสอบ")[1]
        options.setdefault("as_of", lambda: AS_OF)
        options.setdefault("jobs", 1)
        options.setdefault("rates", Rates(per_minute=6000, burst=1000))
        self.client = TestClient(create_app(url, **options))

    def post(self, records, agency: str = "A1", token: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if isinstance(records, (bytes, str)):
            return self.client.post(PATH.format(agency), content=records, headers={**headers, **kwargs})
        return self.client.post(PATH.format(agency), json=records, headers=headers)


@pytest.fixture
def api(agency_db):
    return Api(agency_db)


def counts(url: str) -> dict[str, int]:
    """How many rows the post could have written, everywhere."""
    with transaction(url) as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in
                (CaseRow, EscalationRow, DelayNoticeRow, DatasetImport, IntakeEvent, FlagRow, FlagEvent,
                 EvaluationRun)}


def uses(url: str) -> list[ApiTokenEvent]:
    with transaction(url) as s:
        return list(s.scalars(select(ApiTokenEvent).where(ApiTokenEvent.action.in_(("used", "refused")))
                              .order_by(ApiTokenEvent.id)))


def flags_of(body: dict, which: str) -> set[tuple[str, str]]:
    return {(f["rule_id"], f["subject_id"]) for f in body["flags"][which]}


# --- the contract ---

def test_a_post_stores_its_rows_evaluates_the_agency_and_lists_the_flags_opened_and_cleared(api, capsys):
    r = api.post({"cases": [N1]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["as_of"] == "2024-04-20" and body["agency_id"] == "A1"
    assert body["stored"] == {"cases": {"inserted": 1, "updated": 0, "unchanged": 0}}
    assert flags_of(body, "opened") == {("1.1-unreviewed", "N1"), ("1.1-no-legal-basis", "N1")}
    assert body["flags"]["reopened"] == [] and body["flags"]["cleared"] == []
    opened = {f["rule_id"]: f for f in body["flags"]["opened"]}
    assert thai(opened["1.1-unreviewed"]["message_th"]) and "N1" in opened["1.1-unreviewed"]["message_en"]
    assert {(f["rule_id"], f["status"]) for f in body["current"]} == {("1.1-unreviewed", "open"),
                                                                      ("1.1-no-legal-basis", "open")}
    with transaction(api.url) as s:
        case = s.get(CaseRow, "N1")
        assert (case.agency_id, case.received_on, case.via_it_system) == ("A1", dt.date(2024, 4, 1), True)
        event = s.scalars(select(IntakeEvent)).one()
        assert (event.actor, event.agency_id, event.file, event.row_key, event.action) == \
            ("token #1", "A1", "cases", "case_id N1", "inserted")
        assert event.details["values"]["decided_on"] == "2024-04-02" and event.import_id == body["import_id"]
        run = s.get(EvaluationRun, body["run_id"])
        assert (run.agencies, run.triggered_by, run.status, run.as_of, run.flags_new) == \
            (["A1"], "token #1", "succeeded", AS_OF, 2)
        # the fixture's run evaluated A1 whole at this date: the case posted is evaluated alone (with the
        # agency, its processes and officers), and that run keeps the per-rule counts of A1
        assert run.parameters["cases_alone"] == ["N1"]
        assert s.scalar(select(func.count()).select_from(RunAgencyRuleStat)
                        .where(RunAgencyRuleStat.run_id == run.id)) == 0
    used = uses(api.url)[-1]
    assert (used.action, used.token_id, used.agency_id, used.details["status"], used.details["import_id"]) == \
        ("used", 1, "A1", 200, body["import_id"])
    # the same case with its legal basis: one row updated, the flag it answers cleared, nothing opened
    r = api.post({"cases": [{**N1, "legal_basis": "มาตรา 5"}]})
    body = r.json()
    assert body["stored"]["cases"] == {"inserted": 0, "updated": 1, "unchanged": 0}
    assert flags_of(body, "cleared") == {("1.1-no-legal-basis", "N1")} and body["flags"]["opened"] == []
    assert body["flags"]["cleared"][0]["status"] == "cleared_by_data"
    with transaction(api.url) as s:
        event = s.scalars(select(IntakeEvent).order_by(IntakeEvent.id.desc()).limit(1)).one()
        assert (event.action, event.details) == ("updated", {"changed": {"legal_basis": [None, "มาตรา 5"]}})
    # and posted again as it is: unchanged, nothing flagged anew
    body = api.post({"cases": [{**N1, "legal_basis": "มาตรา 5"}]}).json()
    assert body["stored"]["cases"]["unchanged"] == 1 and not any(body["flags"].values())
    assert main(["audit", "verify", "--db", api.url]) == 0
    assert "intake_events 3" in capsys.readouterr().out


def test_bad_rows_are_refused_whole_with_every_problem_in_thai_and_english(api):
    before = counts(api.url)
    records = {
        "cases": [
            {**N1, "case_id": "GOOD1"},  # valid: not stored either
            {**N1, "case_id": "BAD1", "decided_on": "31/2/2567"},
            {**N1, "case_id": "BAD2", "officer_id": None, "discretion_used": "บางที"},
            {**N1, "case_id": "BAD3", "reviewed_by": "SUP"},
            {**N1, "case_id": "BAD4", "process_id": "P9"},
            {**N1, "case_id": "GOOD1", "decided_on": [2024, 4, 2]},
        ],
        "escalations": [{"report_id": "E1", "case_id": "NOPE", "reported_by": "OFF1", "reported_to": "X9",
                         "reported_on": "2024-04-05"}],
        "casez": [],
        "officers": [{"officer_id": "OFF9", "agency_id": "A1", "name": "ใหม่", "supervisor_id": "OFF9",
                      "ethics_acknowleged_on": "2024-01-01"}],
    }
    r = api.post(records)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == {"th": "ข้อมูลที่ส่งมามีปัญหา 11 รายการ ไม่ได้บันทึกสิ่งใด",
                             "en": "11 problems in the records posted; nothing was stored"}
    found = [(p["file"], p["row"], p["column"], p["value"]) for p in body["problems"]]
    assert sorted(found, key=str) == sorted([
        ("cases", 2, "decided_on", "31/2/2567"),
        ("cases", 3, "officer_id", None), ("cases", 3, "discretion_used", "บางที"),
        ("cases", 4, "reviewed_on", None),
        ("cases", 5, "process_id", "P9"),
        ("cases", 6, "case_id", "GOOD1"), ("cases", 6, "decided_on", "[2024, 4, 2]"),
        ("escalations", 1, "case_id", "NOPE"), ("escalations", 1, "reported_to", "X9"),
        ("officers", 1, "supervisor_id", "OFF9"),
        ("casez", None, None, None)], key=str)
    assert [f for f, *_ in found] == ["officers"] + ["cases"] * 7 + ["escalations"] * 2 + ["casez"]  # file order
    for p in body["problems"]:
        assert thai(p["reason_th"]) and re.match(r"[a-z(\d]", p["reason_en"]) and p["reason_th"] != p["reason_en"], p
        assert p["index"] == (p["row"] - 1 if p["row"] else None)
    by_place = {(p["file"], p["row"], p["column"]): p for p in body["problems"]}
    assert by_place[("cases", 6, "case_id")]["reason_en"] == "duplicate id (first used in data row 1)"
    assert by_place[("cases", 6, "case_id")]["reason_th"] == "รหัสซ้ำ (ใช้ครั้งแรกในแถวข้อมูลที่ 1)"
    assert by_place[("cases", 5, "process_id")]["reason_th"] == "ไม่พบรหัสนี้ในข้อมูลกระบวนงาน"
    assert by_place[("cases", 4, "reviewed_on")]["reason_en"] == "reviewed_by is given, so reviewed_on is required too"
    assert "cycle" in by_place[("officers", 1, "supervisor_id")]["reason_en"]
    assert "did you mean 'cases'" in by_place[("casez", None, None)]["reason_en"]
    assert [w["en"] for w in body["warnings"]] == [
        "officers: unknown column 'ethics_acknowleged_on' ignored (did you mean 'ethics_acknowledged_on'?)"]
    assert thai(body["warnings"][0]["th"])
    assert counts(api.url) == before  # nothing of it, the valid case included
    refused = uses(api.url)[-1]
    assert (refused.action, refused.details["status"], refused.details["problems"]) == ("refused", 422, 11)


def test_rows_of_files_without_ids_replace_the_stored_rows_of_their_natural_key(api):
    """A monitoring report of a stored day, an acknowledgement of a stored round: replaced, not added;
    an analysis the ethics committee recorded in the app stays whatever is posted for its day."""
    from engine.store.analytics import record_analysis
    from engine.store.schema import AcknowledgementRow, MonitoringReportRow, RiskAnalysisRow

    with transaction(api.url) as s:
        record_analysis(s, Scope("head.a1", "agency_head", "A1"), "A1", dt.date(2024, 2, 1), True, participants="คณะกรรมการ",
                        risks="ความเสี่ยง", rotation_plan=None, controls=None)
    body = api.post({
        "monitoring_reports": [{"agency_id": "A1", "reported_on": "2024-03-01", "by": "SUP"},
                               {"agency_id": "A1", "reported_on": "1/4/2567", "by": "HEAD"}],
        "acknowledgements": [{"agency_id": "A1", "staff_total": 12, "staff_acknowledged": "๑๑",
                              "published_url": "https://a1.example.go.th/o48", "reported_on": "2019-06-19"}],
        "risk_analyses": [{"agency_id": "A1", "analysed_on": "2024-02-01", "ethics_committee": True}]}).json()
    assert body["stored"] == {"risk_analyses": {"inserted": 1, "updated": 0, "unchanged": 0},
                              "monitoring_reports": {"inserted": 1, "updated": 1, "unchanged": 0},
                              "acknowledgements": {"inserted": 0, "updated": 1, "unchanged": 0}}
    with transaction(api.url) as s:
        reports = s.execute(select(MonitoringReportRow.reported_on, MonitoringReportRow.by)
                            .order_by(MonitoringReportRow.reported_on)).all()
        assert reports == [(dt.date(2024, 3, 1), "SUP"), (dt.date(2024, 4, 1), "HEAD")]
        acks = s.execute(select(AcknowledgementRow.staff_total, AcknowledgementRow.staff_acknowledged)).all()
        assert acks == [(12, 11)]
        analyses = s.execute(select(RiskAnalysisRow.source, RiskAnalysisRow.analysed_on)
                             .order_by(RiskAnalysisRow.source)).all()
        assert analyses == [("app", dt.date(2024, 2, 1)), ("import", dt.date(2024, 2, 1))]
        event = s.scalars(select(IntakeEvent).where(IntakeEvent.file == "monitoring_reports",
                                                    IntakeEvent.action == "updated")).one()
        assert (event.row_key, event.details) == ("reported_on=2024-03-01", {"changed": {"by": ["HEAD", "SUP"]}})
    # posted twice for one day in one post: which one to keep would be a guess
    r = api.post({"monitoring_reports": [{"agency_id": "A1", "reported_on": "2024-05-01"},
                                         {"agency_id": "A1", "reported_on": "1/5/2567", "by": "HEAD"}]})
    assert r.status_code == 422
    (p,) = r.json()["problems"]
    assert (p["file"], p["row"], p["column"], p["value"]) == ("monitoring_reports", 2, "reported_on", "2024-05-01")
    assert "the same as row 1 of this post" in p["reason_en"] and thai(p["reason_th"])


def test_a_stored_row_that_a_post_makes_wrong_is_named_by_its_id(api):
    """A delay notice is stored; a post moves its case's receipt after the notice: refused, and the
    problem names the stored notice (its id), not a row of the post."""
    notice = {"notice_id": "D1", "case_id": "BASE1", "notified_on": "2024-04-01", "opdc_copied": True}
    assert api.post({"delay_notices": [notice]}).status_code == 200
    base = {"case_id": "BASE1", "process_id": "P1", "officer_id": "OFF1", "applicant_id": "X1",
            "received_on": "2024-04-02", "decided_on": "2024-04-03", "discretion_used": True,
            "legal_basis": "มาตรา 1", "reviewed_by": "SUP", "reviewed_on": "2024-04-04", "via_it_system": True}
    r = api.post({"cases": [base]})
    assert r.status_code == 422
    (p,) = r.json()["problems"]
    assert (p["file"], p["stored_row"], p["row"], p["index"], p["column"], p["value"]) == \
        ("delay_notices", "notice_id D1", None, None, "notified_on", "2024-04-01")
    assert p["reason_en"] == "notified before the case was received (2024-04-02)"
    assert p["reason_th"] == "วันที่แจ้งเหตุล่าช้าอยู่ก่อนวันที่รับเรื่อง (2024-04-02)"
    with transaction(api.url) as s:
        assert s.get(CaseRow, "BASE1").received_on == dt.date(2024, 4, 1)


def test_no_token_an_unknown_one_or_a_revoked_one_gets_401_and_stores_nothing(api):
    before = counts(api.url)
    r = api.client.post(PATH.format("A1"), json={"cases": [N1]})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["th"].startswith("ต้องแนบโทเคน") and "Authorization: Bearer" in r.json()["error"]["en"]
    assert api.client.post(PATH.format("A1"), json={"cases": [N1]},
                           headers={"Authorization": f"Basic {api.token}"}).status_code == 401
    r = api.post({"cases": [N1]}, token="drt_" + "x" * 43)
    assert r.status_code == 401 and r.json()["error"] == {"th": "โทเคนไม่ถูกต้อง: ไม่มีโทเคนนี้ในระบบ", "en": "unknown token"}
    with transaction(api.url) as s:
        revoke_token(s, SYSTEM, 1)
    r = api.post({"cases": [N1]})
    assert r.status_code == 401 and r.json()["error"]["en"] == "this token was revoked; ask an administrator for a new one"
    assert counts(api.url) == before
    refused = [(u.token_id, u.details["status"], u.details["reason"]) for u in uses(api.url)]
    assert refused == [(None, 401, "unknown token"), (1, 401, "revoked")]  # no token presented: nothing to record
    unknown = uses(api.url)[0].details  # a short digest to tell attempts apart, never the token given
    assert unknown["presented"] == token_hash("drt_" + "x" * 43)[:16] and "xxxx" not in json.dumps(unknown)


def test_a_token_of_one_agency_posting_for_another_gets_403_and_stores_nothing(api):
    with transaction(api.url) as s:
        land = add_token(s, SYSTEM, "kk-land", "")[1]  # an agency of the letter's annex, not yet in the store
    before = counts(api.url)
    r = api.post({"cases": [N1]}, token=land)
    assert r.status_code == 403
    assert r.json()["error"] == {"th": "โทเคนนี้ใช้ส่งข้อมูลได้เฉพาะของหน่วยงาน kk-land ไม่ใช่ A1",
                                 "en": "this token posts for agency kk-land only, not A1"}
    # rows of another agency in a post of one's own: refused, each named
    r = api.post({"cases": [N1], "processes": [{"process_id": "PX", "agency_id": "kk-land", "name": "x",
                                                "discretionary": True, "public_service": False}]})
    assert r.status_code == 403
    (p,) = r.json()["problems"]
    assert (p["file"], p["row"], p["column"], p["value"]) == ("processes", 1, "agency_id", "kk-land")
    assert thai(p["reason_th"]) and "posts its own agency's rows only" in p["reason_en"]
    assert counts(api.url) == before
    assert [(u.details["status"], u.details["reason"]) for u in uses(api.url)] == \
        [(403, "other agency"), (403, "rows of another agency")]


def test_a_body_over_the_limit_gets_413_and_stores_nothing(agency_db):
    api = Api(agency_db, max_body=4096)
    before = counts(agency_db)
    big = {"cases": [{**N1, "case_id": f"N{i}", "legal_basis": "ก" * 100} for i in range(40)]}
    r = api.post(big)
    assert r.status_code == 413
    assert r.json()["error"]["th"].startswith("ข้อมูลที่ส่งมามีขนาดเกิน") and "larger than" in r.json()["error"]["en"]
    # a body without a declared length is stopped while it is read
    chunks = (json.dumps(big).encode()[i:i + 1000] for i in range(0, 20000, 1000))
    r = api.client.post(PATH.format("A1"), content=chunks, headers={"Authorization": f"Bearer {api.token}"})
    assert r.status_code == 413
    assert counts(agency_db) == before
    assert [u.details["status"] for u in uses(agency_db)] == [413, 413]
    assert api.post({"cases": [N1]}).status_code == 200  # under the limit: taken


def test_posts_over_the_rate_get_429_until_the_bucket_refills(agency_db):
    now = [1000.0]
    api = Api(agency_db, throttle=Throttle(Rates(per_minute=2, burst=2, failures=3), clock=lambda: now[0]))
    assert [api.post({"cases": [{**N1, "case_id": f"R{i}"}]}).status_code for i in range(2)] == [200, 200]
    r = api.post({"cases": [{**N1, "case_id": "R2"}]})
    assert r.status_code == 429 and r.headers["retry-after"] == "31"
    assert r.json()["error"] == {"th": "ส่งข้อมูลถี่เกินกำหนด (2 ครั้งต่อนาที) ลองใหม่ในอีก 31 วินาที",
                                 "en": "too many posts (2 a minute); try again in 31 s"}
    with transaction(agency_db) as s:
        assert s.get(CaseRow, "R2") is None
    now[0] += 30
    assert api.post({"cases": [{**N1, "case_id": "R2"}]}).status_code == 200
    # an address that keeps presenting bad tokens is stopped before any look-up
    bad = [api.post({"cases": [N1]}, token=f"drt_guess{i}").status_code for i in range(4)]
    assert bad == [401, 401, 401, 429]
    assert [u.details["status"] for u in uses(agency_db)] == [200, 200, 429, 200, 401, 401, 401]
    now[0] += 301
    assert api.post({"cases": [N1]}, token="drt_guess").status_code == 401


# --- what a post does to reviewers' decisions ---

def test_a_decision_stands_while_posts_leave_its_facts_and_reopens_when_they_change(api):
    body = api.post({"cases": [N1]}).json()
    flag_id = next(f["flag_id"] for f in body["flags"]["opened"] if f["rule_id"] == "1.1-unreviewed")
    with transaction(api.url) as s:
        act(s, SUP, flag_id, "dismiss", reason="สอบทานด้วยวาจาแล้ว")
        version = get_flag(s, SUP, flag_id).version
    # posts that change nothing the decision rests on: another case, then this case's legal basis
    for records in ({"cases": [{**N1, "case_id": "N2", "officer_id": "OFF2"}]},
                    {"cases": [{**N1, "legal_basis": "มาตรา 5"}]}):
        body = api.post(records).json()
        assert flag_id not in {f["flag_id"] for f in body["flags"]["reopened"]}
        with transaction(api.url) as s:
            flag = get_flag(s, SUP, flag_id)
            assert (flag.status, flag.version) == ("dismissed", version)
    # a fact it rests on changes (the day of the decision): reopened, said so, with what changed
    body = api.post({"cases": [{**N1, "legal_basis": "มาตรา 5", "decided_on": "2024-04-03"}]}).json()
    assert [f["flag_id"] for f in body["flags"]["reopened"]] == [flag_id]
    assert body["flags"]["reopened"][0]["status"] == "open"
    with transaction(api.url) as s:
        event = s.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag_id).order_by(FlagEvent.id.desc())
                          .limit(1)).one()
        assert (event.action, event.from_status, event.to_status, event.run_id) == \
            ("evidence_changed", "dismissed", "open", body["run_id"])
        assert "decided_on" in event.details["changed"]
    assert main(["audit", "verify", "--db", api.url]) == 0


def test_the_agencys_evaluation_agrees_with_a_run_over_every_agency(api, dataset_dir):
    """An officer of A1 decides cases of another agency too: a post to A1 counts them (as a run
    does), so the officer's repeat-applicant flag is found at the post, and a run after it
    changes nothing."""
    other = {"agencies": [{"agency_id": "A2", "name": "สำนักงานอื่น", "serves_public": "true"}],
             "processes": [{"process_id": "Q1", "agency_id": "A2", "name": "อนุญาตอื่น", "discretionary": "true",
                            "public_service": "false", "work_manual": "คู่มือ", "work_manual_reviewed_on": "2023-06-01",
                            "it_system": "ระบบ"}],
             "officers": [], "escalations": [], "monitoring_reports": [], "acknowledgements": [], "risk_analyses": [],
             "cases": [{"case_id": f"Q{i}", "process_id": "Q1", "officer_id": "OFF3", "applicant_id": "X9",
                        "received_on": "2024-03-01", "decided_on": "2024-03-04", "discretion_used": "true",
                        "legal_basis": "ข้อ 1", "reviewed_by": "SUP2", "reviewed_on": "2024-03-05",
                        "via_it_system": "true"} for i in range(3)]}
    with transaction(api.url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(other, replace=list(other), name="a2"),
                                               known_ids={"officers": {"OFF3", "SUP2"}}), "A2")
    run_evaluation(session_factory(api.url), SYSTEM, AS_OF, jobs=1)
    cases = [{**N1, "case_id": f"M{i}", "officer_id": "OFF3", "applicant_id": "X9", "legal_basis": "ข้อ 2",
              "reviewed_by": "SUP2", "reviewed_on": "2024-04-03"} for i in range(2)]
    body = api.post({"cases": cases}).json()
    assert ("1.4-repeat-applicant", "OFF3") in flags_of(body, "opened")  # 3 decisions in A2, 2 here
    run = session_factory(api.url)
    run_id = run_evaluation(run, SYSTEM, AS_OF, jobs=1)
    with transaction(api.url) as s:
        after = s.get(EvaluationRun, run_id)
        assert (after.flags_new, after.flags_reopened, after.flags_cleared) == (0, 0, 0)


@pytest.fixture
def twin(db_url, dataset_dir, tmp_path):
    """A second store like ``agency_db`` (the base dataset, evaluated at AS_OF), of the same kind."""
    from conftest import pg_base_url, scratch_pg_database

    def fill(url: str) -> str:
        from engine.store.migrate import upgrade

        upgrade(url)
        with transaction(url) as s:
            import_dataset(s, SYSTEM, load_dataset(dataset_dir({"risk_analyses": []}, replace=["risk_analyses"],
                                                               name="twin")), "fixture")
        run_evaluation(session_factory(url), SYSTEM, AS_OF, jobs=1)
        return url
    if db_url.startswith("sqlite"):
        yield fill(f"sqlite:///{tmp_path}/twin.db")
        return
    with scratch_pg_database(pg_base_url()) as url:
        yield fill(url)


def _flag_states(url: str) -> list[tuple]:
    with transaction(url) as s:
        return s.execute(select(FlagRow.flag_id, FlagRow.status, FlagRow.evidence_key, FlagRow.severity,
                                FlagRow.content_key, FlagRow.as_of, FlagRow.version).order_by(FlagRow.flag_id)).all()


def test_cases_evaluated_alone_get_the_flags_the_whole_agency_evaluated_gets(agency_db, twin, monkeypatch):
    """The fast path (a post of cases evaluates them alone, ``intake.cases_alone``) and the plain one
    (the agency evaluated whole) give every flag the same status, facts, words and version, post
    after post: cases, escalations and notices, an officer changed (whole), a day off recorded by an
    administrator (whole); and a run after them finds nothing to change."""
    from engine.store import intake, province

    scope = Scope("token #1", "supervisor", "A1")
    whole = intake.cases_alone
    case = dict(N1, legal_basis=None)
    posts = [
        {"cases": [case]},
        {"cases": [{**case, "case_id": "N2", "officer_id": "OFF2", "deviation": "ไม่เป็นไปตามคู่มือ",
                    "legal_basis": "มาตรา 1"}]},
        {"escalations": [{"report_id": "E1", "case_id": "N2", "reported_by": "OFF2", "reported_to": "SUP2",
                          "reported_on": "2024-04-05"}]},
        {"cases": [{**case, "legal_basis": "มาตรา 2", "reviewed_by": "SUP", "reviewed_on": "2024-04-19"}]},
        {"delay_notices": [{"notice_id": "D1", "case_id": "N2", "notified_on": "2024-04-10", "opdc_copied": False}]},
        {"cases": [{**case, "case_id": f"R{i}", "applicant_id": "X1", "legal_basis": "มาตรา 3"} for i in range(5)]},
        {"cases": [{**case, "case_id": "N2", "officer_id": "OFF2", "decided_on": "2024-04-08", "legal_basis": "ข้อ 1"}]},
        "day off",
        {"cases": [{**case, "case_id": "N3", "decided_on": "2024-04-10"}]},
        {"officers": [{"officer_id": "OFF2", "agency_id": "A1", "name": "เจ้าหน้าที่ 2", "supervisor_id": "SUP",
                       "in_position_since": "2022-01-01", "ethics_acknowledged_on": "2022-01-01"}]},
        {"cases": [{**case, "case_id": "N4", "officer_id": "OFF2"}], "escalations": [
            {"report_id": "E1", "case_id": "N2", "reported_by": "OFF2", "reported_to": "SUP", "reported_on": "2024-04-05",
             "investigated_on": "2024-04-12", "finding": "พบจริง"}]},
    ]
    alone = []
    for post in posts:
        answers = []
        for url, fast in ((agency_db, True), (twin, False)):
            if post == "day off":
                with transaction(url) as s:
                    province.add_calendar_entry(s, SYSTEM, dt.date(2024, 4, 17), "add", "วันหยุดพิเศษ", "Special day off",
                                                "มติคณะรัฐมนตรี")
                continue
            monkeypatch.setattr(intake, "cases_alone", whole if fast else lambda *args: None)
            result = intake.post_records(session_factory(url), scope, "A1", post, AS_OF, jobs=1)
            answers.append({k: [(f["rule_id"], f["subject_id"], f["status"]) for f in v] for k, v in result.flags.items()})
            if fast:
                with transaction(url) as s:
                    alone.append("cases_alone" in s.get(EvaluationRun, result.run_id).parameters)
        if post != "day off":
            assert answers[0] == answers[1], post
        assert _flag_states(agency_db) == _flag_states(twin), post
    # alone: every post of case files but the first after the day off; the officer's is whole, and then the
    # last whole evaluation of the agency (the next post is alone again)
    assert alone == [True, True, True, True, True, True, True, False, False, True]
    monkeypatch.setattr(intake, "cases_alone", whole)
    run_id = run_evaluation(session_factory(agency_db), SYSTEM, AS_OF, jobs=1)
    with transaction(agency_db) as s:
        after = s.get(EvaluationRun, run_id)
        assert (after.flags_new, after.flags_reopened, after.flags_cleared) == (0, 0, 0)


# --- posts and runs at the same time ---

WORKER = Path(__file__).parent / "api_workers.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(url: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """``discretion-review api`` in a process of its own, once it answers."""
    import httpx2 as httpx

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "engine.cli", "api", "--db", url, "--port", str(port),
                               "--as-of", AS_OF.isoformat(), "--jobs", "1", "--rate-per-minute", "100000",
                               "--burst", "10000"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError(f"the API did not start: {server.communicate()[1][-2000:]}")


def test_posts_through_two_servers_and_runs_meanwhile_keep_the_trail_and_the_flags_of_the_data(api, tmp_path):
    """Two API processes take posts for the same agency while a third process runs evaluations and
    a reviewer decides: every post is stored, every trail verifies, every decision the reviewer
    saw saved is in the trail, and the flags at the end are those of the data (a run over it
    changes nothing). Before runs left a post's agency alone (runs.posted_since), a run that
    read the store before a post and saved after it put the older flags back."""
    import httpx2 as httpx

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    servers = [_serve(api.url, env) for _ in range(2)]
    done = tmp_path / "done"
    runner = subprocess.Popen([sys.executable, str(WORKER), "runner", api.url, str(done)], env=env,
                              stderr=subprocess.PIPE, text=True)
    answers: dict[str, list[int]] = {}
    final: dict[str, dict] = {}
    decided: list[tuple[str, str]] = []
    failures: list[str] = []

    def poster(k: int) -> None:
        base = servers[k % 2][1]
        with httpx.Client(timeout=120) as client:
            for i in range(12):
                case = {**N1, "case_id": f"K{k}-{i % 3}", "officer_id": ("OFF1", "OFF2")[k % 2],
                        "decided_on": f"2024-04-0{2 + i % 4}", "legal_basis": "มาตรา 5" if i % 2 else None}
                r = client.post(base + PATH.format("A1"), json={"cases": [case]},
                                headers={"Authorization": f"Bearer {api.token}"})
                answers.setdefault(f"K{k}", []).append(r.status_code)
                final[case["case_id"]] = case

    def reviewer() -> None:
        for _ in range(40):
            with transaction(api.url) as s:
                open_ids = list(s.scalars(select(FlagRow.flag_id).where(FlagRow.status == "open",
                                                                         FlagRow.subject_type == "case")))
            for flag_id in open_ids[:2]:
                try:
                    with transaction(api.url) as s:
                        act(s, SUP, flag_id, "dismiss", reason="ตรวจแล้ว")
                    decided.append((flag_id, "dismiss"))
                except ReviewError:  # changed or cleared meanwhile: the reviewer is told, nothing saved
                    pass
                except Exception as exc:  # noqa: BLE001  (anything else is a failure of the test)
                    failures.append(repr(exc))
            time.sleep(0.05)

    threads = [threading.Thread(target=poster, args=(k,)) for k in range(4)] + [threading.Thread(target=reviewer)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        done.touch()
        _, runner_err = runner.communicate(timeout=120)
        for server, _ in servers:
            server.terminate()
            server.communicate(timeout=30)
    assert runner.returncode == 0, runner_err[-2000:]
    assert failures == []
    assert all(codes == [200] * 12 for codes in answers.values()), answers
    with transaction(api.url) as s:
        runs = s.scalar(select(func.count()).select_from(EvaluationRun).where(EvaluationRun.triggered_by == "system"))
        assert runs >= 3  # the runner ran meanwhile (and the fixture's one)
        for case_id, case in final.items():
            row = s.get(CaseRow, case_id)
            assert (row.decided_on.isoformat(), row.legal_basis) == (case["decided_on"], case["legal_basis"])
        for flag_id, action in decided:
            assert s.scalar(select(func.count()).select_from(FlagEvent).where(
                FlagEvent.flag_id == flag_id, FlagEvent.action == action, FlagEvent.actor == SUP.username))
    assert main(["audit", "verify", "--db", api.url]) == 0
    run_id = run_evaluation(session_factory(api.url), SYSTEM, AS_OF, jobs=1)
    with transaction(api.url) as s:
        after = s.get(EvaluationRun, run_id)
        assert (after.flags_new, after.flags_reopened, after.flags_cleared) == (0, 0, 0)
    assert not live_threads("write-behind")


def test_a_run_that_read_the_store_before_a_post_leaves_the_agency_as_the_post_made_it(api, monkeypatch):
    """A post commits after a run read the store and before the run saves (it waits for the lock the
    post holds): the run leaves that agency's flags as the post made them, and says so."""
    from engine.store import runs

    read = runs.read_store
    answers = []

    def read_then_post(*args, **kwargs):
        snapshot = read(*args, **kwargs)
        answers.append(api.post({"cases": [N1]}))
        return snapshot
    monkeypatch.setattr(runs, "read_store", read_then_post)
    run_id = run_evaluation(session_factory(api.url), SYSTEM, AS_OF, jobs=1)
    monkeypatch.setattr(runs, "read_store", read)
    assert answers[0].status_code == 200
    with transaction(api.url) as s:
        assert s.get(EvaluationRun, run_id).parameters["posted_meanwhile"] == ["A1"]
        assert set(s.scalars(select(FlagRow.status).where(FlagRow.subject_id == "N1"))) == {"open"}
    run_id = run_evaluation(session_factory(api.url), SYSTEM, AS_OF, jobs=1)
    with transaction(api.url) as s:
        after = s.get(EvaluationRun, run_id)
        assert (after.flags_new, after.flags_reopened, after.flags_cleared) == (0, 0, 0)
        assert "posted_meanwhile" not in after.parameters


# --- the trail ---

def test_audit_verify_is_green_after_posts_and_red_after_a_token_use_or_a_token_is_changed(api, capsys):
    assert api.post({"cases": [N1]}).status_code == 200
    assert api.post({"cases": [{**N1, "decided_on": "x"}]}).status_code == 422
    assert main(["audit", "verify", "--db", api.url]) == 0
    out = capsys.readouterr().out
    assert "api_token_events 3" in out and "intake_events 1" in out and "api_tokens 1" in out
    used = uses(api.url)[0]
    with transaction(api.url) as s:
        _drop_row_triggers(s, "api_token_events")  # someone with the database owner's rights
        s.execute(text(f"UPDATE api_token_events SET agency_id = 'A2' WHERE id = {used.id}"))
    assert main(["audit", "verify", "--db", api.url]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if f"api_token_events event #{used.id}: " in x)
    assert "its content no longer matches its hash" in line
    with transaction(api.url) as s:  # put back; then let a revoked token in again by SQL
        s.execute(text(f"UPDATE api_token_events SET agency_id = 'A1' WHERE id = {used.id}"))
        revoke_token(s, SYSTEM, 1)
    assert main(["audit", "verify", "--db", api.url]) == 0
    capsys.readouterr()
    with transaction(api.url) as s:
        s.execute(text("UPDATE api_tokens SET revoked_at = NULL, revoked_by = NULL WHERE id = 1"))
    assert main(["audit", "verify", "--db", api.url]) == 1
    line = next(x for x in capsys.readouterr().err.splitlines() if x.strip().startswith("api_tokens 1: "))
    assert "revoked: False (ประวัติ/trail: True)" in line


def _drop_row_triggers(s, table: str) -> None:
    if s.bind.dialect.name == "postgresql":
        s.execute(text(f"DROP TRIGGER {table}_no_change ON {table}"))
    else:
        s.execute(text(f"DROP TRIGGER {table}_no_update"))
        s.execute(text(f"DROP TRIGGER {table}_no_delete"))


def test_the_trails_of_the_api_are_append_only(api):
    api.post({"cases": [N1]})
    for table in ("api_token_events", "intake_events"):
        for sql in (f"UPDATE {table} SET actor = 'x'", f"DELETE FROM {table}"):
            with pytest.raises(Exception, match="append-only"):
                with transaction(api.url) as s:
                    s.execute(text(sql))


# --- tokens: the command line and OpenAPI ---

def test_tokens_add_prints_the_token_once_as_the_last_word_and_list_and_revoke_work(agency_db, capsys):
    with transaction(agency_db) as s:
        add_user(s, SYSTEM, "somsri", STRONG, "admin", None)
        add_user(s, SYSTEM, "somchai", STRONG, "supervisor", "A1")
    assert main(["tokens", "add", "--agency", "A1", "--user", "somchai", "--db", agency_db]) == 2  # not an admin
    assert main(["tokens", "add", "--agency", "NOPE", "--user", "somsri", "--db", agency_db]) == 2
    capsys.readouterr()
    assert main(["tokens", "add", "--agency", "A1", "--user", "somsri", "--label", "e-Service", "--db", agency_db]) == 0
    out = capsys.readouterr().out
    token = out.strip().splitlines()[-1].split()[-1]
    assert token.startswith("drt_") and len(token) > 40
    client = TestClient(create_app(agency_db, as_of=lambda: AS_OF, jobs=1))
    r = client.post(PATH.format("A1"), json={"cases": [N1]}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert main(["tokens", "list", "--user", "somsri", "--db", agency_db]) == 0
    listed = capsys.readouterr().out
    assert "#1" in listed and "A1" in listed and "e-Service" in listed and "posts 1" in listed and token not in listed
    with transaction(agency_db) as s:
        assert token not in json.dumps([e.details for e in s.scalars(select(ApiTokenEvent))], ensure_ascii=False)
    assert main(["tokens", "revoke", "1", "--user", "somsri", "--db", agency_db]) == 0
    assert client.post(PATH.format("A1"), json={"cases": [N1]},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert main(["tokens", "revoke", "1", "--user", "somsri", "--db", agency_db]) == 2  # already


def test_openapi_at_docs_has_the_example_request_and_serves_its_page_without_the_internet(api):
    schema = api.client.get("/openapi.json").json()
    post = schema["paths"]["/v1/agencies/{agency_id}/records"]["post"]
    body = post["requestBody"]["content"]["application/json"]
    assert body["example"] == EXAMPLE_REQUEST
    files = body["schema"]["properties"]
    assert set(files) >= {"cases", "officers", "processes", "escalations", "delay_notices", "parameters"}
    assert files["cases"]["items"]["required"] == ["case_id", "process_id", "officer_id", "received_on",
                                                   "discretion_used"]
    assert post["responses"]["422"]["content"]["application/json"]["example"]["problems"]
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    page = api.client.get("/docs")
    assert page.status_code == 200 and "swagger" in page.text.lower() and "cdn" not in page.text.lower()
    assert api.client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    # the example posts as it is (its ids are the demo's, not this store's: every problem is a reference)
    r = api.post(EXAMPLE_REQUEST)
    assert r.status_code == 422 and all("no such id" in p["reason_en"] for p in r.json()["problems"])


def test_the_documented_example_answers_as_documented(tmp_path, monkeypatch):
    """docs/api.md's request, posted to the demo store at the page's date, answers the page's
    answers, word for word (the flag listed again under ``current`` aside); and the OpenAPI
    examples are the same."""
    from engine.api.openapi import EXAMPLE_PROBLEMS, EXAMPLE_RESPONSE
    from engine.demo.store import setup_demo

    monkeypatch.setenv("DISCRETION_AUDIT_KEY_FILE", str(tmp_path / "keys"))
    url = f"sqlite:///{tmp_path}/demo.db"
    day = dt.date(2026, 3, 20)
    list(setup_demo(url, cases=300, as_of=day))
    page = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    request, answer, problems = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", page, re.S)]
    assert request == EXAMPLE_REQUEST
    with transaction(url) as s:
        token = add_token(s, SYSTEM, "kk-land", "")[1]
    client = TestClient(create_app(url, as_of=lambda: day, jobs=1))
    got = client.post(PATH.format("kk-land"), json=request, headers={"Authorization": f"Bearer {token}"}).json()
    assert got["current"] == got["flags"]["opened"]
    assert {k: v for k, v in got.items() if k != "current"} == {k: v for k, v in answer.items() if k != "current"}
    assert got == EXAMPLE_RESPONSE
    wrong = json.loads(json.dumps(request))
    wrong["cases"][0]["decided_on"], wrong["escalations"][0]["reported_to"] = "2569-13-09", "OF00999"
    got = client.post(PATH.format("kk-land"), json=wrong, headers={"Authorization": f"Bearer {token}"}).json()
    assert got == problems == EXAMPLE_PROBLEMS
    reviewed = {**request["cases"][0], "reviewed_by": "OF00039", "reviewed_on": "2569-03-19"}
    got = client.post(PATH.format("kk-land"), json={"cases": [reviewed]}, headers={"Authorization": f"Bearer {token}"})
    body = got.json()
    assert body["stored"]["cases"]["updated"] == 1
    assert {k: [(f["rule_id"], f["status"]) for f in v] for k, v in body["flags"].items()} == {
        "opened": [("1.1-late-review", "open")], "reopened": [], "cleared": [("1.1-unreviewed", "cleared_by_data")]}


def test_a_body_that_is_not_json_or_not_an_object_is_422(api):
    r = api.post(b"{cases: [", **{"Content-Type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in r.json()["problems"][0]["reason_en"]
    r = api.post([N1])
    assert r.status_code == 422 and thai(r.json()["problems"][0]["reason_th"])
    r = api.post({})
    assert r.status_code == 422 and "nothing to store" in r.json()["problems"][0]["reason_en"]


def test_the_admin_makes_a_token_in_the_app_sees_it_once_and_revokes_it(agency_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DISCRETION_DB_URL", agency_db)
    app = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
    at = AppTest.from_file(app, default_timeout=60)
    at.session_state["auth.user"] = ("somsri", "admin", None)
    at.run()
    at.switch_page("views/tokens.py").run()
    assert not at.exception
    at.selectbox(key="tokens.new.agency").select("A1")
    at.text_input(key="tokens.new.label").input("ระบบงานสารบรรณ")
    at.button(key="tokens.new.submit").click().run()
    assert not at.exception
    token = at.code[0].value
    assert token.startswith("drt_") and "ไม่แสดงอีก" in at.warning[0].value
    client = TestClient(create_app(agency_db, as_of=lambda: AS_OF, jobs=1))
    assert client.post(PATH.format("A1"), json={"cases": [N1]},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 200
    at.run()  # any later run of the page: the token is not shown again
    assert not at.code
    assert "ระบบงานสารบรรณ" in at.dataframe[0].value.to_string()
    at.button(key="tokens.revoke.submit").click().run()
    assert not at.exception and "เพิกถอนโทเคนหมายเลข 1 แล้ว" in at.success[0].value
    assert client.post(PATH.format("A1"), json={"cases": [N1]},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 401
    with transaction(agency_db) as s:
        actions = [(e.actor, e.action) for e in s.scalars(select(ApiTokenEvent).order_by(ApiTokenEvent.id))]
    assert actions == [("somsri", "created"), ("token #1", "used"), ("somsri", "revoked"), ("token #1", "refused")]


def test_failed_tokens_from_many_addresses_are_forgotten_once_out_of_the_window(monkeypatch):
    import engine.api.throttle as throttle

    monkeypatch.setattr(throttle, "KEPT", 100)
    now = [0.0]
    kept = throttle.Throttle(Rates(failures=2), clock=lambda: now[0])
    for i in range(100):
        kept.failed(f"10.0.{i // 250}.{i % 250}")
    now[0] = throttle.FAILURE_WINDOW + 1
    kept.failed("10.9.9.9")
    assert list(kept._failed) == ["10.9.9.9"]  # the others' failures had all left the window
    kept.failed("10.9.9.9")
    assert kept.refused("10.9.9.9") == throttle.FAILURE_WINDOW and kept.refused("10.0.0.1") == 0
