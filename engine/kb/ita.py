"""Which ITA item(s) the measures serve in a fiscal year (``kb/ita.yaml``, SPEC §1 and §5): the
NACC renumbers its items every year, so a document or screen names the item of *its* year, or
says that nobody has mapped the year yet, never O48 outside 2562."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from engine.kb.knowledge import load_model
from engine.kb.resources import data_dir

UNMAPPED_TH, UNMAPPED_EN = "ยังไม่ได้กำหนด", "not yet mapped"


class _Year(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fiscal_year: int
    items: str
    indicator: str | None = None
    title_th: str | None = None
    title_en: str | None = None
    source_th: str
    source_en: str


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    years: list[_Year]


@dataclass(frozen=True)
class ItaMapping:
    """The ITA item(s) of one fiscal year; ``items`` None: not yet mapped."""

    fiscal_year: int
    items: str | None = None
    indicator: str | None = None
    title_th: str | None = None
    source: str | None = None
    origin: str | None = None  # "kb" | "store" | None (not mapped)
    actor: str | None = None

    @property
    def mapped(self) -> bool:
        return self.items is not None

    def label(self, lang: str = "th") -> str:
        """``ITA ปีงบประมาณ 2562 ข้อ O48 (ตัวชี้วัดที่ 10.2)`` or ``ข้อการประเมิน ITA ปีงบประมาณ 2570: ยังไม่ได้กำหนด``."""
        if lang == "th":
            if not self.mapped:
                return f"ข้อการประเมิน ITA ปีงบประมาณ {self.fiscal_year}: {UNMAPPED_TH}"
            indicator = f" (ตัวชี้วัดที่ {self.indicator})" if self.indicator else ""
            return f"ITA ปีงบประมาณ {self.fiscal_year} ข้อ {self.items}{indicator}"
        if not self.mapped:
            return f"ITA item of fiscal year {self.fiscal_year}: {UNMAPPED_EN}"
        indicator = f" (indicator {self.indicator})" if self.indicator else ""
        return f"ITA fiscal year {self.fiscal_year}, item {self.items}{indicator}"


@lru_cache(maxsize=4)
def kb_mappings(folder: Path | None = None) -> dict[int, ItaMapping]:
    """fiscal year -> its mapping in ``kb/ita.yaml`` (a duplicate year is a definition error)."""
    from engine.domain.errors import DefinitionError
    from engine.kb.yamlfile import LocatedYaml

    path = (folder or data_dir("kb")) / "ita.yaml"
    years = load_model(_File, path).years
    out: dict[int, ItaMapping] = {}
    for i, y in enumerate(years):
        if y.fiscal_year in out:
            raise DefinitionError([LocatedYaml(path).problem(("years", i, "fiscal_year"),
                                                             f"fiscal year {y.fiscal_year} is listed twice")])
        out[y.fiscal_year] = ItaMapping(y.fiscal_year, y.items, y.indicator, y.title_th, y.source_th, "kb")
    return out
