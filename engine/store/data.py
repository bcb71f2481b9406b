"""Datasets in the database: import (one transaction, agency by agency) and load back."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from ..errors import InputError
from ..loader import check_dataset
from ..models import TABLES, Dataset
from .access import IMPORT, PermissionDenied, Scope
from .schema import DATASET_ROWS, CaseRow, DatasetImport, EscalationRow, RiskAnalysisRow

_BATCH = 5000


def _dataset_agencies(ds: Dataset) -> list[str]:
    return sorted({a.agency_id for a in ds.agencies})


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


def import_dataset(session: Session, scope: Scope, ds: Dataset, source: str) -> DatasetImport:
    """Replace the rows of every agency in ``ds`` with the dataset's; other agencies stay.

    Runs inside the caller's transaction: all of it is stored, or none of it.
    """
    agencies = require_import(scope, ds)
    process_agency = {p.process_id: p.agency_id for p in ds.processes}
    case_agency = {c.case_id: process_agency[c.process_id] for c in ds.cases}
    for row in DATASET_ROWS.values():
        stmt = delete(row).where(row.agency_id.in_(agencies))
        if row is RiskAnalysisRow:
            stmt = stmt.where(RiskAnalysisRow.source == "import")  # analyses recorded in the app stay
        session.execute(stmt)
    for table in TABLES:
        row = DATASET_ROWS[table.name]
        names = [f.name for f in fields(table.model)]
        batch: list[dict[str, Any]] = []
        for item in getattr(ds, table.name):
            values = {n: getattr(item, n) for n in names}
            if table.name == "cases":
                values["agency_id"] = process_agency[item.process_id]
            elif table.name == "escalations":
                values["agency_id"] = case_agency[item.case_id]
            batch.append(values)
            if len(batch) == _BATCH:
                session.execute(insert(row), batch)
                batch = []
        if batch:
            session.execute(insert(row), batch)
    record = DatasetImport(imported_by=scope.username, source=source, agencies=agencies, counts=ds.counts())
    session.add(record)
    session.flush()
    return record


def load_from_db(session: Session) -> Dataset:
    """The stored dataset as validated models; cross-file problems raise ``InputError``."""
    ds = Dataset(source="database")
    for table in TABLES:
        row = DATASET_ROWS[table.name]
        names = [f.name for f in fields(table.model)]
        cols = [getattr(row, n) for n in names]
        order = getattr(row, table.id_column) if table.id_column else row.id
        items = [table.model(**dict(zip(names, r))) for r in session.execute(select(*cols).order_by(order))]
        setattr(ds, table.name, items)
    problems = check_dataset(ds)
    if problems:
        raise InputError(problems)
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
    """A case as stored, with its escalations, if the user may see it."""
    case = session.get(CaseRow, case_id)
    if case is None or not scope.sees(case.agency_id):
        return None
    record = {c.name: getattr(case, c.name) for c in CaseRow.__table__.columns}
    escalations = session.scalars(select(EscalationRow).where(EscalationRow.case_id == case_id)
                                  .order_by(EscalationRow.reported_on)).all()
    record["escalations"] = [{c.name: getattr(e, c.name) for c in EscalationRow.__table__.columns} for e in escalations]
    return record
