"""Datasets in the database: import (one transaction, agency by agency) and load back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic_core import ArgsKwargs
from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.domain.errors import InputError, InputProblem
from engine.domain.models import TABLE_BY_NAME, TABLES, Dataset
from engine.gcpause import paused_gc
from engine.ingest.loader import REFERENCES, check_dataset
from engine.store.adbc import read_tables
from engine.store.bulk import bulk_insert
from engine.store.db import begin_read, begin_write
from engine.store.schema import (
    DATASET_ROWS,
    CaseRow,
    DatasetImport,
    DelayNoticeRow,
    EscalationRow,
    OfficerRow,
    RiskAnalysisRow,
)
from engine.store.scope import IMPORT, READ, PermissionDenied, Scope

BATCH = 5000


def _dataset_agencies(ds: Dataset) -> list[str]:
    return sorted({a.agency_id for a in ds.agencies})


# The references that name an officer: (file, column). An officer may be named by another
# agency's rows (a report sent to the provincial office's officer), so these resolve against
# the store as well as against the dataset being imported.
OFFICER_REFERENCES = tuple((t, c) for t, c, target in REFERENCES if target == "officers")


class ImportRefused(InputError):
    """An import that would leave another agency's stored rows pointing at nothing."""


def existing_ids(session: Session, scope: Scope, table: str, ids: set[str]) -> set[str]:
    """Which of ``ids`` a dataset may name besides its own ids of ``table``: those of stored
    officers (an escalation may be reported to another agency's officer); nothing of any other
    table. Only what a reference check needs — whether each id asked about exists — never the
    store's ids: for ``load_dataset(..., known_ids=lambda table, ids: existing_ids(...))``."""
    scope.require(IMPORT)
    if table != "officers" or not ids:
        return set()
    asked = sorted(ids)
    found: set[str] = set()
    for i in range(0, len(asked), BATCH):
        found.update(session.scalars(select(OfficerRow.officer_id).where(OfficerRow.officer_id.in_(asked[i:i + BATCH]))))
    return found


# The tables whose ids are one namespace for the whole store (their primary keys): an id another
# agency's stored rows hold cannot be taken by a dataset.
SHARED_IDS = tuple(t.name for t in TABLES if t.id_column and t.name != "agencies")
ID_OF_ANOTHER_AGENCY = ("รหัสนี้มีอยู่แล้วในข้อมูลของหน่วยงานอื่นในระบบ (รหัสต้องไม่ซ้ำกันทั้งจังหวัด): ใช้รหัสอื่น / this id "
                        "is already used by another agency's data in the store (ids are unique across the province): "
                        "give the row another id")


def require_import(scope: Scope, ds: Dataset) -> list[str]:
    """The dataset's agencies, if the user may import every one of them; else PermissionDenied.
    The app asks this when it validates an upload, before it says the files are good."""
    agencies = _dataset_agencies(ds)
    scope.require(IMPORT)
    others = [a for a in agencies if not scope.sees(a)]
    if others:
        raise PermissionDenied(f"{scope.username} may import data of agency {scope.agency_id} only; "
                               f"the dataset also has {', '.join(others)}")
    return agencies


def store_problems(session: Session, scope: Scope, ds: Dataset) -> list[InputProblem]:
    """What the store refuses in a dataset the user may import (PermissionDenied otherwise),
    before anything is written: an id that another agency's stored rows hold (said without
    naming the agency or anything of its data), a reference to an officer who is neither in the
    dataset nor another agency's stored officer, and the removal of an officer whom another
    agency's stored rows name. The app's check of an upload and ``import`` ask the same."""
    agencies = require_import(scope, ds)
    return _ids_of_other_agencies(session, ds, agencies) + _officer_reference_problems(session, ds, agencies)


def import_dataset(session: Session, scope: Scope, ds: Dataset, source: str) -> DatasetImport:
    """Replace the rows of every agency in ``ds`` with the dataset's; other agencies stay.

    A reference to an officer resolves against the dataset, or else against the officers of
    the *other* agencies in the store. A dataset the store refuses (``store_problems``: an id
    another agency holds, an officer reference to nobody, the removal of an officer whom another
    agency's stored rows name) raises ``ImportRefused`` with every problem. Runs inside the
    caller's transaction: all of it is stored, or none of it.
    """
    problems = store_problems(session, scope, ds)
    if problems:
        raise ImportRefused(problems)
    try:
        return _replace(session, scope, ds, source, _dataset_agencies(ds))
    except Exception as exc:  # an import that committed since the check took one of these ids
        if not _integrity_error(exc):
            raise
        detail = " ".join(str(getattr(exc, "orig", exc)).split())[:300]
        raise ImportRefused([InputProblem(
            Path(ds.source).name, None, None, None,
            "ฐานข้อมูลไม่รับข้อมูลชุดนี้ (มีการนำเข้าอื่นบันทึกรหัสเดียวกันไปก่อน) ไม่ได้นำเข้าสิ่งใด: ตรวจสอบไฟล์อีกครั้ง / "
            f"the store refused this dataset (another import stored one of its ids meanwhile); nothing was imported: "
            f"check the files again ({detail})")]) from exc


def _integrity_error(exc: BaseException) -> bool:
    """SQLAlchemy's IntegrityError, or the driver's own (bulk writes call the driver directly)."""
    return isinstance(exc, IntegrityError) or any(c.__name__ == "IntegrityError" for c in type(exc).__mro__)


def _replace(session: Session, scope: Scope, ds: Dataset, source: str, agencies: list[str]) -> DatasetImport:
    """``import_dataset``'s writing, once the store has no objection."""
    process_agency = {p.process_id: p.agency_id for p in ds.processes}
    case_agency = {c.case_id: process_agency[c.process_id] for c in ds.cases}
    for row in DATASET_ROWS.values():
        stmt = delete(row).where(row.agency_id.in_(agencies))
        if row is RiskAnalysisRow:
            stmt = stmt.where(RiskAnalysisRow.source == "import")  # analyses recorded in the app stay
        session.execute(stmt)
    for table in TABLES:
        # Core, not ORM, inserts: the ORM splits a batch by which values are None (one statement
        # per row shape, ~70,000 round trips for 100,000 cases); here a batch is one COPY on
        # PostgreSQL, one executemany on SQLite.
        target = DATASET_ROWS[table.name].__table__
        names = [f.name for f in fields(table.model)]
        owner = (lambda item: process_agency[item.process_id]) if table.name == "cases" else \
            (lambda item: case_agency[item.case_id]) if table.name in ("escalations", "delay_notices") else None
        batch: list[dict[str, Any]] = []
        items = getattr(ds, table.name)
        if table.id_column is not None:  # stored in the order a run reads them back: that read is sequential
            items = sorted(items, key=attrgetter(table.id_column))
        for item in items:
            values = {n: getattr(item, n) for n in names}
            if owner is not None:
                values["agency_id"] = owner(item)
            batch.append(values)
            if len(batch) == BATCH:
                bulk_insert(session, target, batch)
                batch = []
        bulk_insert(session, target, batch)
    # numbered under this lock and committed holding it: imports and posts are numbered in the
    # order they commit (a run tells by it which agencies changed after its snapshot, runs.posted_since)
    begin_write(session, "dataset_imports")
    record = DatasetImport(imported_by=scope.username, source=source, agencies=agencies, counts=ds.counts())
    session.add(record)
    session.flush()
    return record


def _file_label(ds: Dataset, table: str) -> str:
    """How the loader names a table's file: ``cases.csv``, or ``book.xlsx[cases]``."""
    return f"{Path(ds.source).name}[{table}]" if ds.source.lower().endswith(".xlsx") else f"{table}.csv"


def _ids_of_other_agencies(session: Session, ds: Dataset, agencies: list[str]) -> list[InputProblem]:
    """A problem for each row of ``ds`` whose id another agency's stored rows hold."""
    problems = []
    for table in SHARED_IDS:
        items = getattr(ds, table)
        if not items:
            continue
        id_column = TABLE_BY_NAME[table].id_column
        ours = {getattr(item, id_column) for item in items}
        row = DATASET_ROWS[table]
        column = getattr(row, id_column)
        if len(ours) <= BATCH:  # a few ids (a post to the intake API): looked up, not every other id read
            asked = sorted(ours)
            theirs = set(session.scalars(select(column).where(column.in_(asked), row.agency_id.not_in(agencies))))
        else:
            theirs = ours.intersection(session.scalars(select(column).where(row.agency_id.not_in(agencies))
                                                       .execution_options(yield_per=BATCH)))
        if theirs:
            rows = ds.row_numbers.get(table) or range(1, len(items) + 1)
            problems += [InputProblem(_file_label(ds, table), n, id_column, getattr(item, id_column), ID_OF_ANOTHER_AGENCY)
                         for item, n in zip(items, rows) if getattr(item, id_column) in theirs]
    return problems


def _officer_reference_problems(session: Session, ds: Dataset, agencies: list[str]) -> list[InputProblem]:
    """An import's officer references that name nobody, and the officers it would remove (or
    move) whom another agency's stored rows name."""
    theirs = dict(session.execute(select(OfficerRow.officer_id, OfficerRow.agency_id)
                                  .where(OfficerRow.agency_id.not_in(agencies))).all())
    own = {o.officer_id for o in ds.officers}
    problems = []
    for table, column in OFFICER_REFERENCES:
        rows = ds.row_numbers.get(table) or range(1, len(getattr(ds, table)) + 1)
        for item, n in zip(getattr(ds, table), rows):
            value = getattr(item, column)
            if value is not None and value not in own and value not in theirs:
                problems.append(InputProblem(_file_label(ds, table), n, column, value, "no such id in officers "
                                             "(neither in this dataset nor another agency's stored officers)"))
    removed = set(session.scalars(select(OfficerRow.officer_id).where(OfficerRow.agency_id.in_(agencies)))) - own
    removed_list = sorted(removed)
    for table, column in OFFICER_REFERENCES:
        row, id_column = DATASET_ROWS[table], TABLE_BY_NAME[table].id_column or "id"
        for i in range(0, len(removed_list), BATCH):
            for row_id, agency, officer in session.execute(
                    select(getattr(row, id_column), row.agency_id, getattr(row, column))
                    .where(row.agency_id.not_in(agencies), getattr(row, column).in_(removed_list[i:i + BATCH]))
                    .order_by(row.agency_id, getattr(row, id_column))):
                problems.append(InputProblem(
                    f"{table}.csv ของหน่วยงาน {agency} / of agency {agency} ({id_column} {row_id})", None, column,
                    officer,
                    f"การนำเข้านี้ลบเจ้าหน้าที่ {officer} ซึ่งข้อมูลของหน่วยงาน {agency} อ้างถึง: คงรายชื่อไว้ใน "
                    f"officers.csv หรือให้ {agency} แก้ข้อมูลก่อน / this import removes officer {officer}, whom "
                    f"agency {agency} refers to: keep the officer in officers.csv, or ask {agency} to change "
                    "its data first"))
    return problems


def load_all(session: Session, committed: bool = False) -> tuple[Dataset, dict[str, list[str]]]:
    """Every stored row as models, and per table the agency each row belongs to (``read_all``)."""
    ds, owners, _ = read_all(session, committed)
    return ds, owners


Rows = list[tuple[list[str], list[Any]]]  # per table: the agency of each row, and its rows as models


def read_all(session: Session, committed: bool = False, extra: Sequence[Select] = (),
              ) -> tuple[Dataset, dict[str, list[str]], list[list[tuple[Any, ...]]]]:
    """Every stored row as models, per table the agency each row belongs to, and the rows of the
    ``extra`` statements — all read in one snapshot of the store.

    ``committed``: the caller's session is fresh (it has run no statement), so its transaction
    is made a reader of one snapshot (``db.begin_read``) and the rows may be read on connections
    of their own, through Arrow (``adbc.read_tables``: 1M cases in a third of the time), in
    that snapshot. Otherwise, and whenever Arrow cannot read them all exactly, they are read
    through SQLAlchemy, in the session's transaction."""
    if committed:
        begin_read(session)
    conn = session.connection()
    stmts: list[Select] = []
    validates = []
    for table in TABLES:
        row = DATASET_ROWS[table.name]
        names = [f.name for f in fields(table.model)]
        order = getattr(row, table.id_column) if table.id_column else row.id
        stmts.append(select(row.agency_id, *(getattr(row, n) for n in names)).order_by(order))
        # the columns in the model's field order, validated positionally: a quarter of the cost
        validates.append(table.model.__pydantic_validator__.validate_python)
    stmts += extra
    with paused_gc():  # rows form no cycles: see engine/gcpause.py
        read = _arrow_rows(conn, stmts, validates) if committed else None
        if read is None:
            read = ([read_rows(conn, stmt, validate) for stmt, validate in zip(stmts, validates)],
                    [[tuple(r) for r in conn.execute(stmt)] for stmt in extra])
    tables, extra_rows = read
    ds = Dataset(source="database")
    owners: dict[str, list[str]] = {}
    for table, (agency_of, items) in zip(TABLES, tables):
        setattr(ds, table.name, items)
        owners[table.name] = agency_of
    return ds, owners, extra_rows


def _arrow_rows(conn: Any, stmts: list[Select], validates: list[Any]) -> tuple[Rows, list[list[tuple[Any, ...]]]] | None:
    """``read_all``'s reading through Arrow, in one snapshot: the tables (``_rows``' results)
    and the other statements' rows; or None: read them all through SQLAlchemy. Each batch is
    validated while the next is fetched."""
    tables: Rows = [([], []) for _ in validates]
    extra: list[list[tuple[Any, ...]]] = [[] for _ in stmts[len(validates):]]

    def each(i: int, columns: list[list[Any]]) -> None:
        if i < len(tables):
            agency_of, items = tables[i]
            validate = validates[i]
            agency_of.extend(columns[0])
            items.extend([validate(ArgsKwargs(r)) for r in zip(*columns[1:])])
        else:
            extra[i - len(tables)].extend(zip(*columns))
    return (tables, extra) if read_tables(conn, stmts, each) else None


def read_rows(conn: Any, stmt: Any, validate: Any) -> tuple[list[str], list[Any]]:
    """``load_all``'s reading of one table through SQLAlchemy: (the agency of each row, the
    rows validated by ``validate``)."""
    items, agency_of = [], []
    # each column's equal values as one object, as the CSV reader has them: the database
    # hands back a new text or date per cell, and the evaluation's workers, which share the
    # parent's memory page by page, then copy far more pages (1M cases: 11.4 → 8.2 s)
    same = [{} for _ in stmt.selected_columns]
    setdefault = dict.setdefault
    for r in conn.execute(stmt):
        r = tuple(map(setdefault, same, r, r))
        agency_of.append(r[0])
        items.append(validate(ArgsKwargs(r[1:])))
    return agency_of, items


def consistent_dataset(session: Session, scope: Scope) -> tuple[Dataset, dict[str, list[str]]]:
    """The stored data of every agency whose data is consistent, and per other agency its problems.

    An agency with a broken row (a reference to nobody, a cycle) is left out: its rows go, but
    its officers whose own rows are sound stay, so the other agencies' references to them still
    resolve; ``iter_partitions`` then evaluates it with officers alone — callers drop the flags
    of every agency in the returned problems. One agency's bad data never stops the others.
    """
    scope.require(READ)
    ds, owners, bad = consistent_all(session)
    return _within(ds, owners, scope), {a: p for a, p in bad.items() if scope.sees(a)}


def consistent_all(session: Session, committed: bool = False,
                   ) -> tuple[Dataset, dict[str, list[str]], dict[str, list[str]]]:
    """``consistent_dataset`` over every agency, with each row's agency: for the evaluation run,
    which evaluates everything and keeps the flags its caller's scope allows (``committed``:
    see ``read_all``)."""
    ds, owners = load_all(session, committed)
    return _consistent(ds, owners)


def consistent_snapshot(session: Session, scope: Scope, extra: Sequence[Select] = (),
                        ) -> tuple[Dataset, dict[str, list[str]], dict[str, list[str]], list[list[tuple[Any, ...]]]]:
    """What an evaluation run reads: ``consistent_all`` and the rows of the ``extra`` statements
    (what the review workflow and the administrator recorded), all read in one snapshot of the
    store, so that an import committing meanwhile is seen whole or not at all. ``session`` must
    be fresh (``read_all``'s ``committed``); the run evaluates every agency, and keeps the
    flags ``scope`` may see."""
    scope.require(IMPORT)
    ds, owners, rows = read_all(session, committed=True, extra=extra)
    return (*_consistent(ds, owners), rows)


def _consistent(ds: Dataset, owners: dict[str, list[str]],
                ) -> tuple[Dataset, dict[str, list[str]], dict[str, list[str]]]:
    """``consistent_all`` of rows read already."""
    bad: dict[str, list[str]] = {}
    while problems := check_dataset(ds):
        drop: dict[str, set[int]] = {}
        for p in problems:
            agency = owners[p.file][p.row - 1]
            item = getattr(ds, p.file)[p.row - 1]
            id_column = TABLE_BY_NAME[p.file].id_column
            where = f"{p.file} {id_column} {getattr(item, id_column)}" if id_column else f"{p.file} row {p.row}"
            bad.setdefault(agency, []).append(f"{where}: {p.column} {p.value!r}: {p.reason}")
            drop.setdefault(p.file, set()).add(p.row - 1)
        kept = Dataset(source=ds.source)
        for table in TABLES:
            items, agency_of = getattr(ds, table.name), owners[table.name]
            keep = [i for i in range(len(items)) if i not in drop.get(table.name, ())
                    and (agency_of[i] not in bad or table.name in ("agencies", "officers"))]
            setattr(kept, table.name, [items[i] for i in keep])
            owners[table.name] = [agency_of[i] for i in keep]
        ds = kept
    return ds, owners, bad


def _within(ds: Dataset, owners: dict[str, list[str]], scope: Scope) -> Dataset:
    """The rows of the scope's agency, with the officers (and their agencies) its rows name."""
    agency = scope.agency_filter()
    if agency is None:
        return ds
    out = Dataset(source=ds.source)
    for table in TABLES:
        setattr(out, table.name, [item for item, a in zip(getattr(ds, table.name), owners[table.name]) if a == agency])
    by_id = {o.officer_id: o for o in ds.officers}
    wanted = [getattr(item, column) for table, column in OFFICER_REFERENCES for item in getattr(out, table)]
    have = {o.officer_id for o in out.officers}
    while wanted:
        officer = by_id.get(wanted.pop())
        if officer is not None and officer.officer_id not in have:
            have.add(officer.officer_id)
            out.officers.append(officer)
            wanted.append(officer.supervisor_id)
    named = {o.agency_id for o in out.officers} - {a.agency_id for a in out.agencies}
    out.agencies += [a for a in ds.agencies if a.agency_id in named]
    return out


def load_from_db(session: Session, scope: Scope) -> Dataset:
    """The stored data the user may see, as validated models: the consistent agencies' data (see
    ``consistent_dataset``); each left-out agency's problems are in ``warnings``."""
    ds, bad = consistent_dataset(session, scope)
    ds.warnings = [f"{agency}: {problem}" for agency, problems in bad.items() for problem in problems]
    return ds


def stored_counts(session: Session, scope: Scope) -> dict[str, int]:
    out = {}
    for name, row in DATASET_ROWS.items():
        q = select(func.count()).select_from(row)
        if scope.agency_filter():
            q = q.where(row.agency_id == scope.agency_filter())
        out[name] = session.scalar(q) or 0
    return out


def case_record(session: Session, scope: Scope, case_id: str) -> dict[str, Any] | None:
    """A case as stored, with its escalations and delay notices, if the user may see it."""
    case = session.get(CaseRow, case_id)
    if case is None or not scope.sees(case.agency_id):
        return None
    record = {c.name: getattr(case, c.name) for c in CaseRow.__table__.columns}
    escalations = session.scalars(select(EscalationRow).where(EscalationRow.case_id == case_id)
                                  .order_by(EscalationRow.reported_on)).all()
    record["escalations"] = [{c.name: getattr(e, c.name) for c in EscalationRow.__table__.columns} for e in escalations]
    notices = session.scalars(select(DelayNoticeRow).where(DelayNoticeRow.case_id == case_id)
                              .order_by(DelayNoticeRow.notified_on)).all()
    record["delay_notices"] = [{c.name: getattr(n, c.name) for c in DelayNoticeRow.__table__.columns} for n in notices]
    return record
