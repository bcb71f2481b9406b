"""The dataset loader: value formats, and every problem reported with file, row, column, value."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from conftest import base_tables, write_dataset, write_workbook

from engine.domain.errors import InputError
from engine.ingest.loader import load_dataset

# every test with both CSV readers: the same datasets, the same problems word for word
pytestmark = pytest.mark.usefixtures("both_csv_readers")


def problems(path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_dataset(path)
    return [str(p) for p in info.value.problems]


def test_base_dataset_loads(dataset_dir):
    ds = load_dataset(dataset_dir())
    assert ds.counts()["officers"] == 6
    assert ds.cases[0].decided_on == dt.date(2024, 4, 3)


@pytest.mark.parametrize("text, expected", [
    ("2024-04-03", dt.date(2024, 4, 3)),
    ("2567-04-03", dt.date(2024, 4, 3)),      # Buddhist Era in ISO form
    ("3/4/2567", dt.date(2024, 4, 3)),        # D/M/BE
    ("03/04/2024", dt.date(2024, 4, 3)),      # D/M/CE
    ("๓/๔/๒๕๖๗", dt.date(2024, 4, 3)),        # Thai digits
    (" 2024-04-03 ", dt.date(2024, 4, 3)),
])
def test_dates_in_every_accepted_form(dataset_dir, text, expected):
    ds = load_dataset(dataset_dir({"cases": [{"case_id": "BASE1", "process_id": "P1", "officer_id": "OFF1",
                                              "received_on": text, "discretion_used": "no"}]}))
    assert ds.cases[0].received_on == expected


@pytest.mark.parametrize("text, expected", [
    ("true", True), ("FALSE", False), ("Yes", True), ("no", False), ("y", True), ("N", False), ("1", True),
    ("0", False), ("ใช่", True), ("ไม่ใช่", False), ("มี", True), ("ไม่มี", False), ("๑", True), ("๐", False),
])
def test_booleans_in_thai_and_english(dataset_dir, text, expected):
    ds = load_dataset(dataset_dir({"cases": [{"case_id": "BASE1", "process_id": "P1", "officer_id": "OFF1",
                                              "received_on": "2024-01-01", "discretion_used": text}]}))
    assert ds.cases[0].discretion_used is expected


def test_thai_digits_in_numbers(dataset_dir):
    ds = load_dataset(dataset_dir({"processes": [{"process_id": "P1", "agency_id": "A1", "name": "x",
                                                  "discretionary": "true", "public_service": "false",
                                                  "standard_days": "๑๕"}]}))
    assert next(p for p in ds.processes if p.process_id == "P1").standard_days == 15


def test_every_problem_at_once_with_place_and_reason(tmp_path):
    tables = base_tables()
    tables["cases"] = [
        {"case_id": "C1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-13-01", "discretion_used": "true"},
        {"case_id": "C2", "process_id": "P11", "officer_id": "OFF1", "received_on": "2024-01-01", "discretion_used": "maybe"},
        {"case_id": "C3", "process_id": "P1", "officer_id": "OFF1", "discretion_used": "true"},
        {"case_id": "C1", "process_id": "P1", "officer_id": "OFFX", "received_on": "2024-01-05", "discretion_used": "true"},
    ]
    found = problems(write_dataset(tmp_path / "ds", tables))
    assert "cases.csv, row 1, column received_on, value '2024-13-01': no such date (month must be in 1..12)" in found
    assert ("cases.csv, row 2, column discretion_used, value 'maybe': not a yes/no value; write true/false, yes/no, "
            "y/n, 1/0, ใช่/ไม่ใช่ or มี/ไม่มี") in found
    assert "cases.csv, row 2, column process_id, value 'P11': no such id in processes (did you mean 'P1'?)" in found
    assert "cases.csv, row 3, column received_on: required value is missing" in found
    assert "cases.csv, row 4, column officer_id, value 'OFFX': no such id in officers (did you mean 'OFF3'?)" in found
    assert "cases.csv, row 4, column case_id, value 'C1': duplicate id (first used in data row 1)" in found
    assert len(found) == 6, found


def test_cross_field_problems(dataset_dir):
    path = dataset_dir({
        "cases": [
            {"case_id": "C1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-01-10",
             "decided_on": "2024-01-09", "discretion_used": "true"},
            {"case_id": "C2", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-01-10",
             "decided_on": "2024-01-12", "reviewed_on": "2024-01-11", "reviewed_by": "SUP", "discretion_used": "true"},
            {"case_id": "C3", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-01-10",
             "reviewed_by": "SUP", "discretion_used": "true"},
        ],
        "escalations": [{"report_id": "R1", "case_id": "C1", "reported_by": "OFF1", "reported_to": "SUP",
                         "reported_on": "2024-02-01", "investigated_on": "2024-01-20"}],
    })
    found = problems(path)
    assert "cases.csv, row 2, column decided_on, value '2024-01-09': decided before it was received (2024-01-10)" in found
    assert "cases.csv, row 3, column reviewed_on, value '2024-01-11': reviewed before it was decided (2024-01-12)" in found
    assert "cases.csv, row 4, column reviewed_on: reviewed_by is given, so reviewed_on is required too" in found
    assert ("escalations.csv, row 1, column investigated_on, value '2024-01-20': investigated before it was "
            "reported (2024-02-01)") in found


def test_supervisor_cycle_is_named(dataset_dir):
    path = dataset_dir({"officers": [
        {"officer_id": "HEAD", "agency_id": "A1", "name": "หัวหน้า", "supervisor_id": "OFF1"},
    ]})
    found = problems(path)
    assert found == ["officers.csv, row 6, column supervisor_id, value 'OFF1': supervisor chain has a cycle: "
                     "HEAD → OFF1 → SUP → HEAD"] or any("supervisor chain has a cycle" in p for p in found)
    assert len(found) == 1


def test_missing_file_and_column(tmp_path):
    tables = base_tables()
    del tables["officers"]
    path = write_dataset(tmp_path / "ds", tables)
    (path / "processes.csv").write_text("process_id,agency_id,name,discretionary\nP1,A1,x,true\n", encoding="utf-8")
    found = problems(path)
    assert "officers.csv: required file is missing" in found
    assert "processes.csv, column public_service: required column is missing from the header" in found


def test_unknown_column_is_a_warning_and_bom_is_accepted(tmp_path):
    path = write_dataset(tmp_path / "ds", base_tables())
    text = (path / "agencies.csv").read_text(encoding="utf-8").splitlines()
    text[0] += ",remarks"
    text[1] += ",anything"
    (path / "agencies.csv").write_text("\ufeff" + "\n".join(text) + "\n", encoding="utf-8")
    ds = load_dataset(path)
    assert ds.agencies[0].agency_id == "A1"
    assert ds.warnings == ["agencies.csv: unknown column 'remarks' ignored"]


def test_not_utf8(tmp_path):
    path = write_dataset(tmp_path / "ds", base_tables())
    (path / "agencies.csv").write_bytes("agency_id,name,serves_public\nA1,Café,true\n".encode("cp1252"))
    found = problems(path)
    assert any(p.startswith("agencies.csv: not UTF-8 text") for p in found)


def test_xlsx_workbook_with_native_cells(tmp_path):
    out = write_workbook(base_tables(), tmp_path / "data.xlsx")
    book = openpyxl.load_workbook(out)
    cases = book["cases"]
    cases["D2"] = dt.datetime(2024, 4, 1)     # a real Excel date
    cases["E2"] = True                         # a real Excel boolean
    book["processes"]["J2"] = 5                # a real number
    out = tmp_path / "data.xlsx"
    book.save(out)
    ds = load_dataset(out)
    assert ds.cases[0].received_on == dt.date(2024, 4, 1)
    assert ds.cases[0].discretion_used is True
    assert ds.processes[0].standard_days == 5


def test_xlsx_problem_names_the_sheet(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "agencies"
    sheet.append(["agency_id", "name", "serves_public"])
    sheet.append(["A1", "x", "perhaps"])
    out = tmp_path / "bad.xlsx"
    book.save(out)
    found = problems(out)
    assert "bad.xlsx[agencies], row 1, column serves_public, value 'perhaps': not a yes/no value; write " \
           "true/false, yes/no, y/n, 1/0, ใช่/ไม่ใช่ or มี/ไม่มี" in found
    assert "bad.xlsx[processes]: required file is missing" in found


def test_not_a_dataset(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("hello")
    assert problems(f) == [f"{f}: not a dataset: give a folder of CSV files or an .xlsx workbook"]
