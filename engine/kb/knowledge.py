"""The knowledge base: measures, guidelines, legal references, parameters, agencies."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from engine.domain.calendar import CalendarEntry, GovernmentCalendar
from engine.domain.errors import DefinitionError, UsageError, did_you_mean
from engine.domain.models import check_period
from engine.domain.thai import parse_date, parse_int
from engine.kb.resources import data_dir
from engine.kb.yamlfile import LocatedYaml

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Typo(BaseModel):
    """A typo of the letter, marked without changing the verbatim text."""

    model_config = _STRICT
    where: str
    text: str
    note_th: str
    note_en: str


class Source(BaseModel):
    model_config = _STRICT
    letter_no: str
    issuer_th: str
    issuer_en: str
    signed_by_th: str
    signed_by_en: str
    dated: dt.date  # the header's date
    dated_annex: dt.date  # the date the annex gives the same letter
    date_note_th: str
    date_note_en: str
    subject_th: str
    subject_en: str
    assessment_th: str
    assessment_en: str
    ita_item: str
    cabinet_resolution: dt.date
    form_th: str
    typos: list[Typo] = []


class LegalReference(BaseModel):
    model_config = _STRICT
    id: str
    title_th: str
    title_en: str
    sections: str
    sections_en: str


ParameterOrigin = Literal["kb", "store", "set", "agency", "process"]
ORIGIN_TEXT = {"kb": ("ค่าในฐานความรู้", "knowledge-base default"),
               "store": ("บันทึกโดยผู้ดูแลระบบ", "recorded by the administrator"), "set": ("กำหนดเฉพาะการประมวลผลครั้งนี้", "set for this run (--set)"),
               "agency": ("คำสั่งของหน่วยงาน", "the agency's order"), "process": ("คำสั่งของหน่วยงานสำหรับกระบวนงานนี้", "the agency's order for this process")}


class Parameter(BaseModel):
    """A number a rule uses, with where it comes from (SPEC §3 "Parameters")."""

    model_config = _STRICT
    type: Literal["int", "date_map"]
    default: int | dict[int, dt.date]
    unit: str
    basis: Literal["working", "calendar", "years", "decisions", "percent", "fiscal_year"]
    overridable: Literal["no", "agency", "process"]
    source_th: str
    source_en: str
    meaning_en: str
    meaning_th: str

    @field_validator("default")
    @classmethod
    def _default_matches_type(cls, value: Any, info: Any) -> Any:
        kind = info.data.get("type")
        if (kind == "date_map") != isinstance(value, dict):
            raise ValueError(f"default {value!r} is not of type {kind}")
        return value

    @model_validator(mode="after")
    def _default_in_range(self) -> Parameter:
        if self.type == "int":
            self.parse(str(self.default))
        return self

    def parse(self, text: str) -> int:
        """A value of an ``int`` parameter written by a person (Thai digits allowed); a number of
        days or years at most what the calendar can count (``models.check_period``)."""
        if self.type != "int":
            raise ValueError("is a map by fiscal year: set one year with NAME.YEAR=DATE")
        value = parse_int(text)
        if value < 0:
            raise ValueError("must not be negative")
        if self.basis in ("working", "calendar"):
            check_period(value, "days")
        elif self.basis == "years":
            check_period(value, "years")
        return value

    def parse_entry(self, key: str, text: str) -> tuple[int, dt.date]:
        """One ``fiscal year -> date`` entry of a ``date_map`` parameter."""
        if self.type != "date_map":
            raise ValueError("is a single number, not a map by fiscal year")
        year = parse_int(key)
        if year < 2400:
            raise ValueError(f"fiscal year {key!r} must be a Buddhist-Era year (e.g. 2570)")
        return year, parse_date(text)

    def amount(self, value: Any, lang: str) -> str:
        """A value of this parameter in words, as people read it: ``7 วันทำการ``, ``730 วัน``,
        ``4 ปี``; a map by fiscal year (evidence keeps it with text keys and ISO dates) as
        ``ปีงบประมาณ 2562: 20 มิ.ย. 2562``, every year in the Buddhist Era.

        >>> load_kb().parameters["review_within_days"].amount(7, "th")
        '7 วันทำการ'
        >>> load_kb().parameters["acknowledgement_deadlines"].amount({"2562": "2019-06-20"}, "th")
        'ปีงบประมาณ 2562: 20 มิ.ย. 2562'
        """
        from engine.domain.thai import format_date

        if isinstance(value, dict):
            days = sorted((int(y), d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)))
                          for y, d in value.items())
            word = "ปีงบประมาณ" if lang == "th" else "fiscal year"
            return "; ".join(f"{word} {y}: {format_date(d, lang)}" for y, d in days)
        th, en = _AMOUNT_UNITS.get(self.basis, (self.unit, self.unit))
        return f"{value} {th if lang == 'th' else en}" if not isinstance(value, bool) else str(value)


_AMOUNT_UNITS = {"working": ("วันทำการ", "working days"), "calendar": ("วัน", "calendar days"),
                 "years": ("ปี", "years"), "decisions": ("ครั้ง", "decisions"), "percent": ("%", "%")}


@dataclass(frozen=True)
class ParamValue:
    """A parameter's value for one subject and where it came from (an agency's order: from
    ``effective_from`` on, when the row gives one)."""

    value: Any
    origin: ParameterOrigin
    source_th: str
    source_en: str
    effective_from: dt.date | None = None

    def evidence(self) -> dict[str, Any]:
        value = ({str(k): v.isoformat() for k, v in sorted(self.value.items())} if isinstance(self.value, dict)
                 else self.value)
        out = {"value": value, "from": self.origin, "source_th": self.source_th, "source_en": self.source_en}
        if self.effective_from is not None:
            out["effective_from"] = self.effective_from.isoformat()
        return out


class ParameterResolver:
    """SPEC §3 resolution, last wins: KB default → ``--set`` → the agency's row in force → the
    process's row in force.

    ``values`` are the run's values (KB defaults with ``--set`` applied); a value that differs
    from the KB default is attributed to ``--set``, unless it is the ``stored`` value (what an
    administrator recorded in the store, e.g. acknowledgement rounds, between KB and ``--set``).
    ``rows`` are the dataset's ``parameters`` rows, already validated by the loader.

    *In force* (v3): a row applies on a reference date when its effective_from is empty or on or
    before that date; of several rows for the same agency (or process) and name in force, the one
    with the latest effective_from applies (an empty effective_from counts as the earliest). An
    order made later does not reach back to judge an earlier decision.
    """

    def __init__(self, kb: KnowledgeBase, values: dict[str, Any], rows: list[Any] = (),
                 stored: dict[str, ParamValue] | None = None):
        self.kb = kb
        self.run: dict[str, ParamValue] = {}
        stored = stored or {}
        for name, p in kb.parameters.items():
            value = values.get(name, p.default)
            origin: ParameterOrigin = "kb" if value == p.default else "set"
            if name in stored and value == stored[name].value:  # recorded in the store (an admin's round)
                self.run[name] = stored[name]
            elif origin == "kb":
                self.run[name] = ParamValue(value, "kb", p.source_th, p.source_en)
            else:
                self.run[name] = ParamValue(value, "set", ORIGIN_TEXT["set"][0], ORIGIN_TEXT["set"][1])
        # per agency (process): per name, its rows as (effective_from, value), earliest first
        self._agency: dict[str, dict[str, list[tuple[dt.date, ParamValue]]]] = {}
        self._process: dict[str, dict[str, list[tuple[dt.date, ParamValue]]]] = {}
        for r in rows:
            value = kb.parameters[r.name].parse(r.value)
            target = self._process.setdefault(r.process_id, {}) if r.process_id else self._agency.setdefault(r.agency_id, {})
            target.setdefault(r.name, []).append((r.effective_from or dt.date.min, ParamValue(
                value, "process" if r.process_id else "agency", r.source, r.source, r.effective_from)))
        for by_name in (*self._agency.values(), *self._process.values()):
            for found in by_name.values():
                found.sort(key=lambda row: row[0])
        self._changes: dict[tuple[str, str | None], list[dt.date]] = {}
        self._cache: dict[tuple[str, str | None, int], dict[str, ParamValue]] = {}
        self._plain: dict[int, tuple[dict[str, ParamValue], dict[str, Any]]] = {}

    def values(self, agency_id: str, process_id: str | None = None, on: dt.date | None = None
               ) -> dict[str, ParamValue]:
        """Every parameter's value for the agency (and, when given, the process) in force on
        ``on`` (None: every row whatever its effective_from — for a dataset without dated rows
        the same). The same dict for the same rows in force, so that callers may key by it."""
        key = (agency_id, process_id)
        changes = self._changes.get(key)
        if changes is None:
            rows = [*self._agency.get(agency_id, {}).values(), *self._process.get(process_id, {}).values()]
            changes = self._changes[key] = sorted({day for found in rows for day, _ in found if day != dt.date.min})
        epoch = len(changes) if on is None else bisect.bisect_right(changes, on)
        out = self._cache.get((agency_id, process_id, epoch))
        if out is None:
            cut = changes[epoch - 1] if epoch else dt.date.min
            out = dict(self.run)
            for scope in (self._agency.get(agency_id, {}), self._process.get(process_id, {}) if process_id else {}):
                for name, found in scope.items():
                    in_force = [pv for day, pv in found if day <= cut]
                    if in_force:
                        out[name] = in_force[-1]
            self._cache[(agency_id, process_id, epoch)] = out
        return out

    def plain(self, params: dict[str, ParamValue]) -> dict[str, Any]:
        """The values of a set of parameters (as ``values`` returns it) without their sources."""
        hit = self._plain.get(id(params))
        if hit is None or hit[0] is not params:  # the set is kept with its values, so its id stays its own
            hit = self._plain[id(params)] = (params, {name: pv.value for name, pv in params.items()})
        return hit[1]

    def record(self) -> dict[str, Any]:
        """What a run records: every run value with its source, and the dataset's overrides (with
        the day each takes effect)."""
        def row(owner: dict[str, Any], name: str, pv: ParamValue) -> dict[str, Any]:
            out = {**owner, "name": name, "value": pv.value, "source": pv.source_th}
            if pv.effective_from is not None:
                out["effective_from"] = pv.effective_from.isoformat()
            return out

        overrides = [row({"agency_id": a, "process_id": None}, n, pv) for a, by_name in sorted(self._agency.items())
                     for n, found in sorted(by_name.items()) for _, pv in found]
        overrides += [row({"process_id": p}, n, pv) for p, by_name in sorted(self._process.items())
                      for n, found in sorted(by_name.items()) for _, pv in found]
        return {"values": {n: v.evidence() for n, v in self.run.items()}, "overrides": overrides}


class CalendarEntryModel(BaseModel):
    model_config = _STRICT
    date: dt.date
    kind: Literal["add", "remove"]
    name_th: str
    name_en: str
    source: str


class CheckedYear(BaseModel):
    """A Buddhist-Era year whose government days off were checked against the cabinet's announcements."""

    model_config = _STRICT
    year: int
    source: str


class CalendarFile(BaseModel):
    model_config = _STRICT
    checked_years: list[CheckedYear] = []
    entries: list[CalendarEntryModel]


class Measure(BaseModel):
    model_config = _STRICT
    id: str
    kind: Literal["measure", "guideline"]
    title_th: str
    title_en: str
    text_th: str
    text_en: str
    excerpt_th: str  # a phrase of text_th that messages quote, the letter's line-wrap spaces removed
    excerpt_en: str
    responsible_en: str


class KnowledgeBase(BaseModel):
    model_config = _STRICT
    version: str
    source: Source
    legal_references: list[LegalReference]
    parameters: dict[str, Parameter]
    measures: list[Measure]

    @field_validator("measures")
    @classmethod
    def _unique_measures(cls, value: list[Measure]) -> list[Measure]:
        ids = [m.id for m in value]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"measure ids must be unique; repeated: {', '.join(dup)}")
        return value

    def measure(self, measure_id: str) -> Measure:
        return next(m for m in self.measures if m.id == measure_id)

    def measure_ids(self) -> list[str]:
        return [m.id for m in self.measures]

    def defaults(self) -> dict[str, Any]:
        return {name: (dict(p.default) if isinstance(p.default, dict) else p.default)
                for name, p in self.parameters.items()}

    def resolve_parameters(self, overrides: list[str] | dict[str, str] | None,
                           base: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults (with ``base`` values over them) with ``NAME=VALUE`` overrides applied; a bad
        one raises ``UsageError``."""
        values = {**self.defaults(), **(base or {})}
        items = overrides.items() if isinstance(overrides, dict) else (_split(o) for o in overrides or [])
        for given, text in items:
            name, _, key = given.partition(".")
            if name not in self.parameters:
                raise UsageError(f"unknown parameter '{name}'{did_you_mean(name, self.parameters)}; "
                                 f"known: {', '.join(self.parameters)}")
            param = self.parameters[name]
            try:
                if param.type == "date_map":
                    if not key:
                        raise ValueError("is a map by fiscal year: set one year with NAME.YEAR=DATE, "
                                         f"e.g. {name}.2570=2026-12-15")
                    year, day = param.parse_entry(key, str(text))
                    values[name] = {**values[name], year: day}
                elif key:
                    raise ValueError("is a single number; write NAME=VALUE")
                else:
                    values[name] = param.parse(str(text))
            except ValueError as exc:
                raise UsageError(f"parameter {given}={text!r}: {exc}") from None
        return values


def _split(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"--set takes NAME=VALUE, got {item!r}")
    return name.strip(), value.strip()


class Agency(BaseModel):
    model_config = _STRICT
    id: str
    annex_no: int
    recipient_th: str
    name: str
    name_en: str
    serves_public: bool


class AgencyList(BaseModel):
    model_config = _STRICT
    agencies: list[Agency]


def load_model(model: type[BaseModel], path: Path) -> Any:
    doc = LocatedYaml(path)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise DefinitionError(doc.problems_from(exc)) from None


@lru_cache(maxsize=4)
def load_kb(folder: Path | None = None) -> KnowledgeBase:
    return load_model(KnowledgeBase, (folder or data_dir("kb")) / "measures.yaml")


@lru_cache(maxsize=4)
def load_calendar_entries(folder: Path | None = None) -> tuple[Any, ...]:
    """The dated corrections of the government calendar in ``kb/calendar.yaml``."""
    entries = load_model(CalendarFile, (folder or data_dir("kb")) / "calendar.yaml").entries
    return tuple(CalendarEntry(e.date, e.kind, e.name_th, e.name_en, e.source) for e in entries)


def government_calendar(folder: Path | None = None, extra: Iterable[CalendarEntry] = ()) -> GovernmentCalendar:
    """The government calendar of ``kb/calendar.yaml`` plus ``extra`` entries (e.g. the days off
    an administrator recorded in the store, which come last and so win for their date), with
    the years ``kb/calendar.yaml`` says were checked."""
    return GovernmentCalendar([*load_calendar_entries(folder), *extra],
                              checked=(c.year for c in checked_years(folder)))


def unchecked_year_warning(year: int) -> str:
    """What a run says of a Buddhist-Era year whose days off it counted but nobody checked."""
    return (f"วันหยุดราชการปี {year} ยังไม่ได้ตรวจสอบกับประกาศของทางราชการ (kb/calendar.yaml) "
            "วันครบกำหนดที่นับผ่านปีนี้อาจคลาดไปหนึ่งวัน ข้อสังเกตยังคงแสดงตามปกติ / "
            f"the government days off of {year} (B.E.) were not checked against the official announcements "
            "(kb/calendar.yaml): deadlines counted through that year may be off by a day; flags are still raised")


@lru_cache(maxsize=4)
def checked_years(folder: Path | None = None) -> tuple[CheckedYear, ...]:
    """The Buddhist-Era years whose days off were checked, with their sources (``kb/calendar.yaml``)."""
    return tuple(load_model(CalendarFile, (folder or data_dir("kb")) / "calendar.yaml").checked_years)


@lru_cache(maxsize=1)
def default_calendar() -> GovernmentCalendar:
    """The government calendar of the installed knowledge base, with no run-time entries."""
    return government_calendar()


@lru_cache(maxsize=4)
def load_agencies(folder: Path | None = None) -> list[Agency]:
    path = (folder or data_dir("kb")) / "agencies.yaml"
    agencies = load_model(AgencyList, path).agencies
    ids = [a.id for a in agencies]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        doc = LocatedYaml(path)
        raise DefinitionError([doc.problem(("agencies", ids.index(d), "id"), f"duplicate agency id '{d}'")
                               for d in dup])
    return agencies
