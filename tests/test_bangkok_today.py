"""Issue 20 item 5: "today" is the date in Asia/Bangkok wherever the app or a command defaults a
date or checks one against today, whatever the server's time zone; stored times are shown in
Bangkok time too.

Each test runs with the process's time zone (TZ, ``time.tzset``) set to one whose date differs
from Bangkok's at that moment (America/Los_Angeles, else UTC-12, else UTC+14: one of them always
does), and checks a boundary on both sides, so that a server clock read anywhere fails it
whichever way the zones differ."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.domain.calendar import BANGKOK, bangkok_time, today
from engine.store.db import session_factory, transaction
from engine.store.schema import FlagRow
from engine.store.scope import Scope

ZONES = ("America/Los_Angeles", "Etc/GMT+12", "Pacific/Kiritimati")  # UTC-8/-7, UTC-12, UTC+14
HEAD = Scope("head.a1", "agency_head", "A1")


@pytest.fixture
def other_zone(monkeypatch):
    """The server's zone set to one whose date is not Bangkok's now; restored after."""
    bangkok = dt.datetime.now(BANGKOK).date()
    for zone in ZONES:
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        if dt.date.today() != bangkok:
            break
    else:  # pragma: no cover - the three zones cover every hour of Bangkok's day
        pytest.fail("no zone differs from Bangkok's date now")
    yield zone
    monkeypatch.undo()
    time.tzset()


def test_the_zone_really_differs(other_zone):
    assert dt.date.today() != today()  # the premise of every test below
    assert today() == dt.datetime.now(BANGKOK).date()


@pytest.fixture
def flagged(db_url, dataset_dir):
    """Three unreviewed cases of A1 (test_store's data), evaluated: their open flags' ids."""
    from engine.ingest.loader import load_dataset
    from engine.store.data import import_dataset
    from engine.store.runs import run_evaluation
    from engine.store.scope import SYSTEM
    from test_store import TWO_AGENCIES, flag_of

    more = [{**TWO_AGENCIES["cases"][0], "case_id": c} for c in ("CA2", "CA3")]
    ds = load_dataset(dataset_dir({**TWO_AGENCIES, "cases": TWO_AGENCIES["cases"] + more}))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 4, 20))
    return db_url, [flag_of(db_url, c) for c in ("CA1", "CA2", "CA3")]


def test_a_due_date_is_checked_against_bangkok_today(flagged, other_zone):
    from engine.store.review import ReviewError, act

    agency_db, (flag_id, *_) = flagged
    with pytest.raises(ReviewError, match="due date"):
        with transaction(agency_db) as s:
            act(s, HEAD, flag_id, "confirm", corrective_action="fix", due_date=today() - dt.timedelta(days=1))
    with transaction(agency_db) as s:  # due today, in Bangkok: accepted
        assert act(s, HEAD, flag_id, "confirm", corrective_action="fix", due_date=today()).status == "confirmed"


def test_a_waiver_expires_after_bangkok_today(flagged, other_zone):
    from engine.store.review import ReviewError, act

    agency_db, (flag_id, *_) = flagged
    with pytest.raises(ReviewError, match="expires after today"):
        with transaction(agency_db) as s:
            act(s, HEAD, flag_id, "waive", reason="r", approver="a", expires_on=today())
    with transaction(agency_db) as s:
        assert act(s, HEAD, flag_id, "waive", reason="r", approver="a",
                   expires_on=today() + dt.timedelta(days=1)).status == "waived"


def test_waivers_expire_by_bangkok_today(flagged, other_zone):
    """A waiver until yesterday (Bangkok) has expired; one until today has not."""
    from engine.store.review import act, expire_waivers

    agency_db, ids = flagged[0], flagged[1][:2]
    earlier = today() - dt.timedelta(days=30)
    with transaction(agency_db) as s:  # waived a month ago: until yesterday, and until today
        act(s, HEAD, ids[0], "waive", reason="r", approver="a", expires_on=today() - dt.timedelta(days=1), today=earlier)
        act(s, HEAD, ids[1], "waive", reason="r", approver="a", expires_on=today(), today=earlier)
    with transaction(agency_db) as s:
        assert expire_waivers(s) == 1
    with transaction(agency_db) as s:
        assert {f: s.get(FlagRow, f).status for f in ids} == {ids[0]: "open", ids[1]: "waived"}


def test_an_analysis_may_be_dated_bangkok_today_not_later(agency_db, other_zone):
    from engine.domain.errors import UsageError
    from engine.store.analytics import record_analysis

    with transaction(agency_db) as s:
        record_analysis(s, HEAD, "A1", today(), True, "head, committee", "late reviews", None, None)
    with pytest.raises(UsageError, match="future"):
        with transaction(agency_db) as s:
            record_analysis(s, HEAD, "A1", today() + dt.timedelta(days=1), True, "head", "risks", None, None)


def test_evaluation_and_runs_default_to_bangkok_today(db_url, dataset_dir, other_zone):
    from engine.evaluation.run import evaluate
    from engine.ingest.loader import load_dataset
    from engine.store.analytics import fiscal_years
    from engine.store.scope import SYSTEM

    ds = load_dataset(dataset_dir())
    assert evaluate(ds).as_of == today()
    with session_factory(db_url)() as s:  # no flag yet: the fiscal year of today, in Bangkok
        from engine.domain.calendar import fiscal_year

        assert fiscal_years(s, SYSTEM) == [fiscal_year(today())]


def test_demo_data_defaults_to_bangkok_today(tmp_path, other_zone):
    from engine.demo.generate import generate

    assert generate(tmp_path / "demo", cases=50)["as_of"] == today().isoformat()


def test_cli_due_defaults_to_bangkok_today(dataset_dir, other_zone, capsys):
    from engine.cli import main

    assert main(["due", str(dataset_dir()), "--format", "jsonl"]) == 0
    assert f"from {today().isoformat()}" in capsys.readouterr().err


def test_stored_times_read_in_bangkok_time():
    assert bangkok_time(dt.datetime(2026, 11, 25, 20, 30)) == dt.datetime(2026, 11, 26, 3, 30)
    assert bangkok_time(dt.datetime(2026, 11, 25, 20, 30, tzinfo=dt.timezone.utc)) == dt.datetime(2026, 11, 26, 3, 30)


def test_english_evidence_pack_gives_bangkok_times():
    """The English workbook's times are Bangkok's (the Thai one says them as text, already so)."""
    import io

    import openpyxl

    from engine.store.reports import evidence_xlsx

    at = dt.datetime(2026, 11, 25, 20, 30, 5)  # stored UTC: 26 November 03:30 in Bangkok
    data = {"assessment": [{"measure": "1.1", "status": "compliant", "proposed": "compliant", "reason": None,
                            "url": "https://example.go.th/x", "url_by": "head", "url_at": at, "file": None,
                            "note": None}],
            "flags": {}, "severities": {}, "outcomes": {}, "assessment_status": None, "fiscal_year": None}
    book = openpyxl.load_workbook(io.BytesIO(evidence_xlsx(data, "en")))
    sheet = book["Evidence"]
    assert sheet.cell(1, 6).value == "At (Bangkok time)"
    assert sheet.cell(2, 6).value == dt.datetime(2026, 11, 26, 3, 30, 5)


# --- the app: every date field a page fills in, and the check of a due date, in Bangkok's terms --------

APP = str(Path(__file__).resolve().parents[1] / "ui" / "app.py")
sys.path.insert(0, str(Path(APP).parent))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from engine.demo.store import setup_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('today')}/app.db"
    list(setup_demo(url, cases=300, as_of=dt.date(2026, 11, 25)))
    return url


def _app(demo_db, monkeypatch, user, page: str | None = None, **params):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DISCRETION_DB_URL", demo_db)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["app.lang"] = "th"
    at.session_state["auth.user"] = user
    at.run()
    if page:
        for k, v in params.items():
            at.query_params[k] = v
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _typed(day: dt.date) -> str:
    return f"{day.day}/{day.month}/{day.year + 543}"


def test_app_date_fields_default_to_bangkok_today(demo_db, monkeypatch, other_zone):
    sup = ("supervisor.land", "supervisor", "kk-land")
    with transaction(demo_db) as s:
        flag_id = s.scalar(select(FlagRow.flag_id).where(FlagRow.agency_id == "kk-land", FlagRow.status == "open")
                           .order_by(FlagRow.flag_id))
    at = _app(demo_db, monkeypatch, sup, "views/flag.py", id=flag_id)
    assert at.text_input(key=f"flag.{flag_id}.confirm.due_date").value == _typed(today() + dt.timedelta(days=30))
    at = _app(demo_db, monkeypatch, sup, "views/upload.py")
    assert at.text_input(key="data.as_of").value == _typed(today())
    head = ("head.land", "agency_head", "kk-land")
    at = _app(demo_db, monkeypatch, head, "views/risk.py")
    assert at.text_input(key="risk.date").value == _typed(today())
    admin = ("admin", "admin", None)
    at = _app(demo_db, monkeypatch, admin, "views/assessment.py")
    assert at.text_input(key="assess.new_due").value == _typed(today() + dt.timedelta(days=60))
    from engine.domain.calendar import fiscal_year

    assert at.number_input(key="assess.new_fy").value == fiscal_year(today())
    assert os.environ["TZ"] == other_zone
