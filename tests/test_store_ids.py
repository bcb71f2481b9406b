"""Ids shared with another agency (issue 24 item 5) and what the store tells an importer about
other agencies (item 7): an id another agency holds is refused at validation and at import with a
message that names nothing of that agency; the loader asks the store only whether the officer ids
the data names exist; the app never shows a traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import write_dataset
from sqlalchemy import func, select

from engine.cli import main
from engine.domain.errors import InputError
from engine.ingest.loader import load_dataset
from engine.store import data
from engine.store.data import ID_OF_ANOTHER_AGENCY, ImportRefused, existing_ids, import_dataset, store_problems
from engine.store.db import transaction
from engine.store.schema import CaseRow, ProcessRow
from engine.store.scope import SYSTEM, PermissionDenied, Scope

UI = Path(__file__).resolve().parents[1] / "ui"
sys.path.insert(0, str(UI))  # the app's own modules (appdata)
SUP_B2 = Scope("sup.b2", "supervisor", "B2")
# Agency B2, whose process and case carry ids agency A1 (the base dataset) holds: P1 and BASE1.
B2 = {
    "agencies": [{"agency_id": "B2", "name": "หน่วยงานบี", "serves_public": "true"}],
    "processes": [{"process_id": "P1", "agency_id": "B2", "name": "งานบี", "discretionary": "true",
                   "public_service": "false", "work_manual": "คู่มือ", "work_manual_reviewed_on": "2024-01-01",
                   "it_system": "ระบบ"}],
    "officers": [{"officer_id": "OB", "agency_id": "B2", "name": "เจ้าหน้าที่บี", "supervisor_id": "HEAD",
                  "in_position_since": "2023-01-01", "ethics_acknowledged_on": "2024-01-01"}],
    "cases": [{"case_id": "CB0", "process_id": "P1", "officer_id": "OB", "received_on": "2024-04-01",
               "discretion_used": "true"},
              {"case_id": "BASE1", "process_id": "P1", "officer_id": "OB", "received_on": "2024-04-01",
               "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1",
               "reviewed_by": "OFF3", "reviewed_on": "2024-04-03"}],
}


@pytest.fixture
def a1(db_url, dataset_dir):
    """The base dataset's agency A1 in the store."""
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir()), "a1")
    return db_url


def b2_files(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "b2", B2)


def store_lookup(url: str, scope: Scope):
    def lookup(table: str, ids: set[str]) -> set[str]:
        with transaction(url) as s:
            return existing_ids(s, scope, table, ids)
    return lookup


def test_an_id_another_agency_holds_is_refused_before_anything_is_written(a1, tmp_path):
    ds = load_dataset(b2_files(tmp_path), known_ids=store_lookup(a1, SYSTEM))  # the files alone are sound
    with transaction(a1) as s:
        problems = store_problems(s, SYSTEM, ds)
    assert [(p.file, p.row, p.column, p.value, p.reason) for p in problems] == [
        ("processes.csv", 1, "process_id", "P1", ID_OF_ANOTHER_AGENCY),
        ("cases.csv", 2, "case_id", "BASE1", ID_OF_ANOTHER_AGENCY)]
    assert "A1" not in repr(problems) and "อนุญาตทดสอบ" not in repr(problems)  # nothing of the other agency
    with pytest.raises(ImportRefused) as refused:
        with transaction(a1) as s:
            import_dataset(s, SYSTEM, ds, "b2")
    assert refused.value.problems == problems
    with transaction(a1) as s:  # nothing written, A1's rows as they were
        assert s.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.agency_id == "B2")) == 0
        assert s.get(ProcessRow, "P1").agency_id == "A1" and s.get(CaseRow, "BASE1").agency_id == "A1"


def test_the_command_line_validates_against_the_store_and_import_exits_2_not_3(a1, tmp_path, capsys):
    folder = b2_files(tmp_path)
    assert main(["users", "--db", a1, "add", "admin", "--role", "admin", "--password", "Kh0n-Kaen-ledger-2569!"]) == 0
    capsys.readouterr()
    assert main(["validate", str(folder)]) == 2  # alone, the files name officers they do not hold
    assert main(["validate", str(folder), "--db", a1]) == 2
    err = capsys.readouterr().err
    assert "processes.csv, row 1, column process_id, value 'P1': รหัสนี้มีอยู่แล้วในข้อมูลของหน่วยงานอื่นในระบบ" in err
    assert "cases.csv, row 2, column case_id, value 'BASE1'" in err and "A1" not in err.split("problems")[-1]
    assert main(["import", str(folder), "--db", a1, "--user", "admin"]) == 2  # was 3: an IntegrityError
    err = capsys.readouterr().err
    assert "this id is already used by another agency's data in the store" in err and "IntegrityError" not in err


def test_an_id_taken_by_an_import_committed_since_the_check_is_refused_in_words(a1, tmp_path, monkeypatch):
    ds = load_dataset(b2_files(tmp_path), known_ids=store_lookup(a1, SYSTEM))
    monkeypatch.setattr(data, "store_problems", lambda session, scope, ds: [])  # as if checked before A1's import
    with pytest.raises(ImportRefused, match="another import stored one of its ids meanwhile"):
        with transaction(a1) as s:
            import_dataset(s, SYSTEM, ds, "b2")


def test_the_store_says_only_whether_the_officer_ids_named_exist(a1, tmp_path):
    with transaction(a1) as s:
        assert existing_ids(s, SUP_B2, "officers", {"HEAD", "OFF3", "NOBODY"}) == {"HEAD", "OFF3"}
        assert existing_ids(s, SUP_B2, "cases", {"BASE1"}) == set()  # a dataset names no other agency's case
        with pytest.raises(PermissionDenied):
            existing_ids(s, Scope("ethics.b2", "ethics_committee", "B2"), "officers", {"HEAD"})
    asked: list[tuple[str, set[str]]] = []

    def lookup(table: str, ids: set[str]) -> set[str]:
        asked.append((table, set(ids)))
        return store_lookup(a1, SUP_B2)(table, ids)
    load_dataset(b2_files(tmp_path), known_ids=lookup)
    assert [a for a in asked if a[1]] == [("officers", {"HEAD", "OFF3"})]  # the ids the data names, not held


def test_the_upload_child_asks_the_store_through_its_parent(a1, tmp_path):
    from engine.ingest.isolated import load_dataset_isolated

    asked = []

    def lookup(table: str, ids: set[str]) -> set[str]:
        asked.append(table)
        return store_lookup(a1, SUP_B2)(table, ids)
    assert load_dataset_isolated(b2_files(tmp_path), known_ids=lookup).counts()["cases"] == 2
    assert "officers" in asked
    with pytest.raises(InputError, match="no such id in officers"):
        load_dataset_isolated(b2_files(tmp_path), known_ids=lambda table, ids: set())


def _app(url: str, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DISCRETION_DB_URL", url)
    at = AppTest.from_file(str(UI / "app.py"), default_timeout=60)
    at.session_state["auth.user"] = ("admin", "admin", None)
    at.run()
    return at.switch_page("views/upload.py").run()


def _screen(at) -> str:
    return " ".join(str(getattr(e, "value", "")) for e in at.main) + " ".join(
        df.value.to_string() for df in at.dataframe)


def test_the_app_refuses_an_id_another_agency_holds_at_validation(a1, tmp_path, monkeypatch):
    at = _app(a1, monkeypatch)
    files = [(p.name, p.read_bytes(), "text/csv") for p in sorted(b2_files(tmp_path).glob("*.csv"))]
    at.file_uploader(key="data.files").set_value(files).run()
    at.button(key="data.check").click().run()
    assert not at.exception and at.error[0].value == "พบปัญหา 2 รายการ ยังไม่ได้นำเข้าข้อมูล"
    assert set(at.dataframe[1].value["เหตุผล"]) == {
        "รหัสนี้มีอยู่แล้วในข้อมูลของหน่วยงานอื่นในระบบ (รหัสต้องไม่ซ้ำกันทั้งจังหวัด): ใช้รหัสอื่น"}
    assert "data.import" not in [b.key for b in at.button]
    assert "A1" not in _screen(at).replace("A1 ", "")  # the counts table has no agency ids; nothing of A1 is said


def test_the_app_says_an_unexpected_error_in_thai_without_a_traceback(a1, monkeypatch):
    import streamlit as st

    import appdata  # noqa: F401 - the app's module, which the page calls

    def broken(*args, **kwargs):
        raise RuntimeError("(psycopg.errors.UniqueViolation) Key (case_id)=(BASE1) already exists in agency A1")
    monkeypatch.setattr(sys.modules["appdata"], "counts", broken)
    st.set_option("client.showErrorDetails", "none")  # the app's setting (.streamlit/config.toml)
    try:
        at = _app(a1, monkeypatch)
    finally:
        st.set_option("client.showErrorDetails", "full")
    assert not at.exception
    assert at.error[0].value.startswith("ระบบขัดข้อง สิ่งที่ยังไม่ได้บันทึกจึงยังไม่ถูกบันทึก")
    assert "รหัสอ้างอิง" in at.error[0].value
    assert "BASE1" not in _screen(at) and "A1" not in _screen(at) and "Traceback" not in _screen(at)


def test_the_app_and_its_command_turn_error_details_off(tmp_path, monkeypatch):
    import tomllib

    config = tomllib.loads((UI.parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
    started = []
    monkeypatch.setattr(os, "execve", lambda exe, cmd, env: started.append(cmd))  # `app` execs Streamlit
    monkeypatch.setenv("DISCRETION_SECRET_FILE", str(tmp_path / "secret"))
    assert main(["db", "upgrade", "--create", "--db", f"sqlite:///{tmp_path}/app.db"]) == 0
    assert main(["app", "--db", f"sqlite:///{tmp_path}/app.db", "--port", "8599"]) == 0
    cmd = started[0]
    assert cmd[cmd.index("--client.showErrorDetails") + 1] == "none"
