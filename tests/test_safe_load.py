"""Uploads are read in a child process with a memory limit (issue 8 item 13)."""

from __future__ import annotations

import os
import resource

import pytest
from conftest import base_tables, merge_tables, write_dataset

from engine.domain.errors import InputError
from engine.ingest.isolated import load_dataset_isolated
from engine.ingest.loader import load_dataset


def test_a_valid_upload_comes_back_whole(dataset_dir):
    path = dataset_dir()
    ds = load_dataset_isolated(path)
    assert ds.counts() == load_dataset(path).counts()
    assert ds.cases == load_dataset(path).cases


def test_problems_and_warnings_cross_the_process_boundary(tmp_path):
    path = write_dataset(tmp_path / "ds", merge_tables(base_tables(), {"cases": [
        {"case_id": "C1", "process_id": "P1", "officer_id": "OFF1", "received_on": "soon", "discretion_used": "no"}]}))
    text = (path / "cases.csv").read_text(encoding="utf-8").replace(",decided_on,", ",decidde_on,", 1)
    (path / "cases.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_dataset_isolated(path)
    assert [str(p) for p in info.value.problems] == [
        "cases.csv, row 2, column received_on, value 'soon': not a date; write YYYY-MM-DD or D/M/YYYY (a year of "
        "2400 or more is Buddhist Era)"]
    assert info.value.warnings == ["cases.csv: unknown column 'decidde_on' ignored (did you mean 'decided_on'?)"]


def test_a_file_past_the_memory_limit_is_a_problem_not_a_crash(tmp_path):
    cases = [{"case_id": f"C{n}", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-01-01",
              "discretion_used": "no", "outcome": f"{n:06d} " + "ผลการพิจารณา" * 20} for n in range(60_000)]
    tables = base_tables()
    tables["cases"] += cases
    path = write_dataset(tmp_path / "ds", tables)
    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(InputError) as info:
        load_dataset_isolated(path, memory_mb=16)
    assert [str(p).split(" / ")[-1] for p in info.value.problems] in (
        ["reading this file needs more than 16 MiB of memory, the limit for an upload; split it into smaller "
         "files, or import it with the command line (discretion-review import)"],
        ["reading this file stopped the reader; it may need more than 16 MiB of memory, the limit for an "
         "upload; split it into smaller files, or import it with the command line (discretion-review import)"])
    assert str(info.value.problems[0]).startswith("ds: ") and "16 MiB" in str(info.value.problems[0]).split(" / ")[0]
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # the limit was the child's only
    assert os.getpid()  # and this process is alive to say so
    assert load_dataset_isolated(path, memory_mb=1024).counts()["cases"] == 60_001


def test_the_child_does_not_rerun_the_apps_main_script(dataset_dir, tmp_path, monkeypatch):
    """In the app, ``__main__`` is the Streamlit page being run; the child must not run it again."""
    import sys
    import types

    page = tmp_path / "page.py"
    page.write_text("raise SystemExit('the page ran again in the child')\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", main)
    assert load_dataset_isolated(dataset_dir()).counts()["cases"] == 1
