"""Small files that cost minutes and gigabytes (issue 24 item 6): every reader reads within the
same limits of rows, cells, seconds and problems (engine/ingest/limits.py), for validate, import,
check and the app's upload; the upload child is also stopped by the operating system past its
processor time, and dies with the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import base_tables, write_dataset, write_workbook

from engine.cli import main
from engine.domain.errors import InputError, UsageError
from engine.ingest.limits import ReadLimits
from engine.ingest.loader import load_dataset

CASES_HEADER = ("case_id,process_id,officer_id,applicant_id,received_on,decided_on,outcome,discretion_used,"
                "legal_basis,reviewed_by,reviewed_on,deviation,via_it_system,override_reason,applicant_related,"
                "coi_declared,complete_on,applicant_kind,coi_permitted_by\n")


def refused(path: Path, **limits: Any) -> list[Any]:
    with pytest.raises(InputError) as info:
        load_dataset(path, limits=ReadLimits(**limits))
    return info.value.problems


def many_cases(n: int) -> dict[str, list[dict[str, Any]]]:
    tables = base_tables()
    tables["cases"] = [{"case_id": f"C{i}", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-01-01",
                        "discretion_used": "no"} for i in range(n)]
    return tables


def one_character_lines(folder: Path, lines: int) -> Path:
    """The issue's ``cases.csv``: its header, then lines of one character each."""
    path = write_dataset(folder, base_tables())
    (path / "cases.csv").write_text(CASES_HEADER + "x\n" * lines, encoding="utf-8")
    return path


def test_a_file_of_one_character_lines_stops_at_the_problem_limit(tmp_path, both_csv_readers, capsys):
    """Before: 1,000,000 such lines made five million problems (2.4 GB, 22 s); 100,000 here."""
    path = one_character_lines(tmp_path / "ds", 100_000)
    problems = refused(path)
    assert len(problems) == 1_001  # the first thousand, and why reading stopped
    last = problems[-1]
    assert last.file == "cases.csv" and last.row is not None and last.row < 250  # about five problems a line
    assert last.reason.startswith("พบปัญหาเกิน 1,000 รายการ จึงหยุดอ่านที่แถวข้อมูล")
    assert f"more than 1,000 problems: reading stopped at data row {last.row} in this file" in last.reason
    assert main(["validate", str(path), "--max-problems", "10"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") < 20 and "more than 10 problems: reading stopped at data row 3" in err


def test_rows_past_the_limit_stop_every_reader_with_the_same_words(tmp_path, both_csv_readers):
    tables = many_cases(30)
    reason = ("มีข้อมูลเกิน 20 แถว ซึ่งเป็นขีดจำกัดต่อไฟล์ จึงหยุดอ่าน: แบ่งข้อมูลเป็นหลายไฟล์ หรือตั้งขีดจำกัด (--max-rows, "
              "DISCRETION_MAX_ROWS) / more than 20 data rows, the limit for a file; reading stopped: split the data, "
              "or set the limit (--max-rows, DISCRETION_MAX_ROWS)")
    by_csv = refused(write_dataset(tmp_path / "ds", tables), rows=20)
    assert [(p.file, p.reason) for p in by_csv] == [("cases.csv", reason)]
    by_xlsx = refused(write_workbook(tables, tmp_path / "book.xlsx"), rows=20)
    assert [(p.file, p.reason) for p in by_xlsx] == [("book.xlsx[cases]", reason)]
    assert load_dataset(write_dataset(tmp_path / "ok", tables), limits=ReadLimits(rows=30)).counts()["cases"] == 30


def test_cells_past_the_limit_stop_the_read_in_the_file_where_they_run_out(tmp_path, both_csv_readers):
    tables = many_cases(30)
    found = refused(write_dataset(tmp_path / "ds", tables), cells=200)
    assert len(found) == 1 and found[0].file == "cases.csv"
    assert found[0].reason.endswith("the dataset has more than 200 cells, the limit; reading stopped in this file: "
                                    "split the data, or set the limit (--max-cells, DISCRETION_MAX_CELLS)")
    assert [p.file for p in refused(write_workbook(tables, tmp_path / "book.xlsx"), cells=200)] == ["book.xlsx[cases]"]


def test_a_read_past_its_seconds_stops(tmp_path, monkeypatch, both_csv_readers):
    import engine.ingest.limits

    ticks = iter(range(0, 10**6, 10))  # a clock that moves ten seconds each time it is read
    monkeypatch.setattr(engine.ingest.limits.time, "monotonic", lambda: next(ticks))
    found = refused(write_dataset(tmp_path / "ds", many_cases(5)), seconds=25)
    assert len(found) == 1 and found[0].reason.endswith(
        "reading took more than 25 seconds, the limit; reading stopped: split the data, or set the limit "
        "(--max-read-seconds, DISCRETION_MAX_READ_SECONDS)")


def test_the_limits_are_set_by_environment_and_by_flag_for_validate_import_and_check(tmp_path, monkeypatch,
                                                                                     capsys, db_url):
    path = write_dataset(tmp_path / "ds", many_cases(30))
    assert main(["users", "--db", db_url, "add", "admin", "--role", "admin", "--password", "Kh0n-Kaen-ledger-2569!"]) == 0
    capsys.readouterr()
    for command in (["validate", str(path)], ["check", str(path), "--as-of", "2024-04-20", "--jobs", "1"],
                    ["import", str(path), "--db", db_url, "--user", "admin"]):
        assert main([*command, "--max-rows", "20"]) == 2, command
        assert "more than 20 data rows, the limit for a file" in capsys.readouterr().err
        monkeypatch.setenv("DISCRETION_MAX_ROWS", "25")
        assert main(command) == 2
        assert "more than 25 data rows, the limit for a file" in capsys.readouterr().err
        assert main([*command, "--max-rows", "30"]) in (0, 1)  # the flag wins
        monkeypatch.delenv("DISCRETION_MAX_ROWS")
        capsys.readouterr()
    monkeypatch.setenv("DISCRETION_MAX_CELLS", "lots")
    with pytest.raises(UsageError, match="DISCRETION_MAX_CELLS takes a number above 0"):
        ReadLimits.from_env()
    monkeypatch.delenv("DISCRETION_MAX_CELLS")
    assert main(["validate", str(path), "--max-read-seconds", "0"]) == 2
    assert "--max-read-seconds takes a number above 0" in capsys.readouterr().err


def _row_events(monkeypatch) -> list[int]:
    """Counts every element openpyxl parses in a sheet, whoever asks it to."""
    from openpyxl.worksheet import _reader

    seen = [0]
    real = _reader.iterparse

    def counted(*args: Any, **kwargs: Any):
        for event in real(*args, **kwargs):
            seen[0] += 1
            yield event
    monkeypatch.setattr(_reader, "iterparse", counted)
    return seen


def blank_workbook(path: Path, rows: int, header: bool = True) -> Path:
    """A ``cases`` sheet of empty text cells (no problem in any of them) and no ``<dimension>``:
    the kind of workbook that costs a reader the most and tells it the least."""
    columns = "ABCDEFGHIJKLMNOPQRS"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                   'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships"><sheets><sheet name="cases" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '</Relationships>')
        with z.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                     b'2006/main"><sheetData>')
            names = CASES_HEADER.strip().split(",")
            if header:
                fh.write(b'<row r="1">' + b"".join(f'<c r="{c}1" t="inlineStr"><is><t>{n}</t></is></c>'.encode()
                                                   for c, n in zip(columns, names)) + b"</row>")
            for r in range(2, rows + 2):
                fh.write(f'<row r="{r}">'.encode() + b"".join(
                    f'<c r="{c}{r}" t="inlineStr"><is><t></t></is></c>'.encode() for c in columns) + b"</row>")
            fh.write(b"</sheetData></worksheet>")
    return path


def test_a_workbook_is_read_within_its_limits_from_its_first_byte(tmp_path, monkeypatch):
    """A sheet without a declared size was parsed whole when the workbook was opened, before any
    limit counted a cell (the 53 MB workbook of the issue was read twice)."""
    path = blank_workbook(tmp_path / "blank.xlsx", 20_000)
    seen = _row_events(monkeypatch)
    found = refused(path, rows=100)
    assert found[-1].file == "blank.xlsx[cases]" and "more than 100 data rows" in found[-1].reason
    assert seen[0] < 20_000  # about 100 rows of 58 elements; the whole sheet has 1,160,000


def test_the_upload_child_reads_within_the_limits_it_is_given(tmp_path):
    from engine.ingest.isolated import load_dataset_isolated

    path = write_dataset(tmp_path / "ds", many_cases(30))
    with pytest.raises(InputError) as info:
        load_dataset_isolated(path, limits=ReadLimits(rows=20))
    assert [(p.file, "more than 20 data rows" in p.reason) for p in info.value.problems] == [("cases.csv", True)]
    assert load_dataset_isolated(path, limits=ReadLimits(rows=30)).counts()["cases"] == 30


def test_the_upload_child_is_stopped_past_its_processor_time(tmp_path, monkeypatch):
    """Wherever the time goes (a library's loop the reader's clock does not see), the operating
    system stops the child past its processor time, and the upload is told the limit."""
    from engine.ingest import isolated

    monkeypatch.setattr(isolated, "cpu_allowance", lambda limits: 1)  # less than the read takes
    with pytest.raises(InputError) as info:
        isolated.load_dataset_isolated(blank_workbook(tmp_path / "blank.xlsx", 100_000), limits=ReadLimits(seconds=600))
    assert [str(p) for p in info.value.problems] == [
        "blank.xlsx: อ่านข้อมูลนานเกิน 600 วินาที ซึ่งเป็นขีดจำกัด จึงหยุดอ่าน: แบ่งข้อมูล หรือตั้งขีดจำกัด (--max-read-seconds, "
        "DISCRETION_MAX_READ_SECONDS) / reading took more than 600 seconds, the limit; reading stopped: split the "
        "data, or set the limit (--max-read-seconds, DISCRETION_MAX_READ_SECONDS)"]


def _children(pid: int, marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and marker in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_upload_child_dies_with_the_app(tmp_path):
    """Before: a killed app left its upload reader reading (1.2 GB) until it was done."""
    path = blank_workbook(tmp_path / "blank.xlsx", 300_000)  # minutes of reading
    app = subprocess.Popen([sys.executable, "-c", "import sys; from engine.ingest.isolated import "
                            "load_dataset_isolated; load_dataset_isolated(sys.argv[1])", str(path)],
                           cwd=Path(__file__).resolve().parents[1], stderr=subprocess.DEVNULL)
    reader: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not reader and time.monotonic() < deadline:
            reader = _children(app.pid, "engine.ingest.isolated")
            time.sleep(0.05)
        assert reader, "the app started no reader"
        time.sleep(1)  # reading
        os.kill(app.pid, signal.SIGKILL)
        app.wait()
        deadline = time.monotonic() + 5
        while _alive(reader[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(reader[0]), "the reader outlived the app"
    finally:
        for pid in reader:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if app.poll() is None:
            app.kill()


def test_the_seconds_hold_inside_a_library_the_reader_cannot_watch(tmp_path, monkeypatch):
    """openpyxl parses a workbook's shared strings and styles whole as it opens it (32 MiB of shared
    strings took 53 s): no reader's clock is looked at meanwhile, so a timer stops it."""
    from openpyxl.reader import excel

    path = write_workbook(base_tables(), tmp_path / "book.xlsx")
    real, spent = excel.apply_stylesheet, [0]

    def slow(*args):  # a library's long loop
        for _ in range(3000):
            spent[0] += 1
            time.sleep(0.01)
        return real(*args)
    monkeypatch.setattr(excel, "apply_stylesheet", slow)
    found = refused(path, seconds=0.5)
    assert [(p.file, p.reason.split(" / ")[-1]) for p in found] == [
        ("book.xlsx", "reading took more than 0.5 seconds, the limit; reading stopped: split the data, or set the "
                      "limit (--max-read-seconds, DISCRETION_MAX_READ_SECONDS)")]
    assert spent[0] < 1000  # stopped a second after the limit, not thirty
    import signal

    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no timer left behind
