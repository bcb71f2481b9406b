"""Flags: what a rule found about one subject, explained in Thai and English.

Rendering only: which subjects are flagged is decided by the rules engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from .facts import Fact
from .kb import KnowledgeBase
from .rules import Rule
from .thai import format_date


@dataclass(frozen=True)
class Flag:
    flag_id: str
    rule_id: str
    measure: str
    severity: str
    subject_type: str
    subject_id: str
    agency_id: str
    as_of: str
    message_th: str
    message_en: str
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule_id, self.subject_type, self.subject_id, str(self.evidence.get("applicant") or ""))


def make_flag_id(rule_id: str, subject_type: str, subject_id: str, applicant: str | None = None) -> str:
    """Stable across runs for the same rule and subject (and applicant, for repeat-applicant)."""
    key = "\x1f".join([rule_id, subject_type, subject_id, applicant or ""])
    return "F" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


_DATE_SPEC = re.compile(r"\{(\w+):date\}")
_ABSENT = object()


@lru_cache(maxsize=512)
def _template(text: str) -> str:
    """A message template for ``str.format_map``: ``{x:date}`` becomes ``{x}`` because the
    mapping below formats every value (dates in the Buddhist Era for Thai) itself."""
    return _DATE_SPEC.sub(r"{\1}", text)


def _display(value: Any, lang: str) -> Any:
    if isinstance(value, dt.date):
        return format_date(value, lang)
    if value is None:
        return "ไม่มี" if lang == "th" else "none"
    if isinstance(value, bool):
        return ("ใช่" if value else "ไม่ใช่") if lang == "th" else ("yes" if value else "no")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


class _Context(dict):
    """Template values: set ones first, then the fact's details (``_x``), then its attributes;
    a detail that does not apply (no analysis yet, say) reads as None."""

    def __init__(self, fact: Fact, values: dict[str, Any]):
        super().__init__(values)
        self.fact = fact

    def __missing__(self, key: str) -> Any:
        value = self.fact.get("_" + key, _ABSENT)
        return self.fact.get(key) if value is _ABSENT else value


class _InLanguage:
    """A read-only view of a context that formats each value for one language."""

    __slots__ = ("ctx", "lang")

    def __init__(self, ctx: _Context, lang: str):
        self.ctx, self.lang = ctx, lang

    def __getitem__(self, key: str) -> Any:
        return _display(self.ctx[key], self.lang)


def _render(template: str, ctx: _Context, lang: str) -> str:
    return " ".join(_template(template).format_map(_InLanguage(ctx, lang)).split())


def _phrases(fact: Fact) -> dict[str, Any]:
    """Wording that depends on the facts (both languages), for the message templates."""
    kind = fact["_type"]
    out: dict[str, Any] = {}
    if kind == "case":
        dev = fact.get("_deviation")
        if fact.get("decided") and dev:
            out["deviation_th"], out["deviation_en"] = f"บันทึกว่า: {dev}", f"recorded: {dev}"
        else:
            basis_th = "วันทำการ" if fact["_day_basis"] == "working" else "วัน"
            out["deviation_th"] = f"เกินระยะเวลา {fact.get('_standard_days')} {basis_th}"
            out["deviation_en"] = f"over the time limit of {fact.get('_standard_days')} {fact['_day_basis']} days"
        out["basis_th"] = "วันทำการ" if fact["_day_basis"] == "working" else "วัน"
        out["basis_en"] = "working days" if fact["_day_basis"] == "working" else "calendar days"
        if fact.get("decided"):
            out["status_th"] = f"วินิจฉัยเมื่อ {format_date(fact['_decided_on'], 'th')}"
            out["status_en"] = f"and decided on {format_date(fact['_decided_on'], 'en')}"
        else:
            out["status_th"], out["status_en"] = "ยังไม่แล้วเสร็จ", "and still pending"
        outside = fact.get("_outside", [])
        out["outside"] = [{"report_id": r, "reported_by": b, "reported_to": t, "direct_supervisor": s}
                          for r, b, t, s in outside]
        out["outside_th"] = "; ".join(f"{r} จาก {b} ถึง {t} (ผู้บังคับบัญชาโดยตรง: {s or 'ไม่มี'})" for r, b, t, s in outside)
        out["outside_en"] = "; ".join(f"{r} from {b} to {t} (direct supervisor: {s or 'none'})" for r, b, t, s in outside)
        inv = fact.get("_investigation")
        if inv:
            report, reported_on, closed = inv
            out["investigation_report"], out["investigation_reported_on"], out["investigated_on"] = report, reported_on, closed
            if closed is None:
                out["investigation_th"], out["investigation_en"] = "ยังไม่ได้หาข้อเท็จจริง", "is still not investigated"
            else:
                out["investigation_th"] = f"หาข้อเท็จจริงเมื่อ {format_date(closed, 'th')}"
                out["investigation_en"] = f"was investigated on {format_date(closed, 'en')}"
        declared = fact.get("coi_declared")
        out["coi_th"] = "แจ้งส่วนได้เสียแล้วแต่ยังพิจารณาเอง" if declared else "ไม่ได้แจ้งส่วนได้เสีย"
        out["coi_en"] = "declared, yet decided the case" if declared else "not declared"
    elif kind == "process":
        missing_th, missing_en = [], []
        if not fact.get("has_citizen_manual_url"):
            missing_th.append("ไม่ได้เผยแพร่บนเว็บไซต์")
            missing_en.append("is not published on the website")
        if not fact.get("citizen_manual_at_office"):
            missing_th.append("ไม่ได้แสดง ณ ที่ทำการ")
            missing_en.append("is not displayed at the office")
        out["published_th"], out["published_en"] = " และ".join(missing_th), " and ".join(missing_en)
        reviewed = fact.get("_manual_reviewed_on")
        if reviewed is None:
            out["manual_review_th"], out["manual_review_en"] = "ยังไม่มีการทบทวน", "has no review on record"
        else:
            out["manual_review_th"] = f"ทบทวนล่าสุดเมื่อ {format_date(reviewed, 'th')}"
            out["manual_review_en"] = f"was last reviewed on {format_date(reviewed, 'en')}"
    elif kind == "agency":
        out["staff"] = [f"{a}/{t}" for a, t in fact.get("_staff", [])]
        first = fact.get("_first_reported_on")
        out["first_reported_on_date"] = first
        if first is None:
            out["reported_th"], out["reported_en"] = "ยังไม่ได้รายงานการรับทราบมาตรการ", "has not reported acknowledgement of the measures"
        else:
            out["reported_th"] = f"รายงานการรับทราบมาตรการเมื่อ {format_date(first, 'th')} ล่าช้ากว่ากำหนด"
            out["reported_en"] = f"reported acknowledgement on {format_date(first, 'en')}, after the deadline"
    return out


def _context(rule: Rule, fact: Fact, params: dict[str, Any], as_of: dt.date) -> _Context:
    values = dict(params)
    values.update(_phrases(fact))
    values.update({"as_of": as_of, "measure": rule.measure, "rule_id": rule.rule_id, "id": fact["_id"],
                   "agency": fact["_agency"]})
    return _Context(fact, values)


def _evidence_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_evidence_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _evidence_value(v) for k, v in value.items()}
    return value


def build_flag(rule: Rule, severity: str, fact: Fact, params: dict[str, Any], as_of: dt.date,
               kb: KnowledgeBase) -> Flag:
    ctx = _context(rule, fact, params, as_of)
    evidence = {name: _evidence_value(ctx[name]) for name in rule.evidence}
    evidence.update({name: _evidence_value(params[name]) for name in rule.parameters})
    applicant = fact.get("_applicant")
    if applicant is not None:
        evidence["applicant"] = applicant
    measure = kb.measure(rule.measure)
    cite_th = f" (มาตรการข้อ {rule.measure} \u201c{measure.excerpt_th}\u201d)"
    cite_en = f" (measure {rule.measure}: \u201c{measure.excerpt_en}\u201d)"
    return Flag(
        flag_id=make_flag_id(rule.rule_id, rule.subject, fact["_id"], applicant),
        rule_id=rule.rule_id,
        measure=rule.measure,
        severity=severity,
        subject_type=rule.subject,
        subject_id=fact["_id"],
        agency_id=fact["_agency"],
        as_of=as_of.isoformat(),
        message_th=_render(rule.message_th, ctx, "th") + cite_th,
        message_en=_render(rule.message_en, ctx, "en") + cite_en,
        evidence=evidence,
    )
