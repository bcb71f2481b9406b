"""Files that used to be misread silently, or crash later: each is now read whole or refused
with its place (issue 8: items 3, 4, 6, 7, 12, 13)."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import base_tables, merge_tables, write_dataset, write_workbook

from engine.domain.errors import InputError
from engine.domain.models import ID_MAX_LENGTH, INT_MAX, TABLE_BY_NAME
from engine.ingest.loader import load_dataset

# every test with both CSV readers: the same datasets, the same problems word for word
pytestmark = pytest.mark.usefixtures("both_csv_readers")


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_dataset(path)
    return [str(p) for p in info.value.problems]


def case(n: int, **values: Any) -> dict[str, Any]:
    return {"case_id": f"C{n}", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-01-01",
            "discretion_used": "no", **values}


def with_cases(cases: list[dict[str, Any]], replace: bool = False) -> dict[str, list[dict[str, Any]]]:
    """The base tables with many cases added (``merge_tables`` is quadratic in rows)."""
    tables = base_tables()
    tables["cases"] = cases if replace else tables["cases"] + cases
    return tables


def rewrite_part(path: Path, part: str, edit) -> None:
    """Edit one part of a zip (an .xlsx) in place, as a crafted or stale file would have it."""
    with zipfile.ZipFile(path) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            z.writestr(info.filename, edit(data) if info.filename == part else data)


def sheet_part(path: Path, title: str) -> str:
    book = openpyxl.load_workbook(path, read_only=True)
    index = book.sheetnames.index(title) + 1
    book.close()
    return f"xl/worksheets/sheet{index}.xml"


def _replace_once(pattern: bytes, replacement: bytes, xml: bytes) -> bytes:
    new, n = re.subn(pattern, replacement, xml, count=1)
    assert n == 1, "the sheet should declare a dimension"
    return new


def set_dimension(path: Path, title: str, ref: str) -> None:
    rewrite_part(path, sheet_part(path, title),
                 lambda xml: _replace_once(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), xml))


# -- item 3: a stale <dimension> ------------------------------------------------------------

def test_xlsx_rows_past_a_stale_dimension_are_read(tmp_path):
    tables = with_cases([case(n) for n in range(2000)], replace=True)
    path = write_workbook(tables, tmp_path / "stale.xlsx")
    set_dimension(path, "cases", "A1:P1001")
    ds = load_dataset(path)
    assert len(ds.cases) == 2000
    assert ds.cases[-1].case_id == "C1999"
    assert ds.row_numbers["cases"][-1] == 2000


def test_xlsx_sheet_declaring_a1_keeps_its_columns(tmp_path):
    path = write_workbook(base_tables(), tmp_path / "a1.xlsx")
    for name in ("agencies", "processes", "cases"):
        set_dimension(path, name, "A1")
    ds = load_dataset(path)
    assert ds.processes[0].standard_days == 5
    assert ds.cases[0].reviewed_by == "SUP" and ds.cases[0].via_it_system is True


# -- item 4: implausible dates ---------------------------------------------------------------

@pytest.mark.parametrize("text, year", [("0001-03-01", "year 1 (BE 544)"), ("1/3/1067", "year 1067 (BE 1610)"),
                                        ("2899-01-01", "year 2356 (BE 2899)")])
def test_dates_outside_1900_2200_are_problems(dataset_dir, text, year):
    found = problems(dataset_dir({"cases": [case(1, received_on=text)]}))
    assert found == [f"cases.csv, row 2, column received_on, value '{text}': {year} is outside 1900–2200 "
                     f"(BE 2443–2743); check the year"]


def test_date_range_edges_are_accepted(dataset_dir):
    ds = load_dataset(dataset_dir({"cases": [case(1, received_on="2443-01-01"), case(2, received_on="31/12/2743")]}))
    assert [c.received_on.year for c in ds.cases[1:]] == [1900, 2200]


def test_native_xlsx_date_out_of_range(tmp_path):
    import datetime as dt

    tables = merge_tables(base_tables(), {"cases": [case(1, received_on=dt.datetime(1800, 1, 1))]})
    found = problems(write_workbook(tables, tmp_path / "old.xlsx"))
    assert any("column received_on" in p and "year 1800 (BE 2343) is outside" in p for p in found), found


# -- item 6: silent misreads ------------------------------------------------------------------

def test_csv_row_with_more_cells_than_the_header(tmp_path):
    path = write_dataset(tmp_path / "ds", base_tables())
    lines = (path / "escalations.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[-2:] == ["finding", "corrective_action"]
    # an unquoted comma in `finding` shifts the rest one column to the right
    lines.append("R1,BASE1,OFF1,SUP,2024-04-10,2024-04-12,ตรวจแล้ว, ไม่พบความผิด,ตักเตือน")
    lines.append("R2,BASE1,OFF1,SUP,2024-04-10,,,,")  # trailing empty cells are not values
    (path / "escalations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert problems(path) == ["escalations.csv, row 1, value 'ตักเตือน': 1 more value than the header has "
                              "columns (8); a value with a comma must be in double quotes"]


@pytest.mark.parametrize("text, expected", [("1,500", 1500), ("๑,๒๐๐", 1200), ("15", 15), ("1,000,000", 1_000_000)])
def test_thousands_separators_in_whole_numbers(dataset_dir, text, expected):
    ds = load_dataset(dataset_dir({"acknowledgements": [{"agency_id": "A1", "staff_total": text,
                                                         "staff_acknowledged": "1"}]}, replace=["acknowledgements"]))
    assert ds.acknowledgements[0].staff_total == expected


@pytest.mark.parametrize("text", ["1,5", "15,00", ",5", "1,,500", "1,5000"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused(dataset_dir, text):
    found = problems(dataset_dir({"acknowledgements": [{"agency_id": "A1", "staff_total": text,
                                                        "staff_acknowledged": "1"}]}, replace=["acknowledgements"]))
    assert found == [f"acknowledgements.csv, row 1, column staff_total, value '{text}': not a whole number: "
                     "a comma may only separate thousands (1,500)"]


def _with_shadow(tmp_path: Path, title: str, hidden: bool) -> Path:
    tables = base_tables()
    path = write_workbook(tables, tmp_path / "shadow.xlsx")
    book = openpyxl.load_workbook(path)
    shadow = book.create_sheet(title)
    cols = list(TABLE_BY_NAME["cases"].columns)
    shadow.append(cols)
    shadow.append([case(99).get(c) for c in cols])
    if hidden:
        shadow.sheet_state = "hidden"
    book.save(path)
    return path


@pytest.mark.parametrize("title, hidden, described", [
    ("cases ", True, "'cases ' (hidden)"), ("cases ", False, "'cases '"), (" cases", True, "' cases' (hidden)"),
])
def test_a_second_sheet_does_not_shadow_the_visible_one(tmp_path, title, hidden, described):
    ds = load_dataset(_with_shadow(tmp_path, title, hidden))
    assert [c.case_id for c in ds.cases] == ["BASE1"]
    assert ds.warnings == [f"shadow.xlsx: sheets 'cases' and {described} all name cases; the visible sheet "
                           f"'cases' was read, {described} ignored"]


def test_two_sheets_naming_a_table_without_a_clear_one_is_a_problem(tmp_path):
    path = _with_shadow(tmp_path, "cases ", hidden=False)
    book = openpyxl.load_workbook(path)
    book["cases"].title = " cases"
    book.save(path)
    assert problems(path) == ["shadow.xlsx[cases]: sheets ' cases' and 'cases ' all name cases; rename or delete "
                              "all but one"]


def test_a_hidden_sheet_alone_is_read_with_a_warning(tmp_path):
    path = write_workbook(base_tables(), tmp_path / "hidden.xlsx")
    book = openpyxl.load_workbook(path)
    book["monitoring_reports"].sheet_state = "hidden"
    book.save(path)
    ds = load_dataset(path)
    assert len(ds.monitoring_reports) == 1
    assert ds.warnings == ["hidden.xlsx: sheet 'monitoring_reports' (hidden) is not visible in Excel; it was read "
                           "as monitoring_reports"]


# -- item 7: what validates must import -------------------------------------------------------

def too_big_tables() -> dict[str, list[dict[str, Any]]]:
    long_id = "X" * (ID_MAX_LENGTH + 1)
    return merge_tables(base_tables(), {
        "cases": [case(1, applicant_id=long_id), case(2, outcome="อนุมัติ\x00"), case(3, applicant_id="X" * ID_MAX_LENGTH)],
        "acknowledgements": [{"agency_id": "A1", "staff_total": str(INT_MAX + 1), "staff_acknowledged": "1"},
                             {"agency_id": "A1", "staff_total": "9" * 30, "staff_acknowledged": "1"}],
    }, replace=["acknowledgements"])


def test_values_the_store_cannot_hold_are_problems_at_validate(tmp_path):
    found = problems(write_dataset(tmp_path / "ds", too_big_tables()))
    long_id = "X" * (ID_MAX_LENGTH + 1)
    assert found == [
        f"cases.csv, row 2, column applicant_id, value '{long_id}': 129 characters; an id may have at most 128",
        "cases.csv, row 3, column outcome, value 'อนุมัติ\\x00': contains a NUL character (byte 0), which the "
        "database cannot store; remove it",
        "acknowledgements.csv, row 1, column staff_total, value '2147483648': too large: the largest number the "
        "store holds is 2,147,483,647",
        f"acknowledgements.csv, row 2, column staff_total, value '{'9' * 30}': too large: the largest number the "
        "store holds is 2,147,483,647",
    ]


def test_the_largest_values_that_validate_also_import(tmp_path, db_url):
    """The limits are the store's own: at the limit, import works; one past it, PostgreSQL refuses."""
    import dataclasses

    from sqlalchemy.exc import DBAPIError

    from engine.store.data import import_dataset, load_from_db
    from engine.store.db import transaction
    from engine.store.scope import SYSTEM

    tables = merge_tables(base_tables(), {
        "cases": [case(1, applicant_id="ก" * ID_MAX_LENGTH, outcome="x" * 20_000)],
        "acknowledgements": [{"agency_id": "A1", "staff_total": str(INT_MAX), "staff_acknowledged": "1"}],
    }, replace=["acknowledgements"])
    ds = load_dataset(write_dataset(tmp_path / "ds", tables))
    with transaction(db_url) as session:
        import_dataset(session, SYSTEM, ds, "edge")
    with transaction(db_url) as session:
        stored = load_from_db(session, SYSTEM)
    assert stored.acknowledgements[0].staff_total == INT_MAX
    assert next(c for c in stored.cases if c.case_id == "C1").applicant_id == "ก" * ID_MAX_LENGTH
    if db_url.startswith("postgresql"):
        for past in ({"applicant_id": "ก" * (ID_MAX_LENGTH + 1)}, {"outcome": "x\x00"}):
            ds.cases[1] = dataclasses.replace(ds.cases[1], **past)  # as if validation had let it through
            with pytest.raises(DBAPIError), transaction(db_url) as session:
                import_dataset(session, SYSTEM, ds, "past the limit")
        ds.cases[1] = dataclasses.replace(ds.cases[1], outcome=None, applicant_id=None)
        ds.acknowledgements[0] = dataclasses.replace(ds.acknowledgements[0], staff_total=INT_MAX + 1)
        with pytest.raises(DBAPIError), transaction(db_url) as session:
            import_dataset(session, SYSTEM, ds, "past the limit")


# -- item 12: messages ----------------------------------------------------------------------

def test_unbalanced_quote_names_its_row_and_line(tmp_path):
    path = write_dataset(tmp_path / "ds", base_tables())
    text = (path / "officers.csv").read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace("SUP2,A1,", 'SUP2,A1,"', 1)  # data row 3 opens a quote it never closes
    (path / "officers.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    found = problems(path)
    assert ("officers.csv, row 3: a double quote opened in this row (line 4) is never closed, so the rest of the "
            "file would be read as one value; close the quote, or write a quote inside a value as \"\"") in found


def test_unbalanced_quote_in_a_large_file(tmp_path):
    tables = with_cases([case(n, outcome="อนุมัติตามระเบียบ" * 3) for n in range(3000)])
    path = write_dataset(tmp_path / "ds", tables)
    text = (path / "cases.csv").read_text(encoding="utf-8").splitlines()
    text[11] = text[11].replace(",อนุมัติ", ',"อนุมัติ', 1)
    (path / "cases.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    found = [p for p in problems(path) if "double quote" in p]
    assert found == ["cases.csv, row 11: a value in this row (line 12) runs past 131,072 characters, most likely "
                     "because a double quote opened there is never closed; close the quote, or write a quote "
                     "inside a value as \"\""], found


def test_text_after_a_closing_quote_is_not_glued(tmp_path):
    path = write_dataset(tmp_path / "ds", base_tables())
    text = (path / "agencies.csv").read_text(encoding="utf-8").splitlines()
    text[1] = 'A1,"สำนักงาน"ทดสอบ,true,,'
    (path / "agencies.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    assert ("agencies.csv, row 1: text follows a closing double quote in this row (line 2); write a quote inside a "
            "value as \"\" and put the whole value in double quotes") in problems(path)


def test_a_bad_byte_is_placed_in_the_file_and_the_file_is_not_called_empty(tmp_path):
    path = write_dataset(tmp_path / "ds", base_tables())
    good = (path / "agencies.csv").read_bytes()
    (path / "agencies.csv").write_bytes(good.replace("สำนักงาน".encode(), b"\xff" + "สำนักงาน".encode()))
    offset = good.index("สำนักงาน".encode())
    found = [p for p in problems(path) if p.startswith("agencies.csv")]
    assert found == [f"agencies.csv: not UTF-8 text: byte 0xFF at line 2 (byte offset {offset}) is not UTF-8; "
                     "save the file as CSV UTF-8"]


def test_a_bad_byte_past_the_first_mebibyte_has_its_true_offset(tmp_path):
    tables = with_cases([case(n, outcome="อนุมัติ" * 10) for n in range(6000)])
    path = write_dataset(tmp_path / "ds", tables)
    data = (path / "cases.csv").read_bytes()
    assert data.index(b"\nC5000,") > 1 << 20  # past what is sniffed
    at = data.index(b"\nC5000,") + 1
    (path / "cases.csv").write_bytes(data[:at] + b"\x80" + data[at:])
    line = data[:at].count(b"\n") + 1
    assert [p for p in problems(path) if p.startswith("cases.csv")] == [
        f"cases.csv: not UTF-8 text: byte 0x80 at line {line} (byte offset {at}) is not UTF-8; save the file as "
        "CSV UTF-8"]


def test_windows_874_is_read_with_a_warning(tmp_path):
    path = write_dataset(tmp_path / "ds", base_tables())
    for name in ("agencies", "officers"):
        text = (path / f"{name}.csv").read_text(encoding="utf-8")
        (path / f"{name}.csv").write_bytes(text.encode("cp874"))
    officers = (path / "officers.csv").read_bytes().replace("ผอ.กลุ่ม 2".encode("cp874"), "ผอ.กลุ่ม\u00a02 \u2013 “รักษาการ”".encode("cp874"))
    (path / "officers.csv").write_bytes(officers)
    ds = load_dataset(path)
    assert ds.agencies[0].name == "สำนักงานทดสอบ"
    assert ds.officers[2].name == "ผอ.กลุ่ม\u00a02 \u2013 “รักษาการ”"
    assert ds.officers[1].name == "ผอ.กลุ่ม 1"
    assert ds.warnings == [f"{name}.csv: this file is Windows-874 (Thai, not UTF-8) and was read as such; check the "
                           "Thai text, or save the file as CSV UTF-8 to be sure" for name in ("agencies", "officers")]


def test_did_you_mean_survives_other_problems(tmp_path):
    path = write_dataset(tmp_path / "ds", merge_tables(base_tables(), {"cases": [case(1, received_on="soon")]}))
    text = (path / "cases.csv").read_text(encoding="utf-8").replace(",decided_on,", ",decidde_on,", 1)
    (path / "cases.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_dataset(path)
    assert info.value.warnings == ["cases.csv: unknown column 'decidde_on' ignored (did you mean 'decided_on'?)"]


def test_did_you_mean_is_printed_with_the_problems(tmp_path, capsys):
    from engine.cli import main

    path = write_dataset(tmp_path / "ds", merge_tables(base_tables(), {"cases": [case(1, received_on="soon")]}))
    text = (path / "cases.csv").read_text(encoding="utf-8").replace(",decided_on,", ",decidde_on,", 1)
    (path / "cases.csv").write_text(text, encoding="utf-8")
    assert main(["validate", str(path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "warning: cases.csv: unknown column 'decidde_on' ignored (did you mean 'decided_on'?)" in err
    assert "column received_on, value 'soon'" in err


def test_uncached_formula_and_excel_error_have_their_own_messages(tmp_path):
    path = write_workbook(base_tables(), tmp_path / "formula.xlsx")
    book = openpyxl.load_workbook(path)
    book["processes"]["J2"] = "=2+3"      # openpyxl saves formulas without a result
    book["cases"]["A2"] = "=CONCAT(\"BASE\",1)"
    book.save(path)
    found = problems(path)
    assert ("formula.xlsx[processes], row 1, column standard_days, value '=2+3': a formula whose result was never "
            "saved (the file was written by a program that does not calculate); open and save it in Excel or "
            "LibreOffice, or type the value") in found
    assert any(p.startswith("formula.xlsx[cases], row 1, column case_id, value '=CONCAT(\"BASE\",1)': a formula")
               for p in found), found


def test_excel_error_cell(tmp_path):
    path = write_workbook(base_tables(), tmp_path / "error.xlsx")

    def to_error(xml: bytes) -> bytes:
        start = xml.index(b'<c r="A2"')
        end = xml.index(b"</c>", start) + 4
        return xml[:start] + b'<c r="A2" t="e"><v>#N/A</v></c>' + xml[end:]

    rewrite_part(path, sheet_part(path, "cases"), to_error)
    assert ("error.xlsx[cases], row 1, column case_id, value '#N/A': the cell shows the Excel error #N/A; correct "
            "its formula or type the value") in problems(path)


@pytest.mark.parametrize("value", [45383, 45383.0, "45383"])
def test_excel_serial_date_has_its_own_message(tmp_path, value):
    tables = merge_tables(base_tables(), {"cases": [case(1, received_on=value)]})
    path = write_workbook(tables, tmp_path / "serial.xlsx")
    found = problems(path)
    assert ("serial.xlsx[cases], row 2, column received_on, value '45383': an "
            "Excel serial date, not a date (45383 would be 2024-04-01): the cell is not formatted as a date; "
            "format the column as a date, or write YYYY-MM-DD") in found


# -- item 13: crafted workbooks ----------------------------------------------------------------

def test_declared_huge_dimension_costs_nothing(tmp_path, monkeypatch):
    """Trusting ``A1:XFD1048576`` padded every row to 16,384 cells: 20,000 rows took 6 s, not 2 s."""
    import engine.ingest.loader

    widths: list[int] = []
    read_table = engine.ingest.loader.read_table

    def measured(table, label, rows, out, progress):
        return read_table(table, label, ((n, widths.append(len(cells)) or cells) for n, cells in rows), out, progress)

    monkeypatch.setattr(engine.ingest.loader, "read_table", measured)
    tables = with_cases([case(n) for n in range(3000)], replace=True)
    path = write_workbook(tables, tmp_path / "xfd.xlsx")
    set_dimension(path, "cases", "A1:XFD1048576")
    ds = load_dataset(path)
    assert ds.counts()["cases"] == 3000
    assert max(widths) == len(TABLE_BY_NAME["cases"].columns)


def test_a_cell_far_to_the_right_is_refused_quickly(tmp_path):
    path = write_workbook(base_tables(), tmp_path / "wide.xlsx")
    rewrite_part(path, sheet_part(path, "cases"), lambda xml: xml.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'))
    start = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - start < 1.0
    assert found == ["wide.xlsx[cases]: cell XFD1048576 is beyond column SR, the widest a sheet may be; nothing "
                     "more was read from this sheet"]


def test_a_shared_strings_bomb_is_refused_before_reading(tmp_path):
    """Before: an 815 KB file of 20 million one-letter strings took 265 s and 1.2 GB to read."""
    path = write_workbook(base_tables(), tmp_path / "bomb.xlsx")
    bomb = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + \
        b"<si><t>a</t></si>" * 4_000_000 + b"</sst>"
    part = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.sharedStrings+xml"/>')  # registered, so that a reader would load it
    rewrite_part(path, "[Content_Types].xml", lambda xml: xml.replace(b"</Types>", part + b"</Types>"))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", bomb)
    assert path.stat().st_size < 1 << 20
    start = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - start < 1.0
    assert len(found) == 1 and re.fullmatch(r"bomb\.xlsx: part xl/sharedStrings\.xml unpacks from \d+ KiB to 64 MiB "
                                            r"\(\d+:1\), far more than a spreadsheet packs \(a crafted file\?\)",
                                            found[0]), found


def test_a_zip_that_is_not_a_write_workbook(tmp_path):
    path = tmp_path / "junk.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    found = problems(path)
    assert len(found) == 1 and found[0].startswith("junk.xlsx: not a readable .xlsx workbook"), found
