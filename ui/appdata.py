"""All database access of the app. Pages import these functions and only render.

Reads are cached for a short while (``st.cache_data``); writes are not cached and clear
the read cache after they commit. Every call carries the user's scope, which the data
layer (engine.store) enforces.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy import select

from engine.errors import InputError
from engine.kb import load_kb
from engine.loader import load_dataset
from engine.models import Dataset
from engine.rules import default_catalogue
from engine.store import review
from engine.store.access import Scope, authenticate
from engine.store.data import case_record, import_dataset, stored_counts
from engine.store.db import database_url, session_factory, upgrade
from engine.store.runs import run_evaluation
from engine.store.schema import EvaluationRun, FlagRow

ScopeKey = tuple[str, str, str | None]


@st.cache_resource
def _factory(url: str):
    upgrade(url)
    return session_factory(url)


def factory():
    return _factory(database_url())


def scope_of(key: ScopeKey) -> Scope:
    return Scope(*key)


def login(username: str, password: str) -> ScopeKey | None:
    with factory()() as session, session.begin():
        scope = authenticate(session, username, password)
    return (scope.username, scope.role, scope.agency_id) if scope else None


@st.cache_data(ttl=60, show_spinner=False)
def expire_waivers(today: dt.date) -> int:
    with factory()() as session, session.begin():
        n = review.expire_waivers(session, today)
    if n:
        _clear_reads()
    return n


def _flag_dict(row: FlagRow) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in FlagRow.__table__.columns}


@st.cache_data(ttl=30, show_spinner=False)
def queue_page(key: ScopeKey, filters: tuple[tuple[str, Any], ...], sort: str, page: int,
               page_size: int) -> tuple[list[dict[str, Any]], int]:
    f = review.QueueFilter(**{k: list(v) if isinstance(v, tuple) else v for k, v in filters})
    with factory()() as session:
        rows, total = review.queue(session, scope_of(key), f, sort, page, page_size)
        return [_flag_dict(r) for r in rows], total


@st.cache_data(ttl=60, show_spinner=False)
def facets(key: ScopeKey) -> dict[str, list[Any]]:
    with factory()() as session:
        return review.facets(session, scope_of(key))


@st.cache_data(ttl=30, show_spinner=False)
def status_counts(key: ScopeKey) -> dict[str, int]:
    with factory()() as session:
        return review.status_counts(session, scope_of(key))


@st.cache_data(ttl=30, show_spinner=False)
def flag_detail(key: ScopeKey, flag_id: str) -> dict[str, Any] | None:
    """The flag, its history and (for a case) the case record; None when out of scope or absent."""
    scope = scope_of(key)
    with factory()() as session:
        try:
            row = review.get_flag(session, scope, flag_id)
        except review.NotFound:
            return None
        out = _flag_dict(row)
        out["history"] = [{c.name: getattr(e, c.name) for c in e.__table__.columns}
                          for e in review.history(session, scope, flag_id)]
        out["case"] = case_record(session, scope, row.subject_id) if row.subject_type == "case" else None
        return out


def act(key: ScopeKey, flag_id: str, action: str, **fields: Any) -> None:
    with factory()() as session, session.begin():
        review.act(session, scope_of(key), flag_id, action, **fields)
    _clear_reads()


def bulk_act(key: ScopeKey, flag_ids: list[str], action: str, **fields: Any) -> int:
    with factory()() as session, session.begin():
        done = review.bulk_act(session, scope_of(key), flag_ids, action, **fields)
    _clear_reads()
    return len(done)


@st.cache_data(ttl=30, show_spinner=False)
def counts(key: ScopeKey) -> dict[str, int]:
    with factory()() as session:
        return stored_counts(session, scope_of(key))


@st.cache_data(ttl=30, show_spinner=False)
def runs(key: ScopeKey, limit: int = 20) -> list[dict[str, Any]]:
    scope = scope_of(key)
    with factory()() as session:
        rows = session.scalars(select(EvaluationRun).order_by(EvaluationRun.id.desc()).limit(200)).all()
        visible = [r for r in rows if scope.all_agencies or not r.agencies or scope.agency_id in r.agencies]
        return [{c.name: getattr(r, c.name) for c in EvaluationRun.__table__.columns} for r in visible[:limit]]


def check_upload(files: list[tuple[str, bytes]]) -> tuple[Dataset | None, list[dict[str, Any]], list[str]]:
    """Validate uploaded files as a dataset: (dataset or None, problems, warnings)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        xlsx = [name for name, _ in files if name.lower().endswith(".xlsx")]
        for name, content in files:
            (folder / Path(name).name).write_bytes(content)
        target = folder / Path(xlsx[0]).name if len(files) == 1 and xlsx else folder
        try:
            ds = load_dataset(target)
        except InputError as exc:
            return None, [asdict(p) for p in exc.problems], []
    return ds, [], ds.warnings


def import_upload(key: ScopeKey, ds: Dataset, source: str) -> int:
    with factory()() as session, session.begin():
        record = import_dataset(session, scope_of(key), ds, source)
        import_id = record.id
    _clear_reads()
    return import_id


def evaluate(key: ScopeKey, as_of: dt.date, progress: Callable[[float, str], None]) -> dict[str, Any]:
    run_id = run_evaluation(factory(), scope_of(key), as_of, progress=progress)
    _clear_reads()
    with factory()() as session:
        run = session.get(EvaluationRun, run_id)
        return {c.name: getattr(run, c.name) for c in EvaluationRun.__table__.columns}


@st.cache_resource
def catalogue():
    return default_catalogue()


@st.cache_resource
def kb():
    return load_kb()


def _clear_reads() -> None:
    for fn in (queue_page, facets, status_counts, flag_detail, counts, runs):
        fn.clear()
