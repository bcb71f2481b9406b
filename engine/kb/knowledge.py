"""The knowledge base: measures, guidelines, legal references, parameters, agencies."""

from __future__ import annotations

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
               "store": ("บันทึกโดยผู้ดูแลระบบ", "recorded by the administrator"), "set": ("กำหนดในการประมวลผลครั้งนี้ (--set)", "set for this run (--set)"),
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


@dataclass(frozen=True)
class ParamValue:
    """A parameter's value for one subject and where it came from."""

    value: Any
    origin: ParameterOrigin
    source_th: str
    source_en: str

    def evidence(self) -> dict[str, Any]:
        value = ({str(k): v.isoformat() for k, v in sorted(self.value.items())} if isinstance(self.value, dict)
                 else self.value)
        return {"value": value, "from": self.origin, "source_th": self.source_th, "source_en": self.source_en}


class ParameterResolver:
    """SPEC §3 resolution, last wins: KB default → ``--set`` → agency row → process row.

    ``values`` are the run's values (KB defaults with ``--set`` applied); a value that differs
    from the KB default is attributed to ``--set``, unless it is the ``stored`` value (what an
    administrator recorded in the store, e.g. acknowledgement rounds, between KB and ``--set``). ``rows`` are the dataset's ``parameters``
    rows, already validated by the loader.
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
        self._agency: dict[str, dict[str, ParamValue]] = {}
        self._process: dict[str, dict[str, ParamValue]] = {}
        for r in rows:
            value = kb.parameters[r.name].parse(r.value)
            target = self._process.setdefault(r.process_id, {}) if r.process_id else self._agency.setdefault(r.agency_id, {})
            target[r.name] = ParamValue(value, "process" if r.process_id else "agency", r.source, r.source)
        self._cache: dict[tuple[str, str | None], dict[str, ParamValue]] = {}
        self._plain: dict[int, tuple[dict[str, ParamValue], dict[str, Any]]] = {}

    def values(self, agency_id: str, process_id: str | None = None) -> dict[str, ParamValue]:
        """Every parameter's value for the agency (and, when given, the process)."""
        key = (agency_id, process_id)
        out = self._cache.get(key)
        if out is None:
            out = {**self.run, **self._agency.get(agency_id, {})}
            if process_id is not None:
                out.update(self._process.get(process_id, {}))
            self._cache[key] = out
        return out

    def plain(self, params: dict[str, ParamValue]) -> dict[str, Any]:
        """The values of a set of parameters (as ``values`` returns it) without their sources."""
        hit = self._plain.get(id(params))
        if hit is None or hit[0] is not params:  # the set is kept with its values, so its id stays its own
            hit = self._plain[id(params)] = (params, {name: pv.value for name, pv in params.items()})
        return hit[1]

    def record(self) -> dict[str, Any]:
        """What a run records: every run value with its source, and the dataset's overrides."""
        overrides = [{"agency_id": a, "process_id": None, "name": n, "value": v.value, "source": v.source_th}
                     for a, vals in sorted(self._agency.items()) for n, v in sorted(vals.items())]
        overrides += [{"process_id": p, "name": n, "value": v.value, "source": v.source_th}
                      for p, vals in sorted(self._process.items()) for n, v in sorted(vals.items())]
        return {"values": {n: v.evidence() for n, v in self.run.items()}, "overrides": overrides}


class CalendarEntryModel(BaseModel):
    model_config = _STRICT
    date: dt.date
    kind: Literal["add", "remove"]
    name_th: str
    name_en: str
    source: str


class CalendarFile(BaseModel):
    model_config = _STRICT
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


def _load(model: type[BaseModel], path: Path) -> Any:
    doc = LocatedYaml(path)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise DefinitionError(doc.problems_from(exc)) from None


@lru_cache(maxsize=4)
def load_kb(folder: Path | None = None) -> KnowledgeBase:
    return _load(KnowledgeBase, (folder or data_dir("kb")) / "measures.yaml")


@lru_cache(maxsize=4)
def load_calendar_entries(folder: Path | None = None) -> tuple[Any, ...]:
    """The dated corrections of the government calendar in ``kb/calendar.yaml``."""
    entries = _load(CalendarFile, (folder or data_dir("kb")) / "calendar.yaml").entries
    return tuple(CalendarEntry(e.date, e.kind, e.name_th, e.name_en, e.source) for e in entries)


def government_calendar(folder: Path | None = None, extra: Iterable[CalendarEntry] = ()) -> GovernmentCalendar:
    """The government calendar of ``kb/calendar.yaml`` plus ``extra`` entries (e.g. the days off
    an administrator recorded in the store, which come last and so win for their date)."""
    return GovernmentCalendar([*load_calendar_entries(folder), *extra])


@lru_cache(maxsize=1)
def default_calendar() -> GovernmentCalendar:
    """The government calendar of the installed knowledge base, with no run-time entries."""
    return government_calendar()


@lru_cache(maxsize=4)
def load_agencies(folder: Path | None = None) -> list[Agency]:
    path = (folder or data_dir("kb")) / "agencies.yaml"
    agencies = _load(AgencyList, path).agencies
    ids = [a.id for a in agencies]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        doc = LocatedYaml(path)
        raise DefinitionError([doc.problem(("agencies", ids.index(d), "id"), f"duplicate agency id '{d}'")
                               for d in dup])
    return agencies
