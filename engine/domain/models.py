"""The dataset exchange format (SPEC §2: v1 with the v2 and v3 additions) as pydantic models.

Each model is one row of one file. How a cell is read (Buddhist-Era dates, Thai digits, Thai
and English booleans) is carried by the annotated types below as a ``Cell`` marker: the loader
applies it column by column (with caches), then pydantic validates the typed row in its core.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, Literal

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass as pydantic_dataclass

from engine.domain.pdpa import check_applicant_id
from engine.domain.thai import DATE_MAX, check_date_range, parse_bool, parse_date, parse_int, to_arabic_digits

_URL = re.compile(r"(https?://)?[^\s/$.?#][^\s]*\.[^\s]+", re.IGNORECASE)
_date_cache: dict[str, dt.date] = {}
_bool_cache: dict[str, bool] = {}

# What the store can hold (engine/store/schema.py builds its columns from these): a value that
# passes validation must import, so the loader refuses what the database would.
ID_MAX_LENGTH = 128        # ids: String(ID_MAX_LENGTH)
USER_NAME_MAX_LENGTH = 64  # user names: String(USER_NAME_MAX_LENGTH)
INT_MAX = 2**31 - 1        # counts and days: INTEGER, 4 bytes in PostgreSQL
NO_LIMIT = sys.maxsize     # text: TEXT, no length limit
# The longest periods a dataset or a parameter may give (standard_days, rotation_years, every
# *_days): the calendar must be able to count them from any date the data may hold (at the
# latest DATE_MAX, 31 December 2200) without passing its own last day, 31 December 9999.
MAX_YEARS = dt.MAXYEAR - DATE_MAX.year  # 7,799: add_years(DATE_MAX, MAX_YEARS) is in 9999
# About 2,700 years; DATE_MAX is 2,848,526 days before the calendar's end, and the n-th working
# day after a date is found by counting 2n + 396 days ahead (GovernmentCalendar._cover).
MAX_DAYS = 1_000_000
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial day 0 of Windows Excel (after its 1900 leap-year bug)


def _cached(cache: dict[str, Any], limit: int, parse: Any, text: str) -> Any:
    """``parse(text)``, remembered: a dataset repeats the same few thousand dates and words."""
    value = cache.get(text)
    if value is None:
        value = parse(text)
        if len(cache) < limit:
            cache[text] = value
    return value


def _as_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return check_date_range(value.date())
    if isinstance(value, dt.date) or value is None:
        return check_date_range(value) if value is not None else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(_serial_date_reason(value) or "a number, not a date; write YYYY-MM-DD or D/M/YYYY")
    text = str(value)
    try:
        return _cached(_date_cache, 200_000, parse_date, text)
    except ValueError:
        digits = text.strip()
        if digits.isdigit() and (reason := _serial_date_reason(int(digits))):
            raise ValueError(reason) from None
        raise


def _serial_date_reason(value: float) -> str | None:
    """Why a number in a date column is refused, when it reads as an Excel serial date."""
    try:
        day = _EXCEL_EPOCH + dt.timedelta(days=int(value))
        check_date_range(day)
    except (ValueError, OverflowError):
        return None
    shown = int(value) if float(value).is_integer() else value
    return (f"an Excel serial date, not a date ({shown} would be {day.isoformat()}): the cell is not formatted "
            "as a date; format the column as a date, or write YYYY-MM-DD")


def _as_bool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    return _cached(_bool_cache, 1000, parse_bool, str(value))


def _as_int(value: Any) -> Any:
    if value is None:
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        value = int(value)
    elif not isinstance(value, int) or isinstance(value, bool):
        value = parse_int(str(value))
    if abs(value) > INT_MAX:
        raise ValueError(f"too large: the largest number the store holds is {INT_MAX:,}")
    return value


def _as_text(value: Any) -> Any:
    if value is None or value.__class__ is str and value and not value[0].isspace() and not value[-1].isspace():
        text = value  # the loader has already stripped it
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip() or None
    if text is not None and "\x00" in text:
        raise ValueError("contains a NUL character (byte 0), which the database cannot store; remove it")
    return text


def _as_id(value: Any) -> Any:
    text = _as_text(value)
    if text is not None and len(text) > ID_MAX_LENGTH:
        raise ValueError(f"{len(text)} characters; an id may have at most {ID_MAX_LENGTH}")
    return text


def _as_applicant_id(value: Any) -> Any:
    """An id that must not be a Thai citizen ID (engine/domain/pdpa.py)."""
    text = _as_id(value)
    return text if text is None else check_applicant_id(text)


def _as_url(value: Any) -> Any:
    text = _as_text(value)
    if text is not None and not _URL.fullmatch(text):
        raise ValueError("not a web address (e.g. https://www.example.go.th/page)")
    return text


def _as_basis(value: Any) -> Any:
    text = _as_text(value)
    if text is None:
        return None
    low = to_arabic_digits(text).lower()
    aliases = {"working": "working", "calendar": "calendar", "วันทำการ": "working", "วันปฏิทิน": "calendar"}
    if low not in aliases:
        raise ValueError("must be 'working' or 'calendar'")
    return aliases[low]


def _non_negative(value: Any) -> Any:
    value = _as_int(value)
    if value is not None and value < 0:
        raise ValueError("must not be negative")
    return value


def check_period(n: int, unit: Literal["days", "years"]) -> int:
    """``n`` when the calendar can count a period of n days (or years) from any date the data may
    hold; else ``ValueError`` naming the limit (``MAX_DAYS``, ``MAX_YEARS``)."""
    limit = MAX_YEARS if unit == "years" else MAX_DAYS
    if n > limit:
        raise ValueError(f"too large: at most {limit:,} {unit}, the longest period the calendar can count from "
                         f"any date the data may hold; its last day is {dt.date.max.isoformat()}")
    return n


def _day_count(value: Any) -> Any:
    value = _non_negative(value)
    return value if value is None else check_period(value, "days")


def _as_percent(value: Any) -> Any:
    value = _as_int(value)
    if value is not None and not 1 <= value <= 100:
        raise ValueError("must be a whole percentage from 1 to 100")
    return value


def _as_applicant_kind(value: Any) -> Any:
    text = _as_text(value)
    if text is None:
        return None
    aliases = {"person": "person", "juristic": "juristic", "บุคคลธรรมดา": "person", "นิติบุคคล": "juristic"}
    kind = aliases.get(text.lower())
    if kind is None:
        raise ValueError("must be 'person' or 'juristic'")
    return kind


def _as_coi_ground(value: Any) -> Any:
    text = _as_text(value)
    if text is None:
        return None
    ground = {"s13": "s13", "s16": "s16", "13": "s13", "16": "s16"}.get(to_arabic_digits(text).lower().replace(" ", ""))
    if ground is None:
        raise ValueError("must be 's13' (Administrative Procedure Act s.13: may not consider the matter at all) or "
                         "'s16' (s.16: another serious circumstance, which the superior decides)")
    return ground


# SPEC §2 v3: the words an outcome is read as (any case, surrounding space ignored); others are kept as
# written and count as neither approved nor denied
OUTCOME_WORDS = {
    "approved": ("approved", "อนุมัติ", "อนุญาต", "ให้ตามคำขอ", "เห็นชอบ"),
    "partial": ("partial", "อนุมัติบางส่วน", "อนุญาตบางส่วน"),
    "denied": ("denied", "refused", "ไม่อนุมัติ", "ไม่อนุญาต", "ยกคำขอ", "ปฏิเสธ"),
}
_OUTCOMES = {word: kind for kind, words in OUTCOME_WORDS.items() for word in words}


def outcome_kind(outcome: str | None) -> str | None:
    """A case's outcome as the rules read it: ``approved`` (the request granted in full),
    ``partial`` or ``denied``; None for an empty outcome or another text (kept as written)."""
    if outcome is None:
        return None
    return _OUTCOMES.get(outcome.strip().lower())


def _as_fiscal_year(value: Any) -> Any:
    value = _as_int(value)
    if value is not None and not 2400 <= value <= 2700:
        raise ValueError("must be a Buddhist-Era fiscal year, e.g. 2568")
    return value


@dataclass(frozen=True)
class Cell:
    """How a raw cell (text, or a native spreadsheet value) becomes the field's value.
    ``text`` marks a parser that leaves an already-stripped string as it is, when it has no
    NUL and is at most ``max_length`` long (the loader skips the call then)."""

    parse: Any
    text: bool = False
    max_length: int = NO_LIMIT


Id = Annotated[str, Cell(_as_id, text=True, max_length=ID_MAX_LENGTH)]
OptId = Annotated[str | None, Cell(_as_id, text=True, max_length=ID_MAX_LENGTH)]
# never skipped as plain text: every distinct value is checked for a citizen ID (pdpa.py)
ApplicantId = Annotated[str | None, Cell(_as_applicant_id)]
Name = Annotated[str, Cell(_as_text, text=True)]  # required text: stored as TEXT, no length limit
Text = Annotated[str | None, Cell(_as_text, text=True)]
Url = Annotated[str | None, Cell(_as_url)]
Date = Annotated[dt.date, Cell(_as_date)]
OptDate = Annotated[dt.date | None, Cell(_as_date)]
Bool = Annotated[bool, Cell(_as_bool)]
OptBool = Annotated[bool | None, Cell(_as_bool)]
Count = Annotated[int, Cell(_non_negative)]
OptCount = Annotated[int | None, Cell(_non_negative)]
OptDays = Annotated[int | None, Cell(_day_count)]
DayBasis = Annotated[Literal["working", "calendar"] | None, Cell(_as_basis)]
Percent = Annotated[int | None, Cell(_as_percent)]
ApplicantKind = Annotated[Literal["person", "juristic"] | None, Cell(_as_applicant_kind)]
FiscalYear = Annotated[int | None, Cell(_as_fiscal_year)]
CoiGround = Annotated[Literal["s13", "s16"] | None, Cell(_as_coi_ground)]

_ROW = ConfigDict(str_strip_whitespace=False, validate_default=False)


def row_model(cls: type) -> type:
    """A frozen, slotted pydantic dataclass: about 200 bytes a case, so a million fit in memory."""
    return pydantic_dataclass(config=_ROW, frozen=True, slots=True)(cls)


@row_model
class Agency:
    agency_id: Id
    name: Name
    serves_public: Bool
    name_en: Text = None
    website: Url = None


@row_model
class Process:
    process_id: Id
    agency_id: Id
    name: Name
    discretionary: Bool
    public_service: Bool
    work_manual: Text = None
    work_manual_reviewed_on: OptDate = None
    citizen_manual_url: Url = None
    citizen_manual_at_office: OptBool = None
    standard_days: OptDays = None
    day_basis: DayBasis = None
    it_system: Text = None
    licensing: OptBool = None
    review_sample_percent: Percent = None
    it_exempt_reason: Text = None
    affects_others: OptBool = None

    @property
    def basis(self) -> str:
        return self.day_basis or "working"


@row_model
class Officer:
    officer_id: Id
    agency_id: Id
    name: Name
    position: Text = None
    supervisor_id: OptId = None
    in_position_since: OptDate = None
    ethics_acknowledged_on: OptDate = None
    rotation_post: OptBool = None


@row_model
class Case:
    case_id: Id
    process_id: Id
    officer_id: Id
    received_on: Date
    discretion_used: Bool
    applicant_id: ApplicantId = None
    decided_on: OptDate = None
    outcome: Text = None
    legal_basis: Text = None
    reviewed_by: OptId = None
    reviewed_on: OptDate = None
    deviation: Text = None
    via_it_system: OptBool = None
    override_reason: Text = None
    applicant_related: OptBool = None
    coi_declared: OptBool = None
    complete_on: OptDate = None
    applicant_kind: ApplicantKind = None
    coi_permitted_by: Text = None
    coi_ground: CoiGround = None
    coi_exception: Text = None

    @property
    def start_on(self) -> dt.date:
        """The day time limits count from: complete_on, else received_on."""
        return self.complete_on or self.received_on


@row_model
class Escalation:
    report_id: Id
    case_id: Id
    reported_by: Id
    reported_to: Id
    reported_on: Date
    investigated_on: OptDate = None
    finding: Text = None
    corrective_action: Text = None


@row_model
class RiskAnalysis:
    agency_id: Id
    analysed_on: Date
    ethics_committee: Bool
    rotation_considered: OptBool = None
    notes: Text = None


@row_model
class MonitoringReport:
    agency_id: Id
    reported_on: Date
    by: OptId = None


@row_model
class Acknowledgement:
    agency_id: Id
    staff_total: Count
    staff_acknowledged: Count
    published_url: Url = None
    reported_on: OptDate = None
    fiscal_year: FiscalYear = None

    @property
    def round(self) -> int:
        """The fiscal year the row belongs to; empty = 2562, the letter's round."""
        return self.fiscal_year or 2562


@row_model
class DelayNotice:
    notice_id: Id
    case_id: Id
    notified_on: Date
    opdc_copied: OptBool = None


@row_model
class ParameterOverride:
    agency_id: Id
    name: Id
    value: Id
    source: Id
    process_id: Text = None
    effective_from: OptDate = None


@dataclass(frozen=True)
class Table:
    """How one file of the exchange format maps to a model."""

    name: str
    model: type
    id_column: str | None
    optional_file: bool
    required: tuple[str, ...]
    columns: tuple[str, ...]
    cells: dict[str, Cell]


def _table(name: str, model: type, id_column: str | None, optional_file: bool = False) -> Table:
    cols = tuple(f.name for f in fields(model))
    required = tuple(f.name for f in fields(model) if _is_required(model, f.name))
    cells = {n: next(m for m in model.__pydantic_fields__[n].metadata if isinstance(m, Cell)) for n in cols}
    return Table(name, model, id_column, optional_file, required, cols, cells)


def _is_required(model: type, name: str) -> bool:
    return model.__pydantic_fields__[name].is_required()


TABLES: tuple[Table, ...] = (
    _table("agencies", Agency, "agency_id"),
    _table("processes", Process, "process_id"),
    _table("officers", Officer, "officer_id"),
    _table("cases", Case, "case_id"),
    _table("escalations", Escalation, "report_id", optional_file=True),
    _table("risk_analyses", RiskAnalysis, None, optional_file=True),
    _table("monitoring_reports", MonitoringReport, None, optional_file=True),
    _table("acknowledgements", Acknowledgement, None, optional_file=True),
    _table("delay_notices", DelayNotice, "notice_id", optional_file=True),
    _table("parameters", ParameterOverride, None, optional_file=True),
)
TABLE_BY_NAME = {t.name: t for t in TABLES}


@dataclass
class Dataset:
    """A validated dataset: every reference resolves, every id is unique."""

    agencies: list[Agency] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    officers: list[Officer] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    risk_analyses: list[RiskAnalysis] = field(default_factory=list)
    monitoring_reports: list[MonitoringReport] = field(default_factory=list)
    acknowledgements: list[Acknowledgement] = field(default_factory=list)
    delay_notices: list[DelayNotice] = field(default_factory=list)
    parameters: list[ParameterOverride] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    # data row number (1 = first row after the header) of each model, per table
    row_numbers: dict[str, Any] = field(default_factory=dict, repr=False)

    def counts(self) -> dict[str, int]:
        return {t.name: len(getattr(self, t.name)) for t in TABLES}
