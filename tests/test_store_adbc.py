"""Reading the stored dataset through ADBC (engine/store/adbc.py) gives exactly what reading it
through SQLAlchemy gives, and falls back to SQLAlchemy whenever it cannot."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from conftest import base_tables, live_threads, merge_tables, write_dataset
from sqlalchemy import JSON, Column, MetaData, String, Table, select

from engine.ingest.loader import load_dataset
from engine.store import adbc, data
from engine.store.db import make_engine, transaction
from engine.store.schema import CaseRow
from engine.store.scope import SYSTEM


def _case(n: int, **extra: str) -> dict[str, str]:
    row = {"case_id": f"C{n:05d}", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
           "discretion_used": "true"}
    return {**row, **extra}


@pytest.fixture
def stored(db_url, tmp_path):
    """1,500 cases whose optional columns are empty for the first 1,200 (SQLite's driver infers a
    column's type from its first values), then Thai text, dates and yes/no values."""
    cases = [_case(n) for n in range(1, 1201)]
    cases += [_case(n, decided_on="2024-04-0%d" % (n % 9 + 1), reviewed_by="SUP", reviewed_on="2024-04-10",
                    legal_basis="ประมวลกฎหมายที่ดิน มาตรา ๖๑", via_it_system=("true", "false")[n % 2],
                    outcome="อนุมัติ \"พิเศษ\"", applicant_id=f"ผู้ขอ{n}")
              for n in range(1201, 1501)]
    ds = load_dataset(write_dataset(tmp_path / "ds", merge_tables(base_tables(), {"cases": cases}, replace=["cases"])))
    with transaction(db_url) as s:
        data.import_dataset(s, SYSTEM, ds, "fixture")
    return db_url


def _both_ways(url, monkeypatch):
    with transaction(url) as s:
        through_arrow = data.load_all(s, committed=True)
    with monkeypatch.context() as m:
        m.setattr(data, "read_tables", lambda conn, stmts, each: False)
        with transaction(url) as s:
            through_sqlalchemy = data.load_all(s)
    return through_arrow, through_sqlalchemy


def _columns(conn, stmt) -> list[list] | None:
    """Every column ``stmt`` selects, read through Arrow, or None (read it through SQLAlchemy)."""
    batches: list[list[list]] = []
    if not adbc.read_batches(conn, stmt, batches.append):
        return None
    return [sum(column, []) for column in zip(*batches)] if batches else []


def _types(items: list) -> list[type]:
    return [type(getattr(item, f.name)) for item in items for f in dataclasses.fields(item)]


def test_the_stored_dataset_reads_the_same_through_arrow_as_through_sqlalchemy(stored, monkeypatch):
    read: list[tuple[int, bool]] = []

    def recorded(conn, stmts, each):
        read.append((len(stmts), adbc.read_tables(conn, stmts, each)))
        return read[-1][1]
    monkeypatch.setattr(data, "read_tables", recorded)
    (ds, owners), (expected, expected_owners) = _both_ways(stored, monkeypatch)
    assert read == [(10, True)] and len(ds.cases) == 1500  # every table through Arrow, in one read
    for table in ("agencies", "processes", "officers", "cases", "escalations", "risk_analyses", "monitoring_reports",
                  "acknowledgements", "delay_notices", "parameters"):
        assert getattr(ds, table) == getattr(expected, table), table
        assert _types(getattr(ds, table)) == _types(getattr(expected, table)), table
    assert owners == expected_owners
    late = ds.cases[1400]
    assert late.legal_basis == "ประมวลกฎหมายที่ดิน มาตรา ๖๑" and late.via_it_system in (True, False)
    assert ds.cases[0].decided_on is None and ds.cases[0].reviewed_by is None


def test_equal_values_read_through_arrow_are_one_object(stored):
    with transaction(stored) as s:
        ds, owners = data.load_all(s, committed=True)
    first, last = ds.cases[1300], ds.cases[1400]
    assert first.officer_id is last.officer_id and first.reviewed_on is last.reviewed_on
    assert owners["cases"][0] is owners["cases"][-1]


def test_what_arrow_cannot_read_exactly_is_read_through_sqlalchemy(stored, monkeypatch, caplog):
    engine = make_engine(stored)
    with engine.connect() as conn:
        other = Table("not_stored", MetaData(), Column("doc", JSON), Column("name", String))
        assert _columns(conn, select(other.c.doc)) is None  # a type it does not know
        assert _columns(conn, select(CaseRow.case_id).order_by(CaseRow.case_id))[0][:2] == ["C00001", "C00002"]

        def broken(*args, **kwargs):  # on SQLite in the reading process, on PostgreSQL here
            raise RuntimeError("the driver fell over")
        monkeypatch.setattr(adbc, "connect_postgresql", broken)
        monkeypatch.setattr(adbc, "read_sqlite", broken)
        with caplog.at_level(logging.INFO, logger="engine.store.adbc"):
            assert _columns(conn, select(CaseRow.case_id)) is None
        assert "the driver fell over" in caplog.text
    engine.dispose()
    with transaction(stored) as s:  # and the dataset still loads, the other way
        assert len(data.load_all(s, committed=True)[0].cases) == 1500


def test_a_database_in_memory_is_read_through_sqlalchemy():
    engine = make_engine("sqlite://")
    with engine.connect() as conn:
        assert _columns(conn, select(CaseRow.case_id)) is None
    engine.dispose()


def test_a_reading_process_that_dies_is_told_and_the_store_read_the_other_way(tmp_path, monkeypatch):
    """SQLite is read by a forked process (two copies of SQLite in one process corrupt files):
    killed, it hands back nothing, and the caller reads through SQLAlchemy."""
    import os
    import signal

    url = f"sqlite:///{tmp_path}/store.db"
    from engine.store.migrate import upgrade

    upgrade(url)
    monkeypatch.setattr(adbc, "read_sqlite", lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(RuntimeError, match="killed by signal 9"):
        adbc.in_child(lambda: adbc.read_sqlite())
    engine = make_engine(url)
    with engine.connect() as conn:
        assert _columns(conn, select(CaseRow.case_id)) is None
    engine.dispose()


def test_a_session_that_wrote_reads_its_own_rows(db_url, dataset_dir):
    """Arrow reads on a connection of its own, which sees only what is committed: a caller that
    has not said its session is clean (``committed``) reads through its session."""
    ds = load_dataset(dataset_dir())
    with transaction(db_url) as s:
        data.import_dataset(s, SYSTEM, ds, "fixture")
        assert len(data.load_from_db(s, SYSTEM).cases) == len(ds.cases) > 0


def test_postgresql_text_reads_right_whatever_the_databases_encoding():
    """Arrow takes text as UTF-8: the connection asks for UTF-8 (a WIN874 database otherwise
    handed over its own bytes: Thai read as other letters, or refused)."""
    from conftest import pg_base_url, scratch_pg_database

    base = pg_base_url()
    if not base:
        pytest.skip("no PostgreSQL server: set DISCRETION_TEST_PG_URL (bash scripts/services.sh)")
    with scratch_pg_database(base, "ENCODING 'WIN874' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0") as url:
        engine = make_engine(url)
        try:
            words = Table("words", MetaData(), Column("word", String))
            with engine.begin() as conn:
                words.create(conn)
                conn.execute(words.insert(), [{"word": w} for w in ("ประมวลกฎหมายที่ดิน", "รก", "", None)])
            with engine.connect() as conn:
                assert _columns(conn, select(words.c.word)) == [["ประมวลกฎหมายที่ดิน", "รก", "", None]]
        finally:
            engine.dispose()


def test_a_password_never_reaches_the_log(caplog, monkeypatch):
    """libpq quotes a connection string it cannot parse in its error: every part is encoded, and
    whatever a driver says is logged without the password."""
    from sqlalchemy.engine import URL

    url = URL.create("postgresql+psycopg", "someone", "p w@d%/x", "db.example", 5433, "store", {"sslmode": "require"})
    assert adbc.libpq_uri(url) == \
        "postgresql://someone:p%20w%40d%25%2Fx@db.example:5433/store?sslmode=require&client_encoding=UTF8"

    def refused(uri, *args, **kwargs):
        raise RuntimeError(f"[libpq] Failed to connect: {uri} and the password p w@d%/x itself")
    monkeypatch.setattr(adbc, "connect_postgresql", refused)
    engine = make_engine(url.render_as_string(hide_password=False))
    with caplog.at_level(logging.INFO, logger="engine.store.adbc"):
        assert _columns(_NoConnection(engine), select(CaseRow.case_id)) is None
    engine.dispose()
    assert "Failed to connect" in caplog.text and "***" in caplog.text
    assert "p w@d%/x" not in caplog.text and "p%20w%40d%25%2Fx" not in caplog.text


class _NoConnection:
    """What read_batches asks of a connection, for a server that is not there."""

    def __init__(self, engine):
        self.engine, self.dialect = engine, engine.dialect


def test_a_reading_process_that_hangs_is_killed_and_the_store_read_the_other_way(tmp_path, monkeypatch):
    import time

    from engine.store.migrate import upgrade

    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(url)
    monkeypatch.setattr(adbc, "CHILD_TIMEOUT", 0.5)
    monkeypatch.setattr(adbc, "read_sqlite", lambda *a, **k: time.sleep(60))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="killed by signal 9"):
        adbc.in_child(lambda: adbc.read_sqlite())
    assert time.monotonic() - started < 30
    engine = make_engine(url)
    with engine.connect() as conn:
        assert _columns(conn, select(CaseRow.case_id)) is None
    engine.dispose()


def _is_postgresql(url: str) -> bool:
    return url.startswith("postgresql")


def test_batches_fetched_ahead_read_the_same_and_share_equal_values(stored, monkeypatch):
    """PostgreSQL hands the rows over in batches, fetched by a thread while the last is worked
    on: small batches read exactly as SQLAlchemy reads, and equal values of different batches
    are one object."""
    monkeypatch.setattr(adbc, "BATCH_BYTES", 4096)
    batches: list[int] = []

    def counted(conn, stmts, each):
        return adbc.read_tables(conn, stmts, lambda i, columns: (batches.append(len(columns[0])), each(i, columns)))
    monkeypatch.setattr(data, "read_tables", counted)
    (ds, owners), (expected, expected_owners) = _both_ways(stored, monkeypatch)
    assert ds.cases == expected.cases and owners == expected_owners
    assert _types(ds.cases) == _types(expected.cases)
    if _is_postgresql(stored):
        assert len(batches) > 20 and sum(batches) == sum(len(getattr(ds, t)) for t in owners)
    first, last = ds.cases[1210], ds.cases[1490]
    assert first.officer_id is last.officer_id and first.reviewed_on is last.reviewed_on
    assert first.outcome is last.outcome and owners["cases"][0] is owners["cases"][-1]
    assert live_threads("adbc-fetch") == []


def test_a_driver_failing_after_some_batches_leaves_the_rows_to_sqlalchemy(stored, monkeypatch, caplog):
    """What the batches before a failure gave (of the cases, and of the tables before them) is
    dropped: every table is read whole the other way."""
    import contextlib

    real = adbc.query_all

    @contextlib.contextmanager
    def failing_after_one(conn, stmts):
        with real(conn, stmts) as sources:
            cases = sources[3]

            def opened():
                source = cases()
                fetched, calls = source.next, []

                def next_batch():
                    if calls:
                        raise ConnectionError("server closed the connection unexpectedly")
                    calls.append(1)
                    return fetched()
                source.next = next_batch
                return source
            yield [*sources[:3], opened, *sources[4:]]
    monkeypatch.setattr(adbc, "query_all", failing_after_one)
    with caplog.at_level(logging.INFO, logger="engine.store.adbc"):
        (ds, owners), (expected, expected_owners) = _both_ways(stored, monkeypatch)
    assert "server closed the connection unexpectedly" in caplog.text
    assert ds.cases == expected.cases and len(ds.cases) == 1500 and owners == expected_owners
    assert live_threads("adbc-fetch") == []


def test_the_fetching_thread_hands_over_its_error_and_stops_when_the_caller_leaves():
    def fails_after_two(put):
        put("first")
        put("second")
        raise ConnectionError("lost")
    with adbc.Fetched(fails_after_two) as source:
        assert source.next() == "first" and source.next() == "second"
        with pytest.raises(ConnectionError, match="lost"):
            source.next()
    offered: list[int] = []

    def endless(put):
        n = 0
        while put(n):  # False once the caller has left
            offered.append(n)
            n += 1
    with adbc.Fetched(endless) as source:
        assert source.next() == 0
    assert live_threads("adbc-fetch") == [] and len(offered) <= 1 + adbc.Fetched.AHEAD + 1


def test_an_error_of_the_caller_stops_the_fetching_and_is_raised(stored, monkeypatch):
    """``each`` failing (a stored row the model refuses) is the caller's error, not a reason to
    read the other way; the thread fetching ahead stops and its connection closes."""
    monkeypatch.setattr(adbc, "BATCH_BYTES", 4096)
    seen: list[int] = []

    def refuse(columns):
        seen.append(len(columns[0]))
        raise ValueError("row refused")
    engine = make_engine(stored)
    try:
        with engine.connect() as conn, pytest.raises(ValueError, match="row refused"):
            adbc.read_batches(conn, select(CaseRow.case_id, CaseRow.outcome).order_by(CaseRow.case_id), refuse)
    finally:
        engine.dispose()
    assert len(seen) == 1 and live_threads("adbc-fetch") == []
