from __future__ import annotations

import csv
import datetime as dt
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
# The app says an unexpected error in Thai with a reference (ui/failures.py); here Streamlit shows it
# whole instead, so that AppTest's ``at.exception`` sees every error a page raises (the app's own
# setting, "none", is tested in tests/test_store_ids.py).
os.environ["STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"] = "full"

from engine.domain.models import TABLE_BY_NAME  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def write_dataset(folder: Path, tables: dict[str, list[dict[str, Any]]]) -> Path:
    """Write tables as the exchange format's CSV files (every column of the model)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns = list(TABLE_BY_NAME[name].columns)
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=columns)
            w.writeheader()
            for row in rows:
                w.writerow({k: _cell(v) for k, v in row.items()})
    return folder


def write_workbook(tables: dict[str, list[dict[str, Any]]], out: Path) -> Path:
    """Write tables as an .xlsx workbook, a sheet per table (openpyxl, native cell types kept)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        columns = list(TABLE_BY_NAME[name].columns)
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c) for c in columns])
    book.save(out)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def base_tables() -> dict[str, list[dict[str, Any]]]:
    return yaml.safe_load((FIXTURES / "rules" / "_base.yaml").read_text(encoding="utf-8"))


def merge_tables(base: dict[str, list[dict[str, Any]]], extra: dict[str, list[dict[str, Any]]],
                 replace: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Rows of ``extra`` replace base rows with the same id, or are appended."""
    out = {k: list(v) for k, v in base.items()}
    for name, rows in extra.items():
        id_col = TABLE_BY_NAME[name].id_column
        current = [] if name in (replace or []) else out.get(name, [])
        for row in rows:
            if id_col:
                current = [r for r in current if str(r.get(id_col)) != str(row.get(id_col))]
            current.append(row)
        out[name] = current
    return out


@pytest.fixture
def dataset_dir(tmp_path: Path):
    def make(extra: dict[str, list[dict[str, Any]]] | None = None, replace: list[str] | None = None,
             name: str = "ds") -> Path:
        return write_dataset(tmp_path / name, merge_tables(base_tables(), extra or {}, replace))
    return make


@pytest.fixture(autouse=True)
def _no_log_lines(monkeypatch):
    """The JSON log lines on stderr (engine.logs) are off in tests, which read stderr for the
    messages people read; tests of the log turn them on (DISCRETION_LOG=json)."""
    monkeypatch.setenv("DISCRETION_LOG", "off")


@pytest.fixture(autouse=True, scope="session")
def _audit_key_file(tmp_path_factory):
    """One audit key file for the session's stores (engine/store/keys.py), outside the checkout:
    without it each store's migration would make var/audit-keys in the working folder."""
    import os

    os.environ.setdefault("DISCRETION_AUDIT_KEY_FILE", str(tmp_path_factory.mktemp("audit-keys") / "audit-keys"))


def pg_base_url() -> str | None:
    import os

    url = os.environ.get("DISCRETION_TEST_PG_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("CI must test PostgreSQL: DISCRETION_TEST_PG_URL is not set (scripts/services.sh sets it)")
    return url


@contextmanager
def scratch_pg_database(base: str, options: str = "") -> Iterator[str]:
    """A new PostgreSQL database on ``base``'s server (``options``: CREATE DATABASE's), dropped after."""
    import uuid

    from sqlalchemy import create_engine, text

    from engine.store.db import forget_session_factories

    name = f"dr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" {options}'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        forget_session_factories()  # drop pooled connections before the database goes
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, migrated database: an SQLite file, and a new PostgreSQL database when available."""
    from engine.store.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/store.db"
        upgrade(url)
        yield url
        return
    base = pg_base_url()
    if not base:
        pytest.skip("no PostgreSQL server: set DISCRETION_TEST_PG_URL (bash scripts/services.sh)")
    with scratch_pg_database(base) as url:
        upgrade(url)
        yield url


@pytest.fixture
def agency_db(db_url, dataset_dir):
    """A store with the base dataset (agency A1, no risk analysis) imported and evaluated at 2024-04-20."""
    from engine.ingest.loader import load_dataset
    from engine.store.data import import_dataset
    from engine.store.db import session_factory, transaction
    from engine.store.runs import run_evaluation
    from engine.store.scope import SYSTEM

    ds = load_dataset(dataset_dir({"risk_analyses": []}, replace=["risk_analyses"]))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 4, 20))
    return db_url


@pytest.fixture(params=["row reader", "columnar reader"])
def both_csv_readers(request, monkeypatch):
    """Run a test with each CSV reader: the row-by-row one, and the columnar one (which takes
    files of any size here, and hands the row-by-row reader whatever it would word differently)."""
    import engine.ingest.loader

    if request.param == "columnar reader":
        monkeypatch.setattr(engine.ingest.loader, "COLUMNAR_FROM_BYTES", 0)
    return request.param


def crash_evaluation_on(agency_id: str, monkeypatch) -> Path:
    """Make the evaluation crash (a segmentation fault, as a native bug in the rules engine's C
    core would) in every part of ``agency_id``, in the worker process that evaluates it. The
    crashing process's error output — Python's "Fatal Python error: Segmentation fault" dump —
    goes to the file returned (the test can assert on it), not to the suite's log."""
    import ctypes
    import faulthandler
    import os
    import tempfile

    from engine.evaluation import run

    real = run.part_subjects
    fd, name = tempfile.mkstemp(prefix="crash-dump-", suffix=".txt")
    os.close(fd)

    def crashing(context, part):
        if part[0] == agency_id:
            dump = os.open(name, os.O_WRONLY | os.O_APPEND)
            os.dup2(dump, 2)  # this process's stderr
            faulthandler.enable(file=2)  # pytest's fault handler writes to its own copy of the terminal
            ctypes.string_at(0)
        return real(context, part)

    monkeypatch.setattr(run, "part_subjects", crashing)
    return Path(name)


def assert_crash_dump(path: Path) -> None:
    """The crashing process wrote Python's fault dump (and nothing reached the suite's log)."""
    text = path.read_text(errors="replace")
    path.unlink()
    assert "Fatal Python error: Segmentation fault" in text and "string_at" in text, text


def live_threads(*names: str) -> list[str]:
    """The threads of this process named ``names`` that are still running (the store's writing
    thread "write-behind", the Arrow reader's "adbc-fetch"): a test that left one behind fails."""
    import threading

    return [t.name for t in threading.enumerate() if t.name in names]
