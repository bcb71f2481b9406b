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
from engine.store.access import SYSTEM, Scope, authenticate
from engine.store.data import case_record, import_dataset, known_ids, stored_counts
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
    """The user's scope key, None for a wrong name or password; TooManyAttempts when locked."""
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


def check_upload(files: list[tuple[str, bytes]], key: ScopeKey | None = None
                 ) -> tuple[Dataset | None, list[dict[str, Any]], list[str]]:
    """Validate uploaded files as a dataset: (dataset or None, problems, warnings). With the
    user's key, references may name officers of other agencies in the store."""
    known = None
    if key is not None:
        with factory()() as session:
            known = known_ids(session, scope_of(key))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        xlsx = [name for name, _ in files if name.lower().endswith(".xlsx")]
        for name, content in files:
            (folder / Path(name).name).write_bytes(content)
        target = folder / Path(xlsx[0]).name if len(files) == 1 and xlsx else folder
        try:
            ds = load_dataset(target, known_ids=known)
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




# --- risk analysis, self-assessment, reports, provincial overview (issue: ethics committee & agencies) ---

from engine.store import analytics, assessment as sa, reports as sr  # noqa: E402
from engine.store.data import load_from_db  # noqa: E402


@st.cache_data(ttl=60, show_spinner=False)
def _dataset_snapshot() -> Dataset:
    with factory()() as session:  # one cached copy for everyone: analytics filter by the user's scope
        return load_from_db(session, SYSTEM)


@st.cache_data(ttl=60, show_spinner=False)
def risk_overview(key: ScopeKey, fy: int | None) -> dict[str, Any]:
    scope = scope_of(key)
    with factory()() as session:
        years = analytics.fiscal_years(session, scope)
        fy = fy or years[0]
        return {"heatmap": analytics.heatmap(session, scope), "years": years, "fy": fy,
                "trend": analytics.monthly_trend(session, scope, fy),
                "rotation": analytics.flags_of_rule(session, scope, "1.4-rotation-due"),
                "repeat": analytics.flags_of_rule(session, scope, "1.4-repeat-applicant"),
                "analyses": analytics.analyses(session, scope)}


@st.cache_data(ttl=120, show_spinner=False)
def risk_signals(key: ScopeKey, as_of: dt.date) -> dict[str, Any]:
    ds, scope = _dataset_snapshot(), scope_of(key)
    return {"processes": analytics.process_ranking(ds, scope, as_of),
            "outliers": analytics.approval_outliers(ds, scope, as_of)}


def record_analysis(key: ScopeKey, **fields: Any) -> int:
    with factory()() as session, session.begin():
        row = analytics.record_analysis(session, scope_of(key), **fields)
        row_id = row.id
    _clear_reads()
    return row_id


def agencies(key: ScopeKey) -> list[tuple[str, str]]:
    from engine.store.schema import AgencyRow
    scope = scope_of(key)
    with factory()() as session:
        return [(a.agency_id, a.name) for a in session.scalars(select(AgencyRow).order_by(AgencyRow.agency_id))
                if scope.sees(a.agency_id)]


@st.cache_data(ttl=30, show_spinner=False)
def campaigns() -> list[dict[str, Any]]:
    with factory()() as session:
        return [{"id": c.id, "fiscal_year": c.fiscal_year, "due_date": c.due_date} for c in sa.campaigns(session, SYSTEM)]


def create_campaign(key: ScopeKey, fiscal_year: int, due_date: dt.date) -> None:
    with factory()() as session, session.begin():
        sa.create_campaign(session, scope_of(key), fiscal_year, due_date)
    _clear_reads()


def assessment_view(key: ScopeKey, campaign_id: int, agency_id: str) -> dict[str, Any]:
    """Opens (and, for who may fill it in, on first use creates) the agency's assessment; not
    cached: it may write. For a read-only user it is an unsaved view (id None)."""
    scope = scope_of(key)
    with factory()() as session, session.begin():
        a = sa.assessment(session, scope, campaign_id, agency_id)
        rows = sa.items(session, scope, a)
        return {"id": a.id, "status": a.status, "submitted_at": a.submitted_at, "submitted_by": a.submitted_by,
                "score": a.score if a.status == "submitted" else sa.score(rows),
                "items": [{c.name: getattr(r, c.name) for c in r.__table__.columns if c.name != "evidence_file"}
                          for r in rows]}


def evidence_file(key: ScopeKey, item_id: int) -> tuple[str, bytes] | None:
    with factory()() as session:
        return sa.evidence_file(session, scope_of(key), item_id)


def update_item(key: ScopeKey, item_id: int, **fields: Any) -> None:
    with factory()() as session, session.begin():
        sa.update_item(session, scope_of(key), item_id, **fields)
    _clear_reads()


def submit_assessment(key: ScopeKey, assessment_id: int) -> None:
    with factory()() as session, session.begin():
        sa.submit(session, scope_of(key), assessment_id)
    _clear_reads()


def report_files(key: ScopeKey, agency_id: str, campaign_id: int | None, today: dt.date) -> dict[str, bytes]:
    scope = scope_of(key)
    with factory()() as session:
        ack = sr.acknowledgement_data(session, scope, agency_id)
        pack = sr.evidence_data(session, scope, agency_id, campaign_id)
    return {"ack.pdf": sr.acknowledgement_pdf(ack, today), "ack.xlsx": sr.acknowledgement_xlsx(ack),
            "pack.pdf": sr.evidence_pdf(pack, today), "pack.xlsx": sr.evidence_xlsx(pack)}


@st.cache_data(ttl=60, show_spinner=False)
def province(key: ScopeKey, campaign_id: int | None) -> list[dict[str, Any]]:
    from engine.kb import load_kb
    from engine.store.schema import AcknowledgementRow

    scope = scope_of(key)
    scope.require("read")
    deadlines = load_kb().defaults()["acknowledgement_deadlines"]  # the latest round's deadline
    deadline = deadlines[max(deadlines)]
    with factory()() as session:
        overview = {r["agency_id"]: r for r in sa.overview(session, scope, campaign_id)}
        reported: dict[str, dt.date] = {}
        for agency_id, day in session.execute(select(AcknowledgementRow.agency_id, AcknowledgementRow.reported_on)):
            if day and (agency_id not in reported or day < reported[agency_id]):
                reported[agency_id] = day
        open_flags: dict[tuple[str, str], int] = {}
        from sqlalchemy import func
        for agency_id, severity, n in session.execute(
                select(FlagRow.agency_id, FlagRow.severity, func.count())
                .where(FlagRow.status.in_(("open", "needs_info", "confirmed")))
                .group_by(FlagRow.agency_id, FlagRow.severity)):
            open_flags[(agency_id, severity)] = n
    out = []
    for agency_id, row in overview.items():
        if not scope.sees(agency_id):
            continue
        day = reported.get(agency_id)
        out.append({**row, "reported_on": day,
                    "acknowledgement": "none" if day is None else "on_time" if day <= deadline else "late",
                    "high": open_flags.get((agency_id, "high"), 0), "medium": open_flags.get((agency_id, "medium"), 0),
                    "low": open_flags.get((agency_id, "low"), 0)})
    return out


# --- what the administrator records for later runs: days off and acknowledgement rounds (issue 7) ---

from engine.store import province as sp  # noqa: E402

KB_CALENDAR_SOURCE = ("ปฏิทินวันหยุดราชการ (ไลบรารี holidays: วันหยุดนักขัตฤกษ์และวันหยุดราชการ ไม่รวมวันแรงงานแห่งชาติ)",
                      "government calendar (holidays library: Thai public and government holidays, less Labour Day)")


@st.cache_data(ttl=30, show_spinner=False)
def calendar_view(key: ScopeKey, year_ce: int) -> dict[str, Any]:
    """The government days off of a (Gregorian) year on weekdays, each with where it comes from
    (the KB's calendar, kb/calendar.yaml, or an administrator's entry), and the stored entries."""
    from engine.kb import load_calendar_entries

    scope = scope_of(key)
    with factory()() as session:
        history = sp.calendar_entries(session, scope)
        cal = sp.government_calendar(session, scope)
        stored = {e.date: e for e in sp.calendar_in_force(session, scope)}
    kb_entries = {e.date: e for e in load_calendar_entries()}
    days, day = [], dt.date(year_ce, 1, 1)
    while day.year == year_ce:
        if day.weekday() < 5 and (day in stored or day in kb_entries or cal.is_day_off(day)):
            entry = stored.get(day) or kb_entries.get(day)
            origin = "store" if day in stored else "kb_file" if day in kb_entries else "kb"
            days.append({"date": day, "day_off": cal.is_day_off(day), "origin": origin,
                         "name_th": entry.name_th if entry else cal.holiday_name(day, "th"),
                         "name_en": entry.name_en if entry else cal.holiday_name(day, "en"),
                         "source": entry.source if entry else None})
        day += dt.timedelta(days=1)
    return {"days": days, "history": [{"id": r.id, "date": r.date, "kind": r.kind, "name_th": r.name_th,
                                       "name_en": r.name_en, "source": r.source, "actor": r.actor, "at": r.at}
                                      for r in history]}


def add_calendar_entry(key: ScopeKey, day: dt.date, kind: str, name_th: str, name_en: str, source: str) -> None:
    with factory()() as session, session.begin():
        sp.add_calendar_entry(session, scope_of(key), day, kind, name_th, name_en, source)
    _clear_reads()


@st.cache_data(ttl=30, show_spinner=False)
def rounds_view(key: ScopeKey) -> dict[str, Any]:
    """The knowledge base's acknowledgement rounds (read-only, with its source) and the stored ones."""
    scope = scope_of(key)
    p = kb().parameters[sp.ROUNDS_PARAMETER]
    with factory()() as session:
        history = [{"id": r.id, "fiscal_year": r.fiscal_year, "deadline": r.deadline, "source": r.source,
                    "actor": r.actor, "at": r.at} for r in sp.acknowledgement_rounds(session, scope)]
    return {"kb": [{"fiscal_year": y, "deadline": d, "source": (p.source_th, p.source_en)}
                   for y, d in sorted(p.default.items())], "history": history}  # type: ignore[union-attr]


def open_round(key: ScopeKey, fiscal_year: int, deadline: dt.date, source: str) -> None:
    with factory()() as session, session.begin():
        sp.open_round(session, scope_of(key), fiscal_year, deadline, source)
    _clear_reads()


def _clear_reads() -> None:
    for fn in (queue_page, facets, status_counts, flag_detail, counts, runs, _dataset_snapshot, risk_overview,
               risk_signals, campaigns, province, calendar_view, rounds_view):
        fn.clear()
