"""Agencies share one store (issue 8, item 2): a reference to another agency's officer resolves
against the store; an import may not orphan another agency's reference; one agency's broken
data never stops the evaluation of the others."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import write_dataset
from sqlalchemy import func, select, text

from engine.cli import main
from engine.domain.errors import InputError
from engine.ingest.loader import load_dataset
from engine.store.data import ImportRefused, existing_ids, import_dataset, load_from_db
from engine.store.db import session_factory, transaction
from engine.store.runs import run_evaluation
from engine.store.schema import EvaluationRun, FlagRow, OfficerRow
from engine.store.scope import SYSTEM, Scope

AS_OF = dt.date(2024, 4, 20)
SUP_B2 = Scope("sup.b2", "supervisor", "B2")
# Agency B2 alone; its officer's supervisor and the report of a deviation are in agency A1.
B2 = {
    "agencies": [{"agency_id": "B2", "name": "หน่วยงานบี", "serves_public": "true"}],
    "processes": [{"process_id": "PB", "agency_id": "B2", "name": "งานบี", "discretionary": "true",
                   "public_service": "false", "work_manual": "คู่มือ", "work_manual_reviewed_on": "2024-01-01",
                   "it_system": "ระบบ"}],
    "officers": [{"officer_id": "OB", "agency_id": "B2", "name": "เจ้าหน้าที่บี", "supervisor_id": "HEAD",
                  "in_position_since": "2023-01-01", "ethics_acknowledged_on": "2024-01-01"}],
    "cases": [{"case_id": "CB1", "process_id": "PB", "officer_id": "OB", "received_on": "2024-04-01",
               "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1",
               "deviation": "ข้ามขั้นตอน", "reviewed_by": "OFF3", "reviewed_on": "2024-04-03"}],
    "escalations": [{"report_id": "RB1", "case_id": "CB1", "reported_by": "OB", "reported_to": "OFF3",
                     "reported_on": "2024-04-03", "investigated_on": "2024-04-05", "finding": "ตรวจแล้ว"}],
    "risk_analyses": [{"agency_id": "B2", "analysed_on": "2024-01-15", "ethics_committee": "true"}],
    "monitoring_reports": [{"agency_id": "B2", "reported_on": "2024-03-01"}],
    "acknowledgements": [{"agency_id": "B2", "staff_total": "5", "staff_acknowledged": "5",
                          "published_url": "https://b2.example.go.th", "reported_on": "2019-06-01"}],
}


@pytest.fixture
def two(db_url, dataset_dir, tmp_path):
    """A1 imported by the system, then B2 imported by its own supervisor; one run."""
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir()), "a1")
    folder = write_dataset(tmp_path / "b2", B2)
    with pytest.raises(InputError, match="no such id in officers"):
        load_dataset(folder)  # alone (the CLI's validate), the file names an officer it does not have
    with transaction(db_url) as s:
        import_dataset(s, SUP_B2, load_dataset(folder, known_ids=lambda t, ids: existing_ids(s, SUP_B2, t, ids)), "b2")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF, jobs=1)
    return db_url, folder


def _flags(url: str, agency: str) -> dict[str, str]:
    with transaction(url) as s:
        return dict(s.execute(select(FlagRow.flag_id, FlagRow.status).where(FlagRow.agency_id == agency)).all())


def test_a_supervisor_imports_data_naming_another_agencys_officer_and_again_unchanged(two):
    url, folder = two
    with transaction(url) as s:
        assert s.scalar(select(EvaluationRun.status).order_by(EvaluationRun.id.desc())) == "succeeded"
    with transaction(url) as s:  # the same file again
        import_dataset(s, SUP_B2, load_dataset(folder, known_ids=lambda t, ids: existing_ids(s, SUP_B2, t, ids)),
                       "b2 again")
    run_evaluation(session_factory(url), SUP_B2, AS_OF, jobs=1)
    with transaction(url) as s:
        assert s.scalar(select(EvaluationRun.status).order_by(EvaluationRun.id.desc())) == "succeeded"
        ds = load_from_db(s, SUP_B2)  # B2's rows and the A1 officers they name, nothing else of A1
        assert {c.case_id for c in ds.cases} == {"CB1"}
        assert {o.officer_id for o in ds.officers} == {"OB", "OFF3", "HEAD", "SUP2"}


def test_an_import_that_would_orphan_another_agencys_reference_is_refused(two, dataset_dir):
    url, _ = two
    without_off3 = load_dataset(dataset_dir({"officers": [o for o in _base_officers() if o["officer_id"] != "OFF3"]},
                                            replace=["officers"], name="a1-new"))
    with pytest.raises(ImportRefused) as exc:
        with transaction(url) as s:
            import_dataset(s, SYSTEM, without_off3, "a1 without OFF3")
    message = str(exc.value)
    assert "escalations.csv" in message and "B2" in message and "report_id RB1" in message and "OFF3" in message
    assert "cases.csv" in message and "case_id CB1" in message and "reviewed_by" in message
    with transaction(url) as s:  # nothing changed
        assert s.get(OfficerRow, "OFF3") is not None


def test_a_broken_agency_is_reported_and_the_others_are_evaluated(two, dataset_dir):
    url, _ = two
    b2_before = _flags(url, "B2")
    with transaction(url) as s:  # as an import before this check could have left it
        s.execute(text("DELETE FROM officers WHERE officer_id = 'OFF3'"))
        s.execute(text("UPDATE cases SET reviewed_by = 'SUP' WHERE case_id = 'BASE1'"))
    with transaction(url) as s:  # one more A1 case, so A1's evaluation visibly moves on
        s.execute(text("INSERT INTO cases (case_id, agency_id, process_id, officer_id, received_on, decided_on, "
                       "discretion_used, legal_basis, via_it_system) VALUES ('NEW1', 'A1', 'P1', 'OFF1', "
                       "'2024-04-01', '2024-04-02', true, 'ม. 1', true)"))
    run_id = run_evaluation(session_factory(url), SYSTEM, AS_OF, jobs=1)
    with transaction(url) as s:
        run = s.get(EvaluationRun, run_id)
        assert run.status == "partial"
        assert run.error.startswith("B2 ไม่ได้ประเมิน / not evaluated: ") and "OFF3" in run.error
        assert s.scalar(select(func.count()).select_from(FlagRow).where(FlagRow.subject_id == "NEW1")) > 0
    assert _flags(url, "B2") == b2_before  # left as they were: not cleared for want of an evaluation
    with transaction(url) as s:
        ds = load_from_db(s, SYSTEM)
        assert "CB1" not in {c.case_id for c in ds.cases}
        assert any("OFF3" in w for w in ds.warnings)


def test_cli_import_resolves_other_agencies_officers(db_url, dataset_dir, tmp_path):
    assert main(["users", "--db", db_url, "add", "admin", "--role", "admin", "--password", "Kh0n-Kaen-ledger-2569!"]) == 0
    assert main(["import", str(dataset_dir()), "--db", db_url, "--user", "admin"]) == 0
    folder = write_dataset(tmp_path / "b2", B2)
    assert main(["validate", str(folder)]) == 2  # on its own the file is incomplete
    assert main(["import", str(folder), "--db", db_url, "--user", "admin"]) == 0
    assert main(["run", "--db", db_url, "--user", "admin", "--as-of", "2024-04-20"]) == 0


def _base_officers() -> list[dict]:
    from conftest import base_tables

    return base_tables()["officers"]


def test_with_the_demo_data_a_supervisor_reimports_their_unchanged_agency_and_runs(db_url, tmp_path):
    from dataclasses import fields

    from engine.demo.generate import generate
    from engine.domain.models import TABLES
    from engine.store.access import add_user

    generate(tmp_path / "demo", cases=600, seed=1, as_of=AS_OF)
    ds = load_dataset(tmp_path / "demo")
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "demo")
    officer_agency = {o.officer_id: o.agency_id for o in ds.officers}
    process_agency = {p.process_id: p.agency_id for p in ds.processes}
    # an agency whose cases name another agency's officer as their reviewer
    agency = next(process_agency[c.process_id] for c in ds.cases
                  if c.reviewed_by and officer_agency[c.reviewed_by] != process_agency[c.process_id])
    cases = {c.case_id for c in ds.cases if process_agency[c.process_id] == agency}
    own = {t.name: [{f.name: getattr(item, f.name) for f in fields(t.model)} for item in getattr(ds, t.name)
                    if (item.case_id in cases if t.name in ("escalations", "delay_notices") else
                        process_agency[item.process_id] == agency if t.name == "cases" else item.agency_id == agency)]
           for t in TABLES}
    folder = write_dataset(tmp_path / agency, own)
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "sup", "korat-mango-lantern-2569", "supervisor", agency)
    assert main(["import", str(folder), "--db", db_url, "--user", "sup"]) == 0
    assert main(["run", "--db", db_url, "--user", "sup", "--as-of", AS_OF.isoformat()]) == 0
    with transaction(db_url) as s:
        assert s.scalar(select(EvaluationRun.status).order_by(EvaluationRun.id.desc())) == "succeeded"
