"""SPEC §3 "Checked years": a flag whose dates lie in a year whose days off nobody checked
(kb/calendar.yaml ``checked_years``: 2567-2569 here) carries ``evidence.calendar_unchecked_years``,
the Buddhist-Era years from its earliest to its latest date that are not checked; a flag whose
dates lie in checked years carries none. Flags of one parameter set share their parameters'
evidence: each flag's years are still its own."""

from __future__ import annotations

import datetime as dt

from conftest import base_tables, merge_tables, write_dataset

from engine.evaluation.run import evaluate
from engine.ingest.loader import load_dataset

AS_OF = dt.date(2024, 7, 1)


def _case(case_id: str, decided: str, reviewed: str) -> dict:
    return {"case_id": case_id, "process_id": "P1", "officer_id": "OFF1", "applicant_id": f"X-{case_id}",
            "received_on": decided, "decided_on": decided, "discretion_used": "true", "legal_basis": "มาตรา 1",
            "reviewed_by": "SUP", "reviewed_on": reviewed, "via_it_system": "true"}


def test_a_late_review_in_an_unchecked_year_says_so_and_one_in_checked_years_does_not(tmp_path):
    cases = [_case("IN2567", "2024-05-02", "2024-06-28"),      # 2567: checked
             _case("IN2566", "2023-05-02", "2023-06-30"),      # 2566: not checked
             _case("ACROSS", "2023-12-20", "2024-02-20"),      # from 2566 into 2567
             _case("IN2567B", "2024-03-01", "2024-04-30")]     # checked again, after the others
    ds = load_dataset(write_dataset(tmp_path / "ds", merge_tables(base_tables(), {"cases": cases})))
    late = {f.subject_id: f.evidence for f in evaluate(ds, AS_OF, jobs=1).flags if f.rule_id == "1.1-late-review"}
    assert set(late) == {"IN2567", "IN2566", "ACROSS", "IN2567B"}
    assert late["IN2566"]["calendar_unchecked_years"] == [2566]
    assert late["ACROSS"]["calendar_unchecked_years"] == [2566]
    assert "calendar_unchecked_years" not in late["IN2567"]
    assert "calendar_unchecked_years" not in late["IN2567B"]
