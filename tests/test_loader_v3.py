"""Exchange format v3 (SPEC §2 additions): affects_others, coi_ground, coi_exception, effective_from,
the outcome words, and their checks, in CSV and XLSX; a v2 dataset stays valid."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import base_tables, merge_tables, write_workbook

from engine.domain.errors import InputError
from engine.domain.models import outcome_kind
from engine.ingest.loader import load_dataset

pytestmark = pytest.mark.usefixtures("both_csv_readers")

V3_ROWS = {
    "processes": [{"process_id": "P1", "agency_id": "A1", "name": "อนุญาตก่อสร้าง", "discretionary": "true",
                   "public_service": "true", "affects_others": "ใช่"}],
    "cases": [{"case_id": "BASE1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
               "decided_on": "2024-04-05", "discretion_used": "true", "outcome": "อนุญาต",
               "applicant_related": "ใช่", "coi_ground": "s16", "coi_exception": "ไม่มีเจ้าหน้าที่อื่นปฏิบัติหน้าที่แทน"}],
    "parameters": [{"agency_id": "A1", "name": "rotation_years", "value": "3", "source": "คำสั่ง ที่ 3/2570",
                    "effective_from": "1/1/2570"},
                   {"agency_id": "A1", "name": "rotation_years", "value": "5", "source": "คำสั่ง ที่ 1/2567"}],
}


def problems(path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_dataset(path)
    return [str(p) for p in info.value.problems]


def test_v3_columns_are_read(dataset_dir):
    ds = load_dataset(dataset_dir(V3_ROWS, replace=["processes", "cases"]))
    (p,), (c,) = ds.processes, ds.cases
    assert p.affects_others is True and (c.coi_ground, c.coi_exception) == ("s16", "ไม่มีเจ้าหน้าที่อื่นปฏิบัติหน้าที่แทน")
    assert [(r.value, r.effective_from) for r in ds.parameters] == [("3", dt.date(2027, 1, 1)), ("5", None)]


def test_v3_columns_are_read_from_a_workbook(tmp_path):
    book = write_workbook(merge_tables(base_tables(), V3_ROWS, replace=["processes", "cases"]), tmp_path / "v3.xlsx")
    ds = load_dataset(book)
    assert ds.processes[0].affects_others is True and ds.cases[0].coi_ground == "s16"


def test_a_v2_dataset_stays_valid_and_its_new_columns_are_empty(dataset_dir):
    ds = load_dataset(dataset_dir())
    assert ds.processes[0].affects_others is None and ds.cases[0].coi_ground is None
    assert ds.cases[0].coi_exception is None


def test_a_conflict_described_for_a_decider_not_related_and_a_ground_not_in_the_law_are_refused(dataset_dir):
    rows = {"cases": [{**V3_ROWS["cases"][0], "applicant_related": "ไม่ใช่"},
                      {**V3_ROWS["cases"][0], "case_id": "C2", "applicant_related": "", "coi_ground": "",
                       "coi_exception": "ด่วน"},
                      {**V3_ROWS["cases"][0], "case_id": "C3", "coi_ground": "s17"}]}
    found = problems(dataset_dir(merge_tables(V3_ROWS, rows, replace=["cases"]), replace=["processes", "cases"]))
    assert "cases.csv, row 1, column coi_ground, value 's16': given for a case whose applicant_related is not true: " \
           "a conflict of interest is described only for a decider related to the applicant" in found
    assert any(p.startswith("cases.csv, row 1, column coi_exception,") for p in found), found
    assert any(p.startswith("cases.csv, row 2, column coi_exception, value 'ด่วน': given for a case") for p in found)
    assert any(p.startswith("cases.csv, row 3, column coi_ground, value 's17': must be 's13'") for p in found), found


def test_two_orders_in_force_from_the_same_day_are_refused_and_different_days_are_not(dataset_dir):
    same = {"parameters": [*V3_ROWS["parameters"], {**V3_ROWS["parameters"][0], "value": "2",
                                                     "effective_from": "2027-01-01"}]}
    found = problems(dataset_dir(merge_tables(V3_ROWS, same, replace=["parameters"]), replace=["processes", "cases"]))
    assert found == ["parameters.csv, row 3, column name, value 'rotation_years': set twice for the same agency and "
                     "process from 2027-01-01 (first in data row 1): which one applies would be a guess"]


@pytest.mark.parametrize(("written", "kind"), [
    ("approved", "approved"), (" APPROVED ", "approved"), ("อนุมัติ", "approved"), ("อนุญาต", "approved"),
    ("ให้ตามคำขอ", "approved"), ("เห็นชอบ", "approved"), ("partial", "partial"), ("อนุมัติบางส่วน", "partial"),
    ("อนุญาตบางส่วน", "partial"), ("denied", "denied"), ("Refused", "denied"), ("ไม่อนุมัติ", "denied"),
    ("ไม่อนุญาต", "denied"), ("ยกคำขอ", "denied"), ("ปฏิเสธ", "denied"), ("รอเอกสาร", None), ("", None),
    (None, None), ("approve", None)])
def test_an_outcome_is_read_as_one_of_three_words_or_kept_as_written(written, kind):
    assert outcome_kind(written) == kind


def test_v3_columns_are_stored_and_read_back(db_url, dataset_dir):
    from engine.store.data import import_dataset, load_from_db
    from engine.store.db import transaction
    from engine.store.scope import SYSTEM

    ds = load_dataset(dataset_dir(V3_ROWS, replace=["processes", "cases"]))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "v3")
    with transaction(db_url) as s:
        back = load_from_db(s, SYSTEM)
    assert back.processes[0].affects_others is True
    assert (back.cases[0].coi_ground, back.cases[0].coi_exception) == ("s16", "ไม่มีเจ้าหน้าที่อื่นปฏิบัติหน้าที่แทน")
    assert sorted((r.value, r.effective_from) for r in back.parameters) == [("3", dt.date(2027, 1, 1)), ("5", None)]
