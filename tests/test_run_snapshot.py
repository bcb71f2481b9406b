"""A run reads the store in one snapshot (issue 24, item 3).

A run read each table on its own connection, so an import committing in between showed it a
state that never existed: runs ended *partial* with references to nobody, and others flagged
officers for delay notices they had sent (1.6-delay-not-notified, cleared by the next run).
Here imports flip the store between two consistent versions of an agency's data while runs
read it, on SQLite and PostgreSQL: every run must have read one version whole (no torn read)
and raised exactly that version's flags (no phantom flag)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import base_tables, merge_tables, write_dataset
from engine.ingest.loader import load_dataset
from engine.domain.models import TABLES, Case
from engine.store import province, runs
from engine.store.scope import SYSTEM
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.schema import EvaluationRun, FlagEvent, FlagRow

AS_OF = dt.date(2024, 4, 20)
PHANTOM_RULE = "1.6-delay-not-notified"
PENDING = [f"D{i}" for i in range(1, 8)]  # seven licence applications past their time limit
DAY_OFF = dt.date(2028, 1, 5)  # a Wednesday after every date of the data (and within its years ±2): no flag moves


def _weekly(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=7 * k) for k in range((last - first).days // 7 + 1)]


def _version(n: int) -> dict[str, list[dict[str, Any]]]:
    """Agency A1's data, version ``n`` (1 or 2): consistent alone, different in every file. Its
    seven pending licence applications were received on another day in each version, and each
    version's delay notices (weekly, each within 7 days of the last: no flag) fit its own dates
    only. A run that read version 1's cases with version 2's notices would flag all seven as
    not notified; one that read one version's officers with the other's cases would find
    cases decided by nobody."""
    received = dt.date(2024, 1, 2) if n == 1 else dt.date(2024, 3, 1)
    first_notice = dt.date(2024, 1, 15) if n == 1 else dt.date(2024, 3, 13)
    officer = f"OFFX{n}"
    base = base_tables()
    return merge_tables(base, {
        "agencies": [{**base["agencies"][0], "name": f"สำนักงานทดสอบ ฉบับ {n}"}],
        "processes": [{"process_id": "PL", "agency_id": "A1", "name": f"ใบอนุญาต ฉบับ {n}", "discretionary": "true",
                       "public_service": "true", "licensing": "true", "standard_days": "5", "day_basis": "calendar",
                       "work_manual": "คู่มือ PL", "work_manual_reviewed_on": "2024-01-01",
                       "citizen_manual_url": "https://a1.example.go.th/pl", "citizen_manual_at_office": "true",
                       "it_system": "ระบบ PL"}],
        "officers": [{"officer_id": officer, "agency_id": "A1", "name": f"เจ้าหน้าที่ฉบับ {n}", "supervisor_id": "SUP",
                      "in_position_since": "2022-01-01", "ethics_acknowledged_on": "2023-06-01"}],
        "cases": [{"case_id": c, "process_id": "PL", "officer_id": officer, "received_on": received.isoformat(),
                   "discretion_used": "false", "via_it_system": "true"} for c in PENDING],
        "escalations": [{"report_id": f"R{n}", "case_id": "BASE1", "reported_by": "OFF1", "reported_to": "SUP",
                         "reported_on": "2024-04-05", "investigated_on": "2024-04-10", "finding": f"ตรวจแล้ว {n}",
                         "corrective_action": "ชี้แจง"}],
        "risk_analyses": [{"agency_id": "A1", "analysed_on": f"2024-01-1{n}", "ethics_committee": "true"}],
        "monitoring_reports": [{"agency_id": "A1", "reported_on": f"2024-03-0{n}", "by": "HEAD"}],
        "acknowledgements": [{"agency_id": "A1", "staff_total": str(10 + n), "staff_acknowledged": str(10 + n),
                              "published_url": "https://a1.example.go.th/o48", "reported_on": "2019-06-19"}],
        "delay_notices": [{"notice_id": f"N{n}-{c}-{k}", "case_id": c, "notified_on": day.isoformat(),
                           "opdc_copied": "true"}
                          for c in PENDING for k, day in enumerate(_weekly(first_notice, AS_OF - dt.timedelta(days=3)))],
        "parameters": [{"agency_id": "A1", "name": "repeat_window_days", "value": str(179 + n),
                        "source": f"คำสั่ง ฉบับ {n}"}],
    }, replace=["risk_analyses", "monitoring_reports", "acknowledgements"])


@pytest.fixture(params=["through Arrow", "through SQLAlchemy"])
def reader(request, monkeypatch) -> str:
    """Each way a run reads the store: the fast path (adbc.py), and the one it falls back to."""
    if request.param == "through SQLAlchemy":
        from engine.store import data

        for name in ("read_tables", "read_batches"):  # (the second: the per-table reader before issue 24)
            if hasattr(data, name):
                monkeypatch.setattr(data, name, lambda *args: False)
    return request.param


def _fingerprint(ds: Any) -> tuple[frozenset, ...]:
    return tuple(frozenset(getattr(ds, t.name)) for t in TABLES)


class _Store:
    """The store with its two versions, what each run read, and what each left in the flags."""

    def __init__(self, url: str, tmp_path, monkeypatch):
        self.url, self.factory = url, session_factory(url)
        self.versions = [load_dataset(write_dataset(tmp_path / f"v{n}", _version(n))) for n in (1, 2)]
        self.read: list[tuple[frozenset, ...]] = []  # per run, what it evaluated
        real = runs.iter_partitions

        def recorded(ds, *args, **kwargs):
            self.read.append(_fingerprint(ds))
            return real(ds, *args, **kwargs)
        monkeypatch.setattr(runs, "iter_partitions", recorded)

    def load(self, n: int, label: str = "") -> None:
        with transaction(self.url) as s:
            import_dataset(s, SYSTEM, self.versions[n], f"version {n + 1} {label}")

    def run(self) -> tuple[int, str]:
        run_id = runs.run_evaluation(self.factory, SYSTEM, AS_OF, jobs=1)
        with transaction(self.url) as s:
            return run_id, s.get(EvaluationRun, run_id).status

    def flags(self, run_id: int) -> frozenset:
        """(flag, content) of the flags the run found: its own, the others are cleared by it."""
        with transaction(self.url) as s:
            return frozenset(s.execute(select(FlagRow.flag_id, FlagRow.content_key).where(
                FlagRow.last_run_id == run_id, FlagRow.status != "cleared_by_data")).all())

    def phantoms(self) -> int:
        """Flags of the rule neither version raises, ever created."""
        with transaction(self.url) as s:
            return s.scalar(select(func.count()).select_from(FlagEvent).join(FlagRow, FlagRow.flag_id == FlagEvent.flag_id)
                            .where(FlagEvent.action.in_(("created", "fired_again")), FlagRow.rule_id == PHANTOM_RULE))

    def references(self) -> tuple[list[tuple[frozenset, ...]], list[frozenset]]:
        """What a run reads and finds with each version alone (imported, then run, in turn)."""
        reads, flags = [], []
        for n in (0, 1):
            self.load(n, "alone")
            run_id, status = self.run()
            assert status == "succeeded"
            reads.append(self.read[-1])
            flags.append(self.flags(run_id))
        assert reads[0] != reads[1] and flags[0] != flags[1]
        assert all(a != b for a, b in zip(*reads))  # the versions differ in every file
        return reads, flags


class _SlowCaseReading:
    """Slows a run's reading of the stored cases once it has begun (the validation of its first
    case): whatever the run reads after that, it reads later — an import may commit meanwhile.
    ``then`` (if given) runs at that moment, in the run's thread."""

    def __init__(self, monkeypatch, pause: float = 0.0, then=None):
        self.pause, self.then, self.armed = pause, then, False
        self.real = Case.__pydantic_validator__
        monkeypatch.setattr(Case, "__pydantic_validator__", self)

    def validate_python(self, *args: Any, **kwargs: Any) -> Any:
        if self.armed and threading.current_thread() is threading.main_thread():
            self.armed = False
            time.sleep(self.pause)
            if self.then is not None:
                self.then()
        return self.real.validate_python(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_an_import_committed_while_a_run_reads_is_seen_whole_or_not_at_all(db_url, reader, tmp_path, monkeypatch):
    """The import commits after the run has begun reading the cases and before it reads the
    tables after them (escalations … delay notices, parameters): the run evaluates the version
    it began with, whole; the next run the new one, whole."""
    store = _Store(db_url, tmp_path, monkeypatch)
    reads, flags = store.references()  # the store holds version 2 now
    imported: list[int] = []

    def meanwhile() -> None:  # an import, and a day off an administrator records (far from the data)
        store.load(0, "during a run")
        with transaction(db_url) as s:
            province.add_calendar_entry(s, SYSTEM, DAY_OFF, "add", "วันหยุดพิเศษ", "Special day off", "มติ ครม.")
        imported.append(1)
    slow = _SlowCaseReading(monkeypatch, then=meanwhile)
    slow.armed = True
    run_id, status = store.run()
    assert imported == [1]
    assert (status, store.read[-1] == reads[1], store.flags(run_id) == flags[1]) == ("succeeded", True, True)
    run_id, status = store.run()  # the import was seen by the next run, whole
    assert (status, store.read[-1] == reads[0], store.flags(run_id) == flags[0]) == ("succeeded", True, True)
    with transaction(db_url) as s:  # each run names the import whose data it evaluated, and its days off
        recorded = s.execute(select(EvaluationRun.dataset_import_id, EvaluationRun.parameters)
                             .order_by(EvaluationRun.id)).all()
    assert [i for i, _ in recorded] == [1, 2, 2, 3]
    assert [[e["date"] for e in p["calendar"]] for _, p in recorded] == [[], [], [], [DAY_OFF.isoformat()]]
    assert store.phantoms() == 0


def test_sqlites_reading_process_reads_every_table_in_one_transaction(tmp_path, monkeypatch):
    """The forked process that reads SQLite through Arrow reads all the tables one after another:
    an import that commits after it has read the cases and before the tables after them (the
    process waits for it, here) is not seen by them."""
    import os

    from engine.store import adbc
    from engine.store.migrate import upgrade

    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(url)
    store = _Store(url, tmp_path, monkeypatch)
    reads, flags = store.references()  # the store holds version 2 now
    parent = os.getpid()
    asked, done = os.pipe(), os.pipe()
    real = adbc.fetch_result

    def pausing(connection, sql, *args, **kwargs):
        result = real(connection, sql, *args, **kwargs)
        if os.getpid() != parent and sql.startswith("SELECT cases."):  # in the reading process
            os.write(asked[1], b"?")
            os.read(done[0], 1)
        return result
    monkeypatch.setattr(adbc, "fetch_result", pausing)

    asks: list[bytes] = []

    def importing() -> None:
        asks.append(os.read(asked[0], 1))
        if asks[0] == b"?":
            try:
                store.load(0, "while the reading process waits")
            finally:
                os.write(done[1], b"!")
    importer = threading.Thread(target=importing, name="importer")
    importer.start()
    try:
        run_id, status = store.run()
    finally:
        os.write(asked[1], b"-")  # the importer is not left waiting if the run never asked
        importer.join()
        for fd in (*asked, *done):
            os.close(fd)
    assert asks == [b"?"]  # the reading process waited, after the cases, for the import to commit
    assert (status, store.read[-1] == reads[1], store.flags(run_id) == flags[1]) == ("succeeded", True, True)
    run_id, status = store.run()
    assert (status, store.read[-1] == reads[0]) == ("succeeded", True)


def test_runs_interleaved_with_imports_read_no_torn_state_and_raise_no_phantom_flag(db_url, reader, tmp_path,
                                                                                    monkeypatch):
    """Imports flip the store between the two versions without a pause, in a thread, while runs
    follow one another; each run's reading of the cases takes 0.2 s longer (as a large agency's
    would), so that imports commit in the middle of reads."""
    store = _Store(db_url, tmp_path, monkeypatch)
    reads, flags = store.references()
    slow = _SlowCaseReading(monkeypatch, pause=0.2)
    stop, imports, errors = threading.Event(), [0], []

    def flipping() -> None:
        n = 0
        try:
            while not stop.is_set():
                store.load(n, "while runs read")
                imports[0] += 1
                n = 1 - n
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            errors.append(exc)
    importer = threading.Thread(target=flipping, name="importer")
    importer.start()
    outcomes: list[tuple[str, bool, bool]] = []
    try:
        for _ in range(8):
            before = imports[0]
            slow.armed = True
            run_id, status = store.run()
            read = store.read[-1]
            version = reads.index(read) if read in reads else None
            found = store.flags(run_id)
            outcomes.append((status, version is not None, version is not None and found == flags[version]))
            assert imports[0] > before or errors  # an import committed during the run
    finally:
        stop.set()
        importer.join()
    assert errors == []
    torn = sum(not whole for _, whole, _ in outcomes)
    wrong_flags = sum(whole and not right for _, whole, right in outcomes)
    assert (torn, wrong_flags, store.phantoms()) == (0, 0, 0), outcomes
    assert all(status == "succeeded" for status, _, _ in outcomes), outcomes
