"""The knowledge base: measures, guidelines, legal references, parameters, agencies."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .errors import DefinitionError, UsageError, did_you_mean
from .resources import data_dir
from .thai import parse_date, parse_int
from .yamlfile import LocatedYaml

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Source(BaseModel):
    model_config = _STRICT
    letter_no: str
    issuer_th: str
    issuer_en: str
    dated: dt.date
    subject_th: str
    subject_en: str
    assessment_th: str
    assessment_en: str
    ita_item: str
    cabinet_resolution: dt.date
    form_th: str


class LegalReference(BaseModel):
    model_config = _STRICT
    id: str
    title_th: str
    title_en: str
    sections: str
    sections_en: str


class Parameter(BaseModel):
    model_config = _STRICT
    type: Literal["int", "date"]
    default: int | dt.date
    unit: str
    meaning_en: str
    meaning_th: str

    @field_validator("default")
    @classmethod
    def _default_matches_type(cls, value: int | dt.date, info: Any) -> int | dt.date:
        kind = info.data.get("type")
        if (kind == "date") != isinstance(value, dt.date):
            raise ValueError(f"default {value!r} is not of type {kind}")
        return value

    def parse(self, text: str) -> int | dt.date:
        if self.type == "date":
            return parse_date(text)
        value = parse_int(text)
        if value < 0:
            raise ValueError("must not be negative")
        return value


class Measure(BaseModel):
    model_config = _STRICT
    id: str
    kind: Literal["measure", "guideline"]
    title_th: str
    title_en: str
    text_th: str
    text_en: str
    excerpt_th: str  # a verbatim phrase of text_th that messages quote
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
        return {name: p.default for name, p in self.parameters.items()}

    def resolve_parameters(self, overrides: list[str] | dict[str, str] | None) -> dict[str, Any]:
        """Defaults with ``NAME=VALUE`` overrides applied; a bad one raises ``UsageError``."""
        values = self.defaults()
        items = overrides.items() if isinstance(overrides, dict) else (_split(o) for o in overrides or [])
        for name, text in items:
            if name not in self.parameters:
                raise UsageError(f"unknown parameter '{name}'{did_you_mean(name, self.parameters)}; "
                                 f"known: {', '.join(self.parameters)}")
            try:
                values[name] = self.parameters[name].parse(str(text))
            except ValueError as exc:
                raise UsageError(f"parameter {name}={text!r}: {exc}") from None
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
