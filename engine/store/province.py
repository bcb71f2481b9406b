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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.domain.calendar import CalendarEntry, GovernmentCalendar, fiscal_year
from engine.domain.errors import UsageError
from engine.domain.thai import format_date
from engine.kb import knowledge
from engine.kb.knowledge import KnowledgeBase, ParamValue
from engine.store import audit
from engine.store.schema import AcknowledgementRoundRow, AcknowledgementRow, CalendarEntryRow, CaseRow
from engine.store.scope import READ, PermissionDenied, Scope

KINDS = ("add", "remove")
ROUNDS_PARAMETER = "acknowledgement_deadlines"


def require_admin(scope: Scope, what: str) -> None:
    if scope.role != "admin":
        raise PermissionDenied(f"เฉพาะผู้ดูแลระบบเท่านั้น / {scope.username} ({scope.role}) may not {what}: "
                               "administrators only")


def required_text(value: str | None, field_th: str, field_en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise UsageError(f"ต้องระบุ{field_th} / {field_en} is required")
    return text


def add_calendar_entry(session: Session, scope: Scope, date: dt.date, kind: str, name_th: str, name_en: str,
                       source: str) -> CalendarEntryRow:
    """Record a day off (``add``) or a working day (``remove``) for every later run."""
    require_admin(scope, "change the government calendar")
    if kind not in KINDS:
        raise UsageError(f"ประเภทต้องเป็นวันหยุดหรือวันทำการ / kind must be add (a day off) or remove (a working day), "
                         f"not {kind!r}")
    check_date(session, scope, date, "วันที่", "the date")
    if date.weekday() >= 5:
        raise UsageError(f"{format_date(date)} เป็นวันเสาร์หรือวันอาทิตย์ ซึ่งเป็นวันหยุดอยู่แล้ว / "
                         f"{date.isoformat()} is a {date.strftime('%A')}: Saturdays and Sundays are always days off")
    row = {"actor": scope.username, "date": date, "kind": kind, "name_th": required_text(name_th, "ชื่อวันหยุด (ภาษาไทย)", "name_th"),
           "name_en": required_text(name_en, "ชื่อวันหยุด (ภาษาอังกฤษ)", "name_en"),
           "source": required_text(source, "ที่มา เช่น มติคณะรัฐมนตรี", "source")}
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


@dataclass(frozen=True)
class RoundLetter:
    """The province's letter that opens an acknowledgement round (SPEC §5): the form is
    addressed to its signatory (the position the letter is signed in, e.g. ผู้ว่าราชการจังหวัดขอนแก่น)
    and cites its number, date and subject (the subject may be left empty: the form then has a
    blank line for it)."""

    number: str
    date: dt.date
    signatory: str
    subject: str | None = None


def open_round(session: Session, scope: Scope, fiscal_year_be: int, deadline: dt.date,
               source: str, letter: RoundLetter | None = None) -> AcknowledgementRoundRow:
    """Open (or correct, by a later entry for the same fiscal year) the acknowledgement round of a
    fiscal year for every later run. The app and ``rounds add`` always give the ``letter``."""
    require_admin(scope, "open an acknowledgement round")
    if not 2400 <= fiscal_year_be <= 2700:
        raise UsageError(f"ปีงบประมาณต้องเป็นปีพุทธศักราช เช่น 2570 / fiscal year {fiscal_year_be} must be a "
                         "Buddhist-Era year (e.g. 2570)")
    check_fiscal_year(session, scope, fiscal_year_be)
    check_date(session, scope, deadline, "กำหนดส่ง", "the deadline")
    if fiscal_year(deadline) != fiscal_year_be:
        first = dt.date(fiscal_year_be - 544, 10, 1)
        span = f"{format_date(first)} – {format_date(dt.date(fiscal_year_be - 543, 9, 30))}"
        raise UsageError(f"กำหนดส่ง {format_date(deadline)} อยู่ในปีงบประมาณ {fiscal_year(deadline)} ไม่ใช่ "
                         f"{fiscal_year_be} ({span}) / the deadline {deadline.isoformat()} is in fiscal year "
                         f"{fiscal_year(deadline)}, not {fiscal_year_be} ({span})")
    row = {"actor": scope.username, "fiscal_year": fiscal_year_be, "deadline": deadline,
           "source": required_text(source, "ที่มา เช่น เลขที่หนังสือของจังหวัด", "source")}
    if letter is not None:
        check_date(session, scope, letter.date, "วันที่ของหนังสือ", "the letter's date")
        if letter.date > deadline:
            raise UsageError(f"หนังสือลงวันที่ {format_date(letter.date)} หลังกำหนดส่ง {format_date(deadline)} "
                             f"กรุณาตรวจสอบวันที่ / the letter's date {letter.date.isoformat()} is after the deadline "
                             f"{deadline.isoformat()}: check the dates")
        row.update(letter_number=required_text(letter.number, "เลขที่หนังสือของจังหวัด", "the letter's number"),
                   letter_date=letter.date,
                   signatory=required_text(letter.signatory, "ตำแหน่งผู้ลงนามในหนังสือ เช่น ผู้ว่าราชการจังหวัดขอนแก่น",
                                   "the letter's signatory (the position it is signed in)"),
                   subject=(letter.subject or "").strip() or None)
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
    letter: RoundLetter | None = None


def _letter(r: AcknowledgementRoundRow) -> RoundLetter | None:
    if r.letter_number is None and r.letter_date is None and r.signatory is None:
        return None  # a round opened before letters were recorded (0018), or without one
    return RoundLetter(r.letter_number or "", r.letter_date, r.signatory or "", r.subject)  # type: ignore[arg-type]


def rounds_in_force(session: Session, scope: Scope) -> dict[int, StoredRound]:
    """fiscal year -> the round in force (the latest entry for it)."""
    return {r.fiscal_year: StoredRound(r.fiscal_year, r.deadline, r.source, r.actor, r.at, _letter(r))
            for r in acknowledgement_rounds(session, scope)}


@dataclass(frozen=True)
class Round:
    """A fiscal year's acknowledgement round as a document cites it: the deadline in force and
    the letter that set it (None when nobody recorded one), and where they come from."""

    fiscal_year: int
    deadline: dt.date
    source: str
    letter: RoundLetter | None
    origin: str  # "kb" (the seed letter, 2562) | "store" (opened by an administrator)
    through: str | None = None  # the unit the form goes through (the seed letter's owner)


def seed_round(kb: KnowledgeBase | None = None) -> dict[int, Round]:
    """The rounds of the knowledge base: 2562, the seed letter's (SPEC §5: addressed to its
    signatory through the provincial office's human-resources group, which the letter names)."""
    kb = kb or knowledge.load_kb()
    src, p = kb.source, kb.parameters[ROUNDS_PARAMETER]
    out = {}
    for year, deadline in sorted(p.default.items()):  # type: ignore[union-attr]
        letter = RoundLetter(src.letter_no, src.dated, src.signed_by_th, src.subject_th) \
            if year == fiscal_year(src.dated) else None
        out[year] = Round(year, deadline, p.source_th, letter, "kb",
                          SEED_THROUGH if letter is not None else None)
    return out


SEED_THROUGH = "สำนักงานจังหวัดขอนแก่น (กลุ่มงานบริหารทรัพยากรบุคคล)"


def rounds(session: Session, scope: Scope) -> dict[int, Round]:
    """fiscal year -> its round: the knowledge base's, with the stored ones over them (the latest
    entry for a year is in force; a stored round without a letter keeps the seed letter of its
    year, if any: a corrected deadline does not unsay the letter)."""
    out = seed_round()
    for year, r in rounds_in_force(session, scope).items():
        seed = out.get(year)
        letter = r.letter or (seed.letter if seed else None)
        through = seed.through if seed and letter is seed.letter else None
        out[year] = Round(year, r.deadline, r.source, letter, "store", through)
    return dict(sorted(out.items()))


# --- the dates an administrator types: within the years of the data ---------------------------

WINDOW_YEARS = 2


def date_window(session: Session, scope: Scope) -> tuple[dt.date, dt.date]:
    """The dates the province's entries may carry: from 1 January ``WINDOW_YEARS`` years before
    the earliest year of the stored data (cases and acknowledgements) or this year, whichever is
    earlier, to 31 December as many years after the latest. A date outside is a slip of the
    keyboard (a campaign due 1/1/2643), refused before it is stored for good. The years are the
    whole store's (a window, not data: the same for every caller)."""
    from engine.domain.calendar import today

    scope.require(READ)
    now = today()
    low, high = now.year, now.year
    for column in (CaseRow.received_on, CaseRow.decided_on, AcknowledgementRow.reported_on):
        first, last = session.execute(select(func.min(column), func.max(column))).one()
        for day in (first, last):
            if isinstance(day, str):  # SQLite gives an aggregate of dates as text
                day = dt.date.fromisoformat(day[:10])
            if day is not None:
                low, high = min(low, day.year), max(high, day.year)
    return dt.date(low - WINDOW_YEARS, 1, 1), dt.date(high + WINDOW_YEARS, 12, 31)


def _window_text(first: dt.date, last: dt.date) -> tuple[str, str]:
    return (f"{format_date(first)} – {format_date(last)} คือปีของข้อมูลที่มีอยู่ ±{WINDOW_YEARS} ปี",
            f"{first.isoformat()} – {last.isoformat()}, the years of the stored data ±{WINDOW_YEARS}")


def check_date(session: Session, scope: Scope, day: dt.date, what_th: str, what_en: str) -> None:
    """Refuse, in Thai and English, a date outside ``date_window``."""
    first, last = date_window(session, scope)
    if not first <= day <= last:
        th, en = _window_text(first, last)
        raise UsageError(f"{what_th} {format_date(day)} อยู่นอกช่วงที่รับได้ ({th}) กรุณาตรวจสอบปีที่พิมพ์ "
                         f"ยังไม่ได้บันทึก / {what_en} {day.isoformat()} is outside {en}: check the year typed; "
                         "nothing was saved")


def check_fiscal_year(session: Session, scope: Scope, fiscal_year_be: int) -> None:
    """Refuse a fiscal year none of whose days is in ``date_window``."""
    first, last = date_window(session, scope)
    if not fiscal_year(first) <= fiscal_year_be <= fiscal_year(last):
        th, en = _window_text(first, last)
        raise UsageError(f"ปีงบประมาณ {fiscal_year_be} อยู่นอกช่วงที่รับได้ ({th}) กรุณาตรวจสอบปีที่พิมพ์ ยังไม่ได้บันทึก / "
                         f"fiscal year {fiscal_year_be} is outside {en}: check the year typed; nothing was saved")


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
