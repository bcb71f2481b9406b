"""What the province's administrator records for every later run: corrections of the
government calendar (a day off the cabinet declared) and acknowledgement rounds (guidelines
2.1–2.3: a fiscal year's deadline and the letter that sets it).

Both are appended only and hash-chained like the other audit trails (``audit.append``; the
tables' triggers refuse change and deletion): the entry in force for a date or a fiscal
year is the latest one, so a mistake is put right by a new entry, and who recorded what and
when stays readable. Only administrators write; everybody logged in reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.domain.calendar import CalendarEntry, GovernmentCalendar, fiscal_year
from engine.domain.errors import UsageError
from engine.domain.thai import format_date
from engine.kb import knowledge
from engine.kb.knowledge import KnowledgeBase, ParamValue
from engine.store import audit
from engine.store.schema import AcknowledgementRoundRow, CalendarEntryRow
from engine.store.scope import READ, PermissionDenied, Scope

KINDS = ("add", "remove")
ROUNDS_PARAMETER = "acknowledgement_deadlines"


def _require_admin(scope: Scope, what: str) -> None:
    if scope.role != "admin":
        raise PermissionDenied(f"เฉพาะผู้ดูแลระบบเท่านั้น / {scope.username} ({scope.role}) may not {what}: "
                               "administrators only")


def _text(value: str | None, field_th: str, field_en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise UsageError(f"ต้องระบุ{field_th} / {field_en} is required")
    return text


def add_calendar_entry(session: Session, scope: Scope, date: dt.date, kind: str, name_th: str, name_en: str,
                       source: str) -> CalendarEntryRow:
    """Record a day off (``add``) or a working day (``remove``) for every later run."""
    _require_admin(scope, "change the government calendar")
    if kind not in KINDS:
        raise UsageError(f"ประเภทต้องเป็นวันหยุดหรือวันทำการ / kind must be add (a day off) or remove (a working day), "
                         f"not {kind!r}")
    if date.weekday() >= 5:
        raise UsageError(f"{format_date(date)} เป็นวันเสาร์หรือวันอาทิตย์ ซึ่งเป็นวันหยุดอยู่แล้ว / "
                         f"{date.isoformat()} is a {date.strftime('%A')}: Saturdays and Sundays are always days off")
    row = {"actor": scope.username, "date": date, "kind": kind, "name_th": _text(name_th, "ชื่อวันหยุด (ภาษาไทย)", "name_th"),
           "name_en": _text(name_en, "ชื่อวันหยุด (ภาษาอังกฤษ)", "name_en"),
           "source": _text(source, "ที่มา เช่น มติคณะรัฐมนตรี", "source")}
    audit.append(session, CalendarEntryRow, [row])
    return session.scalars(select(CalendarEntryRow).order_by(CalendarEntryRow.id.desc()).limit(1)).one()


def calendar_entries(session: Session, scope: Scope) -> list[CalendarEntryRow]:
    """Every recorded entry, oldest first (the history, including entries since overridden)."""
    scope.require(READ)
    return list(session.scalars(select(CalendarEntryRow).order_by(CalendarEntryRow.id)))


# What a run needs of the recorded entries, oldest first (it reads them with the dataset, in one
# snapshot: data.consistent_snapshot)
CALENDAR_ROWS = select(CalendarEntryRow.date, CalendarEntryRow.kind, CalendarEntryRow.name_th,
                       CalendarEntryRow.name_en, CalendarEntryRow.source).order_by(CalendarEntryRow.id)


def calendar_in_force(session: Session, scope: Scope) -> list[CalendarEntry]:
    """The stored entry in force for each date (the latest), in date order."""
    scope.require(READ)
    return entries_in_force(session.execute(CALENDAR_ROWS))


def entries_in_force(rows: Iterable[tuple[Any, ...]]) -> list[CalendarEntry]:
    """``calendar_in_force`` of ``CALENDAR_ROWS``' rows."""
    latest: dict[dt.date, CalendarEntry] = {}
    for date, kind, name_th, name_en, source in rows:
        latest[date] = CalendarEntry(date, kind, name_th, name_en, source)
    return [e for _, e in sorted(latest.items())]


def government_calendar(session: Session, scope: Scope, folder: Path | None = None) -> GovernmentCalendar:
    """The government calendar of a run: the knowledge base's, then the stored entries (which win)."""
    return knowledge.government_calendar(folder, extra=calendar_in_force(session, scope))


def open_round(session: Session, scope: Scope, fiscal_year_be: int, deadline: dt.date,
               source: str) -> AcknowledgementRoundRow:
    """Open (or correct) the acknowledgement round of a fiscal year for every later run."""
    _require_admin(scope, "open an acknowledgement round")
    if not 2400 <= fiscal_year_be <= 2700:
        raise UsageError(f"ปีงบประมาณต้องเป็นปีพุทธศักราช เช่น 2570 / fiscal year {fiscal_year_be} must be a "
                         "Buddhist-Era year (e.g. 2570)")
    if fiscal_year(deadline) != fiscal_year_be:
        first = dt.date(fiscal_year_be - 544, 10, 1)
        span = f"{format_date(first)} – {format_date(dt.date(fiscal_year_be - 543, 9, 30))}"
        raise UsageError(f"กำหนดส่ง {format_date(deadline)} อยู่ในปีงบประมาณ {fiscal_year(deadline)} ไม่ใช่ "
                         f"{fiscal_year_be} ({span}) / the deadline {deadline.isoformat()} is in fiscal year "
                         f"{fiscal_year(deadline)}, not {fiscal_year_be} ({span})")
    row = {"actor": scope.username, "fiscal_year": fiscal_year_be, "deadline": deadline,
           "source": _text(source, "ที่มา เช่น เลขที่หนังสือของจังหวัด", "source")}
    audit.append(session, AcknowledgementRoundRow, [row])
    return session.scalars(select(AcknowledgementRoundRow).order_by(AcknowledgementRoundRow.id.desc()).limit(1)).one()


def acknowledgement_rounds(session: Session, scope: Scope) -> list[AcknowledgementRoundRow]:
    """Every round opened, oldest first (the history, including corrected deadlines)."""
    scope.require(READ)
    return list(session.scalars(select(AcknowledgementRoundRow).order_by(AcknowledgementRoundRow.id)))


@dataclass(frozen=True)
class StoredRound:
    fiscal_year: int
    deadline: dt.date
    source: str
    actor: str
    at: dt.datetime


def rounds_in_force(session: Session, scope: Scope) -> dict[int, StoredRound]:
    """fiscal year -> the round in force (the latest entry for it)."""
    return {r.fiscal_year: StoredRound(r.fiscal_year, r.deadline, r.source, r.actor, r.at)
            for r in acknowledgement_rounds(session, scope)}


ROUND_ROWS = select(AcknowledgementRoundRow.fiscal_year, AcknowledgementRoundRow.deadline,
                    AcknowledgementRoundRow.source).order_by(AcknowledgementRoundRow.id)


def stored_parameters(session: Session, scope: Scope, kb: KnowledgeBase) -> dict[str, ParamValue]:
    """Parameter values the store adds to the knowledge base's, with their sources (SPEC §3
    resolution: KB → stored rounds → ``--set``): the KB's acknowledgement deadlines with the
    stored rounds over them."""
    scope.require(READ)
    return parameters_of_rounds(session.execute(ROUND_ROWS), kb)


def parameters_of_rounds(rows: Iterable[tuple[Any, ...]], kb: KnowledgeBase) -> dict[str, ParamValue]:
    """``stored_parameters`` of ``ROUND_ROWS``' rows (the latest entry of a fiscal year is in force)."""
    stored: dict[int, tuple[dt.date, str]] = {}
    for fiscal_year_be, deadline, source in rows:
        stored[fiscal_year_be] = (deadline, source)
    if not stored:
        return {}
    p = kb.parameters[ROUNDS_PARAMETER]
    value: dict[int, Any] = {**dict(p.default), **{y: d for y, (d, _) in stored.items()}}  # type: ignore[arg-type]
    th = "; ".join(f"รอบปีงบประมาณ {y}: {source}" for y, (_, source) in sorted(stored.items()))
    en = "; ".join(f"fiscal-year {y} round: {source}" for y, (_, source) in sorted(stored.items()))
    return {ROUNDS_PARAMETER: ParamValue(value, "store", f"{p.source_th}; {th}", f"{p.source_en}; {en}")}
