"""The ITA item(s) of each fiscal year as the store knows them: ``kb/ita.yaml``'s, and those an
administrator recorded (``ita_items``: appended only, hash-chained and keyed like the rounds;
the latest entry for a year is in force, so a mistake is put right by a new entry and the
history stays readable). Only administrators write; everybody logged in reads."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.domain.errors import UsageError
from engine.kb.ita import ItaMapping, kb_mappings
from engine.store import audit
from engine.store.province import require_admin, required_text, check_fiscal_year
from engine.store.schema import ItaItemRow
from engine.store.scope import READ, Scope

# an item code as the NACC's manuals write them: O48, O39, IIT, EIT 9, I1.2
CODE = re.compile(r"[A-Za-z]{1,4} ?\d{0,3}(\.\d{1,2})?")


def record_item(session: Session, scope: Scope, fiscal_year_be: int, items: str, source: str,
                indicator: str | None = None, title_th: str | None = None) -> ItaItemRow:
    """Record (or correct, by a later entry) the ITA item(s) the measures serve in a fiscal year."""
    require_admin(scope, "record an ITA item")
    if not 2400 <= fiscal_year_be <= 2700:
        raise UsageError(f"ปีงบประมาณต้องเป็นปีพุทธศักราช เช่น 2570 / fiscal year {fiscal_year_be} must be a "
                         "Buddhist-Era year (e.g. 2570)")
    check_fiscal_year(session, scope, fiscal_year_be)
    codes = required_text(items, "ข้อการประเมิน ITA เช่น O39, O40", "the ITA item(s), e.g. O39, O40")
    if len(codes) > 200 or not all(CODE.fullmatch(c) for c in re.split(r"\s*,\s*", codes)):
        raise UsageError(f"ข้อการประเมิน \"{codes[:80]}\" ไม่ใช่รหัสข้อของ ITA (เช่น O48 หรือ O39, O40 คั่นด้วยจุลภาค) / "
                         f"{codes[:80]!r} is not a list of ITA item codes (e.g. O48, or O39, O40 separated by commas)")
    row = {"actor": scope.username, "fiscal_year": fiscal_year_be, "items": ", ".join(re.split(r"\s*,\s*", codes)),
           "indicator": (indicator or "").strip() or None, "title_th": (title_th or "").strip() or None,
           "source": required_text(source, "ที่มา เช่น คู่มือการประเมิน ITA ของสำนักงาน ป.ป.ช. ปีนั้น",
                           "source, e.g. the NACC's ITA manual of that year")}
    audit.append(session, ItaItemRow, [row])
    return session.scalars(select(ItaItemRow).order_by(ItaItemRow.id.desc()).limit(1)).one()


def entries(session: Session, scope: Scope) -> list[ItaItemRow]:
    """Every entry recorded, oldest first (the history, including entries since corrected)."""
    scope.require(READ)
    return list(session.scalars(select(ItaItemRow).order_by(ItaItemRow.id)))


def mappings(session: Session, scope: Scope) -> dict[int, ItaMapping]:
    """fiscal year -> its mapping: the knowledge base's, with the stored entries over them."""
    out = dict(kb_mappings())
    for r in entries(session, scope):
        out[r.fiscal_year] = ItaMapping(r.fiscal_year, r.items, r.indicator, r.title_th, r.source, "store", r.actor)
    return dict(sorted(out.items()))


def mapping(session: Session, scope: Scope, fiscal_year_be: int) -> ItaMapping:
    """The year's mapping, or an unmapped one (``ItaMapping.mapped`` false: "ยังไม่ได้กำหนด")."""
    return mappings(session, scope).get(fiscal_year_be) or ItaMapping(fiscal_year_be)
