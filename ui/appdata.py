"""All database access of the app. Pages import these functions and only render.

Reads are cached for a short while (``st.cache_data``); writes are not cached and clear
the read cache after they commit. Every call carries the user's scope, which the data
layer (engine.store) enforces.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine import logs
from engine.domain.errors import InputError
from engine.domain.models import Dataset
from engine.ingest.isolated import load_dataset_isolated
from engine.ingest.limits import ReadLimits
from engine.kb.knowledge import load_kb
from engine.rules.catalogue import default_catalogue
from engine.store import conflicts, review
from engine.store.access import authenticate, name_hash
from engine.store.data import case_record, existing_ids, import_dataset, store_problems, stored_counts
from engine.store.db import database_url, session_factory
from engine.store.migrate import upgrade
from engine.store.health import connection_failed, reason, StoreUnavailable
from engine.store.migrate import StoreVersionError
from engine.store.run_history import visible_runs
from engine.store.runs import log_run, run_evaluation
from engine.store.schema import AgencyRow, EvaluationRun, FlagRow, OfficerRow, ProcessRow, User, utcnow
from engine.store.scope import IMPORT, SYSTEM, PermissionDenied, Scope

ScopeKey = tuple[str, str, str | None]


@st.cache_resource
def _factory(url: str):
    upgrade(url)
    return session_factory(url)


def factory():
    return _factory(database_url())


def forget_store() -> None:
    """The app's store connected afresh on its next use (its URL or settings changed)."""
    _factory.clear()


def store_problem() -> str | None:
    """None when the store answers (one ``SELECT 1`` on a pooled connection); else what the driver
    said, for the log (users see ``ui.app``'s page, not this). Not cached: the page comes back by
    itself once the store answers again (the session factory is made then, if it never was)."""
    try:
        with factory()() as session:
            session.execute(select(1))
    except Exception as exc:  # noqa: BLE001  (any failure to reach it: down, refused, unknown host)
        if store_down(exc):
            return reason(exc)
        raise
    return None


def store_down(exc: BaseException) -> bool:
    """Whether ``exc`` says the store cannot be reached (not a bug of a page)."""
    return isinstance(exc, (StoreUnavailable, StoreVersionError)) or connection_failed(exc)


def scope_of(key: ScopeKey) -> Scope:
    return Scope(*key)


def login(username: str, password: str, source: str) -> ScopeKey | None:
    """The user's scope key, None for a wrong name or password; TooManyAttempts when locked
    (for this name from ``source``, the client's address, or for ``source`` itself)."""
    try:
        with factory()() as session, session.begin():
            scope = authenticate(session, username, password, source=source)
    except Exception as exc:  # a name that failed is logged as its keyed hash, as the store keeps it
        logs.event("login", "warning", name_hash=name_hash(username), source=source, outcome="refused",
                   reason=type(exc).__name__)
        raise
    if scope is None:
        logs.event("login", "warning", name_hash=name_hash(username), source=source, outcome="failed")
        return None
    logs.event("login", user=scope.username, source=source, outcome="ok", role=scope.role, agency=scope.agency_id)
    return scope.username, scope.role, scope.agency_id


def session_user(username: str, issued_at: float | None) -> ScopeKey | None:
    """The user's current scope key if a login issued at ``issued_at`` still stands: the
    account exists and is active, and the login is newer than ``users.sessions_valid_after``
    (logout, a password reset or disabling the account moves it forward). Not cached: a
    disabled user is out on the next click."""
    with factory()() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            return None
        valid_after = getattr(user, "sessions_valid_after", None)  # users.sessions_valid_after (migration 0004)
        if valid_after is not None and issued_at is not None and \
                issued_at <= valid_after.replace(tzinfo=dt.timezone.utc).timestamp():
            return None
        return user.username, user.role, user.agency_id


def end_sessions(username: str) -> None:
    """Logout: every login of this user issued until now no longer stands (server-side)."""
    with factory()() as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        if user is not None and hasattr(user, "sessions_valid_after"):
            user.sessions_valid_after = utcnow()


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


@st.cache_data(ttl=120, show_spinner=False)
def names(key: ScopeKey) -> dict[str, dict[str, str]]:
    """Names of the agencies, processes and officers the user may see, by id: shown beside codes."""
    scope = scope_of(key)
    out: dict[str, dict[str, str]] = {}
    with factory()() as session:
        for kind, row, id_col in (("agency", AgencyRow, AgencyRow.agency_id), ("process", ProcessRow, ProcessRow.process_id),
                                  ("officer", OfficerRow, OfficerRow.officer_id)):
            stmt = select(id_col, row.name)
            if scope.agency_filter():
                stmt = stmt.where(row.agency_id == scope.agency_filter())
            out[kind] = dict(session.execute(stmt).all())
    return out


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
        # who acted, as colleagues know them (display name and role), for the history and a conflict
        out["people"] = access.people(session, scope, {e["actor"] for e in out["history"]})
        # the user's own conflict of interest with this flag, and who may decide it instead
        own = conflicts.conflict(session, scope, row)
        out["conflict"] = None if own is None else {"th": own.words("th"), "en": own.words("en"),
                                                    "officer_id": own.officer_id}
        out["deciders"] = [] if own is None else [asdict(d) for d in conflicts.who_may_decide(session, scope, row)]
        return out


@st.cache_data(ttl=120, show_spinner=False)
def people(key: ScopeKey, usernames: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """The display name and role of each user named: a decision reads as the person's."""
    with factory()() as session:
        return access.people(session, scope_of(key), set(usernames))


def forget_reads() -> None:
    """Read again what someone else may have changed elsewhere (after a refusal said so)."""
    _clear_reads()


@contextmanager
def _decision() -> Iterator[Session]:
    """A reviewer's decision in one transaction; SQLite's write lock held past its wait (an
    evaluation run saving a very large number of flags) is said as ``StoreBusy``, so the form
    says so in the reader's language and keeps the text."""
    try:
        with factory()() as session, session.begin():
            yield session
    except OperationalError as exc:
        if review.is_lock_timeout(exc):
            raise review.StoreBusy() from exc
        raise


def act(key: ScopeKey, flag_id: str, action: str, **fields: Any) -> None:
    with _decision() as session:
        row = review.act(session, scope_of(key), flag_id, action, **fields)
        status = row.status
    logs.event("review", user=key[0], action=action, flags=[flag_id], status=status)  # never the text typed
    _clear_reads()


def bulk_act(key: ScopeKey, flag_ids: list[str], action: str, expected_versions: dict[str, int] | None = None,
             **fields: Any) -> int:
    """All of the flags or none; ``expected_versions`` as the user saw them (StaleFlag otherwise)."""
    with _decision() as session:
        done = review.bulk_act(session, scope_of(key), flag_ids, action, expected_versions=expected_versions, **fields)
    logs.event("review", user=key[0], action=action, flags=list(flag_ids), bulk=True)
    _clear_reads()
    return len(done)


@st.cache_data(ttl=30, show_spinner=False)
def counts(key: ScopeKey) -> dict[str, int]:
    with factory()() as session:
        return stored_counts(session, scope_of(key))


@st.cache_data(ttl=30, show_spinner=False)
def runs(key: ScopeKey, limit: int = 20) -> list[dict[str, Any]]:
    """The runs the user may see, each error as they may read it (another agency's rows never)."""
    with factory()() as session:
        return visible_runs(session, scope_of(key), limit)


def check_upload(files: list[tuple[str, bytes]], key: ScopeKey) -> tuple[Dataset | None, list[dict[str, Any]], list[str]]:
    """Validate uploaded files as a dataset the user may import: (dataset or None, problems, warnings).
    The import permission is part of the check, so "valid" means "can be imported by you"; references
    may name officers of other agencies in the store."""
    def refused(exc: PermissionDenied, warnings: list[str]) -> tuple[None, list[dict[str, Any]], list[str]]:
        return None, [{"file": ", ".join(name for name, _ in files), "row": None, "column": "agency_id",
                       "value": None, "reason": str(exc)}], warnings

    scope = scope_of(key)
    try:
        scope.require(IMPORT)
    except PermissionDenied as exc:
        return refused(exc, [])

    def known(table: str, ids: set[str]) -> set[str]:  # the store says which exist, nothing more
        with factory()() as session:
            return existing_ids(session, scope, table, ids)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        xlsx = [name for name, _ in files if name.lower().endswith(".xlsx")]
        for name, content in files:
            (folder / Path(name).name).write_bytes(content)
        target = folder / Path(xlsx[0]).name if len(files) == 1 and xlsx else folder
        try:
            # a child process with a memory limit: never the app's memory
            ds = load_dataset_isolated(target, known_ids=known, limits=ReadLimits.from_env())
        except InputError as exc:
            return None, [asdict(p) for p in exc.problems], exc.warnings
    try:
        with factory()() as session:  # what the import would refuse: the same check
            problems = store_problems(session, scope, ds)
    except PermissionDenied as exc:
        return refused(exc, ds.warnings)
    if problems:
        return None, [asdict(p) for p in problems], ds.warnings
    return ds, [], ds.warnings


def import_upload(key: ScopeKey, ds: Dataset, source: str) -> int:
    with factory()() as session, session.begin():
        record = import_dataset(session, scope_of(key), ds, source)
        import_id, counts = record.id, dict(record.counts)
    logs.event("import", user=key[0], import_id=import_id, source=Path(source).name, counts=counts, via="app")
    _clear_reads()
    return import_id


def evaluate(key: ScopeKey, as_of: dt.date, progress: Callable[[float, str], None]) -> dict[str, Any]:
    started = time.monotonic()
    run_id = run_evaluation(factory(), scope_of(key), as_of, progress=progress)
    _clear_reads()
    with factory()() as session:
        run = session.get(EvaluationRun, run_id)
        log_run(run, time.monotonic() - started, via="app")
        return {c.name: getattr(run, c.name) for c in EvaluationRun.__table__.columns}


@st.cache_resource
def catalogue():
    return default_catalogue()


@st.cache_resource
def kb():
    return load_kb()


@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Load the rules, the knowledge base, the database and the cookie component once per server,
    on the login page, so the first page after a login opens at once."""
    import extra_streamlit_components  # noqa: F401

    catalogue(), kb(), factory()
    return True




# --- risk analysis, self-assessment, reports, provincial overview (issue: ethics committee & agencies) ---

from engine.store import analytics  # noqa: E402
from engine.store import assessment as sa
from engine.store import reports as sr


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
    """The process ranking and the approval-rate outliers, counted by the database in the user's scope."""
    with factory()() as session:
        return analytics.case_signals(session, scope_of(key), as_of)


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


def report_file(key: ScopeKey, agency_id: str, fiscal_year: int, today: dt.date, which: str,
                lang: str = "th") -> bytes:
    """One report of a fiscal year ("ack.pdf", "ack.xlsx", "pack.pdf" or "pack.xlsx"), made when the
    user asks for it: the acknowledgement form of the year's round, the evidence pack with the
    year's campaign (if any) and ITA item. The PDFs are the official Thai documents; the workbooks'
    values follow the reader's language (``discretion-review report`` makes the same files)."""
    from engine.store.schema import Campaign

    scope = scope_of(key)
    with factory()() as session:
        if which.startswith("ack."):
            ack = sr.acknowledgement_data(session, scope, agency_id, fiscal_year)
            return sr.acknowledgement_pdf(ack, today) if which == "ack.pdf" else sr.acknowledgement_xlsx(ack, lang)
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.fiscal_year == fiscal_year))
        pack = sr.evidence_data(session, scope, agency_id, campaign_id, fiscal_year)
        return sr.evidence_pdf(pack, today) if which == "pack.pdf" else sr.evidence_xlsx(pack, lang)


@st.cache_data(ttl=60, show_spinner=False)
def province(key: ScopeKey, fiscal_year: int, today: dt.date) -> dict[str, Any]:
    """The agencies in the round of ``fiscal_year``, worst first (``reports.province_data``)."""
    with factory()() as session:
        return sr.province_data(session, scope_of(key), fiscal_year, today)


def province_file(key: ScopeKey, fiscal_year: int, today: dt.date, which: str, lang: str = "th") -> bytes:
    """The province's overview of one round as "pdf" or "xlsx" (``discretion-review report province``)."""
    data = province(key, fiscal_year, today)
    return sr.province_pdf(data) if which == "pdf" else sr.province_xlsx(data, lang)


# --- what the administrator records for later runs: days off and acknowledgement rounds (issue 7) ---

from engine.store import province as sp  # noqa: E402

KB_CALENDAR_SOURCE = ("ปฏิทินวันหยุดของระบบ: วันหยุดนักขัตฤกษ์และวันหยุดราชการของประเทศไทย ไม่รวมวันแรงงานแห่งชาติ "
                      "ซึ่งเป็นวันทำงานของส่วนราชการ",
                      "the app's calendar of days off (the holidays library): Thai public and government holidays, "
                      "less National Labour Day, a working day for government offices")


@st.cache_data(ttl=30, show_spinner=False)
def calendar_view(key: ScopeKey, year_ce: int) -> dict[str, Any]:
    """The government days off of a (Gregorian) year on weekdays, each with where it comes from
    (the KB's calendar, kb/calendar.yaml, or an administrator's entry), and the stored entries."""
    from engine.kb.knowledge import checked_years, load_calendar_entries

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
                                      for r in history],
            # the years whose days off were checked against the cabinet's announcements (kb/calendar.yaml)
            "checked": [{"year": c.year, "source": c.source} for c in checked_years()]}


def add_calendar_entry(key: ScopeKey, day: dt.date, kind: str, name_th: str, name_en: str, source: str) -> None:
    with factory()() as session, session.begin():
        sp.add_calendar_entry(session, scope_of(key), day, kind, name_th, name_en, source)
    _clear_reads()


@st.cache_data(ttl=30, show_spinner=False)
def rounds_view(key: ScopeKey) -> dict[str, Any]:
    """The rounds in force per fiscal year (the knowledge base's 2562 and those opened), each with
    its letter, and every stored entry (the history, corrections included)."""
    scope = scope_of(key)
    with factory()() as session:
        history = [{"id": r.id, "fiscal_year": r.fiscal_year, "deadline": r.deadline, "source": r.source,
                    "letter_number": r.letter_number, "letter_date": r.letter_date, "subject": r.subject,
                    "signatory": r.signatory, "actor": r.actor, "at": r.at}
                   for r in sp.acknowledgement_rounds(session, scope)]
        in_force = sp.rounds(session, scope)
    return {"in_force": in_force, "history": history}


def open_round(key: ScopeKey, fiscal_year: int, deadline: dt.date, source: str, letter_number: str,
               letter_date: dt.date, signatory: str, subject: str | None) -> None:
    with factory()() as session, session.begin():
        sp.open_round(session, scope_of(key), fiscal_year, deadline, source,
                      sp.RoundLetter(letter_number, letter_date, signatory, subject))
    _clear_reads()


# --- issue 20 items 6-8: fiscal years, ITA items, campaign corrections (branch docs) ---

from engine.store import ita as sita  # noqa: E402


@st.cache_data(ttl=30, show_spinner=False)
def fiscal_years(key: ScopeKey) -> list[int]:
    """The fiscal years a document or the province's overview can be about, newest first: those
    with a round (the knowledge base's or opened), a campaign or acknowledgement rows."""
    from sqlalchemy import func

    from engine.store.schema import AcknowledgementRow, Campaign

    scope = scope_of(key)
    with factory()() as session:
        years = set(sp.rounds(session, scope)) | set(session.scalars(select(Campaign.fiscal_year)))
        years |= {y for y in session.scalars(select(func.coalesce(AcknowledgementRow.fiscal_year, 2562)).distinct())}
    return sorted(years, reverse=True)


@st.cache_data(ttl=30, show_spinner=False)
def ita_view(key: ScopeKey) -> dict[str, Any]:
    """The ITA item(s) of every mapped year, and the entries administrators recorded."""
    scope = scope_of(key)
    with factory()() as session:
        return {"mapped": sita.mappings(session, scope),
                "history": [{"id": r.id, "fiscal_year": r.fiscal_year, "items": r.items, "indicator": r.indicator,
                             "title_th": r.title_th, "source": r.source, "actor": r.actor, "at": r.at}
                            for r in sita.entries(session, scope)]}


def ita_item(key: ScopeKey, fiscal_year: int):
    """The year's ITA mapping (``ItaMapping``; ``mapped`` false: "ยังไม่ได้กำหนด")."""
    from engine.kb.ita import ItaMapping

    return ita_view(key)["mapped"].get(fiscal_year) or ItaMapping(fiscal_year)


def record_ita(key: ScopeKey, fiscal_year: int, items: str, source: str, indicator: str | None,
               title_th: str | None) -> None:
    with factory()() as session, session.begin():
        sita.record_item(session, scope_of(key), fiscal_year, items, source, indicator, title_th)
    _clear_reads()


def correct_campaign(key: ScopeKey, campaign_id: int, due_date: dt.date, reason: str) -> None:
    with factory()() as session, session.begin():
        sa.correct_campaign(session, scope_of(key), campaign_id, due_date, reason)
    _clear_reads()


@st.cache_data(ttl=30, show_spinner=False)
def campaign_history(key: ScopeKey) -> list[dict[str, Any]]:
    with factory()() as session:
        return [{"campaign_id": e.campaign_id, "fiscal_year": e.fiscal_year, "action": e.action,
                 "due_date": e.due_date, "reason": e.reason, "actor": e.actor, "at": e.at}
                for e in sa.campaign_history(session, scope_of(key))]


def _clear_reads() -> None:
    for fn in (queue_page, names, facets, status_counts, flag_detail, people, counts, runs, risk_overview,
               risk_signals, campaigns, province, calendar_view, rounds_view, fiscal_years, ita_view, campaign_history,
               due_items, case_view, flag_requests):
        fn.clear()


# --- users, for the admin (engine.store.access: the same checks as `discretion-review users`, audited there) ---

from engine.store import access  # noqa: E402


def users(key: ScopeKey) -> list[dict[str, Any]]:
    with factory()() as session:
        return [u if isinstance(u, dict) else {c.name: getattr(u, c.name) for c in User.__table__.columns
                                               if c.name != "password_hash"}
                for u in access.list_users(session, scope_of(key))]


def add_user(key: ScopeKey, username: str, password: str, role: str, agency_id: str | None,
             display_name: str | None) -> None:
    with factory()() as session, session.begin():
        access.add_user(session, scope_of(key), username, password, role, agency_id, display_name=display_name)


def set_active(key: ScopeKey, username: str, active: bool) -> None:
    with factory()() as session, session.begin():
        access.set_active(session, scope_of(key), username, active)


def reset_password(key: ScopeKey, username: str, password: str) -> None:
    with factory()() as session, session.begin():
        access.reset_password(session, scope_of(key), username, password)


def update_user(key: ScopeKey, username: str, **fields: Any) -> None:
    with factory()() as session, session.begin():
        access.update_user(session, scope_of(key), username, **fields)


# --- a user account linked to an officer of the data (issue 20 item 3) ---

def officers(key: ScopeKey, agency_id: str | None) -> list[dict[str, Any]]:
    """The officers a user of ``agency_id`` may be linked to (every agency's for None), by id."""
    scope = scope_of(key)
    scope.require("manage_users")
    with factory()() as session:
        stmt = select(OfficerRow.officer_id, OfficerRow.name, OfficerRow.position, OfficerRow.agency_id)
        if agency_id:
            stmt = stmt.where(OfficerRow.agency_id == agency_id)
        return [dict(r._mapping) for r in session.execute(stmt.order_by(OfficerRow.officer_id).limit(5000))]


def link_officer(key: ScopeKey, username: str, officer_id: str) -> None:
    with factory()() as session, session.begin():
        access.link_officer(session, scope_of(key), username, officer_id)
    _clear_reads()


def unlink_officer(key: ScopeKey, username: str) -> None:
    with factory()() as session, session.begin():
        access.unlink_officer(session, scope_of(key), username)
    _clear_reads()


# --- the intake API's tokens, for the admin (engine.store.tokens: the same checks as `discretion-review tokens`,
#     every making and revoking in the tokens' trail) ---

from engine.store import tokens as api_tokens  # noqa: E402


def tokens(key: ScopeKey) -> list[dict[str, Any]]:
    """Every token with its last post (not cached: the admin acts on what is listed)."""
    with factory()() as session:
        return api_tokens.list_tokens(session, scope_of(key))


def add_token(key: ScopeKey, agency_id: str, label: str) -> tuple[int, str]:
    """A new token: (its number, the token, which is shown this once)."""
    with factory()() as session, session.begin():
        row, token = api_tokens.add_token(session, scope_of(key), agency_id, label)
        token_id = row.id
    logs.event("token", user=key[0], action="created", token_id=token_id, agency=agency_id)
    return token_id, token


def revoke_token(key: ScopeKey, token_id: int) -> None:
    with factory()() as session, session.begin():
        api_tokens.revoke_token(session, scope_of(key), token_id)
    logs.event("token", user=key[0], action="revoked", token_id=token_id)


# --- what is due, requests for information, notifications (issue 23) ---

from engine.store import duties as sd  # noqa: E402
from engine.store import notify as sn  # noqa: E402
from engine.store import requests as sq  # noqa: E402


@st.cache_data(ttl=30, show_spinner=False)
def due_items(key: ScopeKey, on: dt.date) -> dict[str, Any]:
    """What the user must see to, soonest first (``duties.due_soon``), and the officer their
    account is linked to (their list is then their team's), if any."""
    scope = scope_of(key)
    with factory()() as session:
        return {"items": sd.due_soon(session, scope, on=on), "officer": sd.linked_officer(session, scope)}


@st.cache_data(ttl=30, show_spinner=False)
def case_view(key: ScopeKey, case_id: str, on: dt.date) -> dict[str, Any] | None:
    with factory()() as session:
        return sd.of_case(session, scope_of(key), case_id, on)


@st.cache_data(ttl=30, show_spinner=False)
def flag_requests(key: ScopeKey, flag_id: str) -> list[dict[str, Any]]:
    with factory()() as session:
        try:
            return sq.of_flag(session, scope_of(key), flag_id)
        except review.NotFound:
            return []


def officer_choices(key: ScopeKey, agency_id: str | None = None) -> list[tuple[str, str]]:
    """(id, name) of the officers a request may be addressed to: the agency's (of those the user sees)."""
    scope = scope_of(key)
    with factory()() as session:
        stmt = select(OfficerRow.officer_id, OfficerRow.name).order_by(OfficerRow.officer_id)
        agency = agency_id or scope.agency_filter()
        if agency is not None:
            if not scope.sees(agency):
                return []
            stmt = stmt.where(OfficerRow.agency_id == agency)
        return [tuple(r) for r in session.execute(stmt).all()]


@st.cache_data(ttl=300, show_spinner=False)
def reply_by(key: ScopeKey, days: int, on: dt.date) -> dt.date:
    with factory()() as session:
        return sq.reply_by(session, scope_of(key), days, on)


def default_reply_days() -> int:
    return sq.default_days()


def notification_settings(key: ScopeKey) -> dict[str, Any]:
    with factory()() as session:
        s = sn.settings(session, scope_of(key))
        return {"email": s.email, "lang": s.lang, "digest": s.digest}


def save_notification_settings(key: ScopeKey, email: str, lang: str, digest: bool) -> None:
    with factory()() as session, session.begin():
        sn.update_settings(session, scope_of(key), email=email, lang=lang, digest=digest)
    logs.event("settings", user=key[0], what="notifications", digest=digest, lang=lang)  # never the address
