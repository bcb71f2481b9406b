"""The data page's list of runs shows an agency's user the errors of their own agency only
(issue 24 item 7): an administrator's run over every agency named, in its error, the rows of
each agency it left out."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from conftest import write_dataset
from sqlalchemy import text

from engine.ingest.loader import load_dataset
from engine.store.data import existing_ids, import_dataset
from engine.store.db import session_factory, transaction
from engine.store.run_history import NOT_YOURS, visible_runs
from engine.store.runs import run_evaluation
from engine.store.schema import EvaluationRun
from engine.store.scope import SYSTEM, Scope

UI = Path(__file__).resolve().parents[1] / "ui"
SUP_A1, SUP_B2 = Scope("sup.a1", "supervisor", "A1"), Scope("sup.b2", "supervisor", "B2")
# agency B2: its case was reviewed by A1's officer OFF3
B2 = {
    "agencies": [{"agency_id": "B2", "name": "หน่วยงานบี", "serves_public": "true"}],
    "processes": [{"process_id": "PB", "agency_id": "B2", "name": "งานบี", "discretionary": "true",
                   "public_service": "false", "work_manual": "คู่มือ", "work_manual_reviewed_on": "2024-01-01",
                   "it_system": "ระบบ"}],
    "officers": [{"officer_id": "OB", "agency_id": "B2", "name": "เจ้าหน้าที่บี", "supervisor_id": "HEAD",
                  "in_position_since": "2023-01-01", "ethics_acknowledged_on": "2024-01-01"}],
    "cases": [{"case_id": "CB1", "process_id": "PB", "officer_id": "OB", "received_on": "2024-04-01",
               "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1",
               "reviewed_by": "OFF3", "reviewed_on": "2024-04-03"}],
}


@pytest.fixture
def runs(db_url, dataset_dir, tmp_path):
    return two_runs(db_url, dataset_dir, tmp_path)


def two_runs(db_url: str, dataset_dir, tmp_path: Path) -> str:
    """A1 and B2 stored; B2's reference to A1's officer OFF3 then broken (as a store edited by
    hand, or an older release, could leave it); an administrator's run, partial; and a failed one."""
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir()), "a1")
    with transaction(db_url) as s:
        known = lambda table, ids: existing_ids(s, SYSTEM, table, ids)  # noqa: E731
        import_dataset(s, SYSTEM, load_dataset(write_dataset(tmp_path / "b2", B2), known_ids=known), "b2")
    with transaction(db_url) as s:
        s.execute(text("DELETE FROM officers WHERE officer_id = 'OFF3'"))
    run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 4, 20), jobs=1)
    with transaction(db_url) as s:
        s.add(EvaluationRun(as_of=dt.date(2024, 4, 21), parameters={}, kb_version="x", rules_version="x",
                            agencies=[], triggered_by="admin", status="failed",
                            error="(psycopg.errors.UniqueViolation) Key (case_id)=(CB1) already exists"))
    return db_url


def errors(url: str, scope: Scope) -> list[str | None]:
    with transaction(url) as s:
        return [r["error"] for r in visible_runs(s, scope)]


def test_an_agencys_user_reads_only_their_agencys_lines_of_a_run_over_every_agency(runs):
    failed, partial = errors(runs, SYSTEM)
    assert partial.startswith("B2 ไม่ได้ประเมิน / not evaluated: ") and "CB1" in partial and "OFF3" in partial
    assert "CB1" in failed
    assert errors(runs, SUP_A1) == [NOT_YOURS, None]  # nothing of B2's rows, nor of the failure's words
    own_failed, own_partial = errors(runs, SUP_B2)
    assert own_partial == partial and own_failed == NOT_YOURS
    assert errors(runs, Scope("province", "provincial", None)) == [failed, partial]


def test_the_data_page_shows_an_agencys_user_no_other_agencys_rows(dataset_dir, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from engine.store.migrate import upgrade

    upgrade(url := f"sqlite:///{tmp_path}/store.db")
    runs = two_runs(url, dataset_dir, tmp_path)

    sys.path.insert(0, str(UI))
    monkeypatch.setenv("DISCRETION_DB_URL", runs)
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(str(UI / "app.py"), default_timeout=60)
    at.session_state["auth.user"] = ("sup.a1", "supervisor", "A1")
    at.run()
    at.switch_page("views/upload.py").run()
    assert not at.exception
    table = at.dataframe[-1].value.to_string()
    assert "CB1" not in table and "OFF3" not in table and "B2" not in table
    assert "ผู้ดูแลระบบดูสาเหตุได้" in table


def test_other_agencies_runs_never_hide_a_users_own_or_every_agencys(runs):
    """Each post to the intake API is a run of its agency: 450 of them by agency B2 after the
    administrator's runs. A1's supervisor still sees the runs over every agency (and B2's own
    supervisor the latest of B2's posts first); an administrator sees the latest runs, posts
    among them."""
    with transaction(runs) as s:
        everyone = [r.id for r in s.query(EvaluationRun).order_by(EvaluationRun.id.desc())]
        for n in range(450):
            s.add(EvaluationRun(as_of=dt.date(2024, 4, 22), parameters={}, kb_version="x", rules_version="x",
                                agencies=["B2"], triggered_by=f"api:b2:{n}", status="succeeded"))
    with session_factory(runs)() as s:
        assert [r["id"] for r in visible_runs(s, SUP_A1, limit=5)] == everyone[:5]
        mine = visible_runs(s, SUP_B2, limit=3)
        assert [r["triggered_by"] for r in mine] == ["api:b2:449", "api:b2:448", "api:b2:447"]
        assert len(visible_runs(s, SUP_A1, limit=20)) == len(everyone) < 20
        latest = visible_runs(s, SYSTEM, limit=20)
        assert len(latest) == 20 and all(r["agencies"] == ["B2"] for r in latest)
