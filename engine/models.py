"""The dataset exchange format v2 (SPEC §2, v1 with the v2 additions) as pydantic models.

Each model is one row of one file. How a cell is read (Buddhist-Era dates, Thai digits, Thai
and English booleans) is carried by the annotated types below as a ``Cell`` marker: the loader
applies it column by column (with caches), then pydantic validates the typed row in its core.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, Literal

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass as pydantic_dataclass

from .thai import parse_bool, parse_date, parse_int, to_arabic_digits

_URL = re.compile(r"(https?://)?[^\s/$.?#][^\s]*\.[^\s]+", re.IGNORECASE)
_date_cache: dict[str, dt.date] = {}
_bool_cache: dict[str, bool] = {}


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
        return value.date()
    if isinstance(value, dt.date) or value is None:
        return value
    return _cached(_date_cache, 200_000, parse_date, str(value))


def _as_bool(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    return _cached(_bool_cache, 1000, parse_bool, str(value))


def _as_int(value: Any) -> Any:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError("not a whole number")
    return parse_int(str(value))


def _as_text(value: Any) -> Any:
    if value is None or value.__class__ is str and value and not value[0].isspace() and not value[-1].isspace():
        return value  # the loader has already stripped it
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


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


def _as_fiscal_year(value: Any) -> Any:
    value = _as_int(value)
    if value is not None and not 2400 <= value <= 2700:
        raise ValueError("must be a Buddhist-Era fiscal year, e.g. 2568")
    return value


@dataclass(frozen=True)
class Cell:
    """How a raw cell (text, or a native spreadsheet value) becomes the field's value.
    ``text`` marks a parser that leaves an already-stripped string as it is."""

    parse: Any
    text: bool = False


Id = Annotated[str, Cell(_as_text, text=True)]
Text = Annotated[str | None, Cell(_as_text, text=True)]
Url = Annotated[str | None, Cell(_as_url)]
Date = Annotated[dt.date, Cell(_as_date)]
OptDate = Annotated[dt.date | None, Cell(_as_date)]
Bool = Annotated[bool, Cell(_as_bool)]
OptBool = Annotated[bool | None, Cell(_as_bool)]
Count = Annotated[int, Cell(_non_negative)]
OptCount = Annotated[int | None, Cell(_non_negative)]
DayBasis = Annotated[Literal["working", "calendar"] | None, Cell(_as_basis)]
Percent = Annotated[int | None, Cell(_as_percent)]
ApplicantKind = Annotated[Literal["person", "juristic"] | None, Cell(_as_applicant_kind)]
FiscalYear = Annotated[int | None, Cell(_as_fiscal_year)]

_ROW = ConfigDict(str_strip_whitespace=False, validate_default=False)


def row_model(cls: type) -> type:
    """A frozen, slotted pydantic dataclass: about 200 bytes a case, so a million fit in memory."""
    return pydantic_dataclass(config=_ROW, frozen=True, slots=True)(cls)


@row_model
class Agency:
    agency_id: Id
    name: Id
    serves_public: Bool
    name_en: Text = None
    website: Url = None


@row_model
class Process:
    process_id: Id
    agency_id: Id
    name: Id
    discretionary: Bool
    public_service: Bool
    work_manual: Text = None
    work_manual_reviewed_on: OptDate = None
    citizen_manual_url: Url = None
    citizen_manual_at_office: OptBool = None
    standard_days: OptCount = None
    day_basis: DayBasis = None
    it_system: Text = None
    licensing: OptBool = None
    review_sample_percent: Percent = None
    it_exempt_reason: Text = None

    @property
    def basis(self) -> str:
        return self.day_basis or "working"

    @property
    def is_licensing(self) -> bool:
        """Licensing Facilitation Act applies; empty = as public_service (SPEC §2 v2)."""
        return self.public_service if self.licensing is None else self.licensing


@row_model
class Officer:
    officer_id: Id
    agency_id: Id
    name: Id
    position: Text = None
    supervisor_id: Text = None
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
    applicant_id: Text = None
    decided_on: OptDate = None
    outcome: Text = None
    legal_basis: Text = None
    reviewed_by: Text = None
    reviewed_on: OptDate = None
    deviation: Text = None
    via_it_system: OptBool = None
    override_reason: Text = None
    applicant_related: OptBool = None
    coi_declared: OptBool = None
    complete_on: OptDate = None
    applicant_kind: ApplicantKind = None
    coi_permitted_by: Text = None

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
    by: Text = None


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
