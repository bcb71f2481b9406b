"""Case terms over the stored cases, for the database to count with.

The risk page counts millions of stored cases by case terms (``deviates``, ``overdue``,
``outcome_approved``: engine/rules/terms/case.py) without loading them. A term that is a plain
test of the case's own columns is written here as SQL beside its name; a term that needs the
government calendar or the process — a case's *limit day* — is evaluated by the term registry
itself, once per group of stored cases that share what it reads (process and start), and the
database compares each case with its group's value. So those figures follow the one definition
of the term: a change to ``limit_day`` (catalogue v3's 30 days for a public service without
standard_days) reaches them with no change here. ``tests/test_risk_sql.py`` holds every
expression here to its term, case by case, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from pydantic_core import ArgsKwargs
from sqlalchemy import Column, ColumnElement, Date, MetaData, Table, and_, case, func, literal, or_, select, text
from sqlalchemy.orm import Session

from engine.domain.models import TABLE_BY_NAME, Case, Dataset
from engine.kb.knowledge import load_kb
from engine.rules.context import RunContext
from engine.rules.terms.case import CaseFacts
from engine.store import province
from engine.store.bulk import bulk_insert
from engine.store.schema import DATASET_ROWS, CaseRow, Id, OfficerRow, ProcessRow
from engine.store.scope import READ, Scope

# -- terms that test the case's own columns, as SQL ------------------------------------------


def decided(as_of: dt.date) -> ColumnElement[bool]:
    """*decided*: decided_on ≤ as_of (the term ``decided_on`` is not None)."""
    return CaseRow.decided_on <= as_of


def start_on() -> ColumnElement[dt.date]:
    """The term ``start_on``: complete_on, else received_on."""
    return func.coalesce(CaseRow.complete_on, CaseRow.received_on)


def end(as_of: dt.date) -> ColumnElement[dt.date]:
    """The term ``end``: decided_on when decided, else as_of."""
    return case((decided(as_of), CaseRow.decided_on), else_=literal(as_of, Date))


def deviates(as_of: dt.date) -> ColumnElement[bool]:
    """The term ``deviates``: decided, and its deviation is non-empty (stored as not NULL)."""
    return and_(decided(as_of), CaseRow.deviation.is_not(None))


def overdue(as_of: dt.date, limits: Table) -> ColumnElement[bool]:
    """The term ``overdue`` of a case joined to its group's row of ``limit_days`` (none: no limit day)."""
    return and_(limits.c.limit_day.is_not(None), end(as_of) > limits.c.limit_day)


def exists(as_of: dt.date) -> ColumnElement[bool]:
    """A case exists at as_of when it was received on or before it (``terms.case.subjects``)."""
    return CaseRow.received_on <= as_of


# -- terms evaluated by the registry, once per group of cases ---------------------------------


def _models(session: Session, name: str, where: Any = None) -> list[Any]:
    """Stored rows of a dataset table as its validated models (as ``data.read_all`` reads them)."""
    table, row = TABLE_BY_NAME[name], DATASET_ROWS[name]
    stmt = select(*(getattr(row, f.name) for f in fields(table.model)))
    if where is not None:
        stmt = stmt.where(where)
    validate = table.model.__pydantic_validator__.validate_python
    return [validate(ArgsKwargs(tuple(r))) for r in session.execute(stmt)]


def context(session: Session, scope: Scope, as_of: dt.date) -> RunContext:
    """What a case's terms read besides the case, as a store run at ``as_of`` has it, for the
    cases the user sees: their processes, their agencies' officers (for an agency whose own
    officers are not stored, the officer of one of its cases), every agency's parameter rows,
    the parameters an administrator recorded, and the government calendar in force (the
    knowledge base's with the days off recorded in the app)."""
    scope.require(READ)
    kb = load_kb()
    stored = province.stored_parameters(session, scope, kb)
    params = kb.resolve_parameters({}, base={n: v.value for n, v in stored.items()})
    agency = scope.agency_filter()
    ds = Dataset(source="database", agencies=_models(session, "agencies"),
                 parameters=_models(session, "parameters"))
    if agency is None:
        ds.processes, ds.officers = _models(session, "processes"), _models(session, "officers")
    else:
        ds.processes = _models(session, "processes", ProcessRow.agency_id == agency)
        one_case = select(CaseRow.officer_id).where(CaseRow.agency_id == agency).limit(1).scalar_subquery()
        ds.officers = _models(session, "officers", or_(OfficerRow.agency_id == agency, OfficerRow.officer_id == one_case))
    return RunContext.build(ds, as_of, params, calendar=province.government_calendar(session, scope), stored=stored)


def facts(run: RunContext, process_id: str, **columns: Any) -> CaseFacts:
    """A case of ``process_id`` with the given columns and no others: what the terms say of every
    stored case that shares them. Its deciding officer stands in for theirs (an officer of the
    process's agency): the terms asked here do not read the officer."""
    agency = run.processes[process_id].agency_id
    officers = run.officers_by_agency.get(agency) or list(run.officers.values())
    row = Case(case_id="-", process_id=process_id, officer_id=officers[0].officer_id,
               **{"received_on": dt.date.min, "discretion_used": False, **columns})
    return CaseFacts(run, row, agency)


LIMIT_DAYS = Table("case_limit_days", MetaData(), Column("process_id", Id, primary_key=True),
                   Column("start_on", Date, primary_key=True), Column("limit_day", Date),
                   prefixes=["TEMPORARY"], sqlite_with_rowid=False)  # one b-tree: a join reads a row once
_BATCH = 20_000


@contextmanager
def limit_days(session: Session, scope: Scope, run: RunContext) -> Iterator[Table]:
    """The term ``limit_day`` of the stored cases the user sees that exist at ``run.as_of``, one
    row per process and start (what the term reads of a case: ``start_on``), in a temporary table
    of the session's connection (``LIMIT_DAYS``: process_id, start_on, limit_day) to join them
    with; a group without a limit day has no row. ``run``: ``context(session, scope, as_of)``.
    The table is dropped after use (after a failure, with the transaction, or by the next call)."""
    groups = select(CaseRow.process_id, start_on()).distinct().where(exists(run.as_of))
    if scope.agency_filter():
        groups = groups.where(CaseRow.agency_id == scope.agency_filter())
    rows = session.execute(groups).all()
    conn = session.connection()
    # named in the connection's own schema of temporary tables: never a stored table's name
    drop = text(f"DROP TABLE IF EXISTS {'temp' if conn.dialect.name == 'sqlite' else 'pg_temp'}.{LIMIT_DAYS.name}")
    conn.execute(drop)  # a table a failed call left on this connection (SQLite keeps its DDL through a rollback)
    LIMIT_DAYS.create(conn)
    for i in range(0, len(rows), _BATCH):
        batch = []
        for process_id, start in rows[i:i + _BATCH]:
            limit = facts(run, process_id, received_on=start).limit_day
            if limit is not None:
                batch.append({"process_id": process_id, "start_on": start, "limit_day": limit})
        bulk_insert(session, LIMIT_DAYS, batch)
    del rows
    yield LIMIT_DAYS
    conn.execute(drop)
