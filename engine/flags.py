"""Flags: what a rule found about one subject, explained in Thai and English.

Rendering only: which subjects are flagged is decided by the rules engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

import orjson

from .facts import Fact
from .kb import KnowledgeBase, ParamValue
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

    @classmethod
    def from_row(cls, row: FlagRow) -> Flag:
        return cls(**orjson.loads(row[7]))

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
        return ", ".join(str(_display(v, lang)) for v in value) or ("ไม่มี" if lang == "th" else "none")
    return value


class _Context:
    """Template values, looked up in order: the flag's own (id, rule, as_of …), the fact's
    phrases, its parameter values, then its details (``_x``), then its attributes; a detail
    that does not apply (no analysis yet, say) reads as None. Nothing is copied per flag."""

    __slots__ = ("own", "phrases", "values", "fact")

    def __init__(self, own: dict[str, Any], phrases: dict[str, Any], values: dict[str, Any], fact: Fact):
        self.own, self.phrases, self.values, self.fact = own, phrases, values, fact

    def __getitem__(self, key: str) -> Any:
        for layer in (self.own, self.phrases, self.values):
            if key in layer:
                return layer[key]
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


def _dates(items: list[Any], lang: str) -> str:
    return ", ".join(format_date(d, lang) for d in items) or ("ไม่มี" if lang == "th" else "none")


def _phrases(fact: Fact) -> dict[str, Any]:
    """Wording that depends on the facts (both languages), for the message templates."""
    kind = fact["_type"]
    out: dict[str, Any] = {}
    if kind == "case":
        out["start_on"] = fact["_complete_on"] or fact["_received_on"]
        counted = fact.get("_elapsed_on")
        if counted is not None:
            calendar, start, end, basis = counted
            out["elapsed"] = calendar.elapsed(start, end, basis)
        out["basis_th"] = "วันทำการ" if fact["_day_basis"] == "working" else "วัน"
        out["basis_en"] = "working days" if fact["_day_basis"] == "working" else "calendar days"
        if fact.get("decided"):
            out["status_th"] = f"พิจารณาเมื่อ {format_date(fact['_decided_on'], 'th')}"
            out["status_en"] = f"and decided on {format_date(fact['_decided_on'], 'en')}"
        else:
            out["status_th"], out["status_en"] = "ยังพิจารณาไม่แล้วเสร็จ", "and still pending"
        outside = fact.get("_outside", [])
        out["outside"] = [{"report_id": r, "reported_by": b, "reported_to": t, "direct_supervisor": s}
                          for r, b, t, s in outside]
        out["outside_th"] = "; ".join(f"{r} จาก {b} ถึง {t} (ผู้บังคับบัญชาโดยตรง: {s})" for r, b, t, s in outside)
        out["outside_en"] = "; ".join(f"{r} from {b} to {t} (direct supervisor: {s})" for r, b, t, s in outside)
        late = fact.get("_late_investigations", [])
        out["late_investigations"] = [{"report_id": r, "reported_on": on, "due": due, "investigated_on": closed}
                                      for r, on, due, closed in late]
        out["late_th"] = "; ".join(
            f"รายงาน {r} ลงวันที่ {format_date(on, 'th')} กำหนดหาข้อเท็จจริงภายใน {format_date(due, 'th')} "
            + (f"หาข้อเท็จจริงเมื่อ {format_date(closed, 'th')}" if closed else "ยังไม่ได้หาข้อเท็จจริง")
            for r, on, due, closed in late)
        out["late_en"] = "; ".join(
            f"report {r} of {format_date(on, 'en')}, due by {format_date(due, 'en')}, "
            + (f"investigated on {format_date(closed, 'en')}" if closed else "still not investigated")
            for r, on, due, closed in late)
        without = fact.get("_without_finding", [])
        out["without_finding"] = [{"report_id": r, "investigated_on": on, "finding": f_, "corrective_action": c}
                                  for r, on, f_, c in without]
        missing_th = {(False, False): "ผลและแนวทางแก้ไข", (True, False): "แนวทางแก้ไข", (False, True): "ผลการหาข้อเท็จจริง"}
        missing_en = {(False, False): "finding and corrective action", (True, False): "corrective action",
                      (False, True): "finding"}
        out["without_th"] = "; ".join(f"รายงาน {r} (หาข้อเท็จจริงเมื่อ {format_date(on, 'th')}) ไม่บันทึก{missing_th[(f_, c)]}"
                                      for r, on, f_, c in without)
        out["without_en"] = "; ".join(f"report {r} (investigated on {format_date(on, 'en')}) has no {missing_en[(f_, c)]}"
                                      for r, on, f_, c in without)
        declared, permitted = fact.get("coi_declared"), fact.get("_coi_permitted_by")
        if not declared:
            out["coi_th"], out["coi_en"] = "ไม่ได้แจ้งส่วนได้เสีย", "not declared"
        elif permitted is None:
            out["coi_th"] = ("แจ้งส่วนได้เสียแล้วแต่ยังพิจารณาเอง โดยไม่มีผู้บังคับบัญชาสั่งให้ดำเนินการต่อ "
                             "(พระราชบัญญัติวิธีปฏิบัติราชการทางปกครองฯ มาตรา ๑๖)")
            out["coi_en"] = ("declared, yet decided the case with no superior's order to go on "
                             "(Administrative Procedure Act s.16)")
        else:
            out["coi_th"] = (f"แจ้งส่วนได้เสียแล้ว ผู้สั่งให้ดำเนินการต่อ ({permitted}) ไม่อยู่ในสายการบังคับบัญชาของผู้พิจารณา "
                             "(พระราชบัญญัติวิธีปฏิบัติราชการทางปกครองฯ มาตรา ๑๖)")
            out["coi_en"] = (f"declared; the official who ordered them to go on ({permitted}) is not in their chain "
                             "of command (Administrative Procedure Act s.16)")
        out["notices"] = fact.get("_notices", [])
        out["notices_not_copied_ids"] = fact.get("_notices_not_copied", [])
    elif kind == "process":
        missing_th, missing_en = [], []
        if not fact.get("has_citizen_manual_url"):
            missing_th.append("ไม่ได้เผยแพร่บนเว็บไซต์")
            missing_en.append("is not published on the website")
        if not fact.get("citizen_manual_at_office"):
            missing_th.append("ไม่ได้ปิดประกาศ ณ ที่ทำการ")
            missing_en.append("is not posted at the office")
        out["published_th"], out["published_en"] = " และ".join(missing_th), " and ".join(missing_en)
        reviewed = fact.get("_manual_reviewed_on")
        if reviewed is None:
            out["manual_review_th"], out["manual_review_en"] = "ไม่ได้รับการทบทวน", "has no review on record"
        else:
            out["manual_review_th"] = f"ทบทวนล่าสุดเมื่อ {format_date(reviewed, 'th')} เกินรอบการทบทวน"
            out["manual_review_en"] = f"was last reviewed on {format_date(reviewed, 'en')}, longer ago than allowed"
        out["latest_case_ids"] = fact.get("_latest_case_ids", [])
        out["sample_percent"] = fact.get("_sample_percent")
        out["sample_size"] = fact.get("_sample_size")
        out["sample_reviewed"] = fact.get("_sample_reviewed")
    elif kind == "agency":
        out["staff"] = [f"{a}/{t}" for a, t in fact.get("_staff", [])]
        first = fact.get("_first_reported_on")
        out["first_reported_on_date"] = first
        out["round"], out["round_deadline"] = fact.get("_round"), fact.get("_round_deadline")
        if first is None:
            out["reported_th"], out["reported_en"] = "ยังไม่ได้รายงานการรับทราบมาตรการ", "has not reported acknowledgement of the measures"
        else:
            out["reported_th"] = f"รายงานการรับทราบมาตรการเมื่อ {format_date(first, 'th')} ล่าช้ากว่ากำหนด"
            out["reported_en"] = f"reported acknowledgement on {format_date(first, 'en')}, after the deadline"
    return out


_UNIT = {"working": ("วันทำการ", "working days"), "calendar": ("วัน", "calendar days"), "years": ("ปี", "years"),
         "decisions": ("ครั้ง", "decisions"), "percent": ("%", "%")}


def limit_text(name: str, pv: ParamValue, kb: KnowledgeBase, lang: str, fact: Fact) -> str:
    """A parameter as a reader sees it: what it requires, its value and basis, and its source."""
    p = kb.parameters[name]
    source = pv.source_th if lang == "th" else pv.source_en
    if p.type == "date_map":
        r, d = fact.get("_round"), fact.get("_round_deadline")
        if lang == "th":
            return f"กำหนดส่งแบบรายงานของรอบปีงบประมาณ {r} ภายใน {format_date(d, 'th')} (ที่มา: {source})"
        return f"the fiscal-year {r} round's form was due by {format_date(d, 'en')} (source: {source})"
    value = pv.value
    unit_th, unit_en = _UNIT[p.basis]
    if p.basis == "calendar" and value and value % 365 == 0:  # a whole number of years reads as years
        years = value // 365
        shown_th, shown_en = f"{years} ปี ({value} วัน)", f"{years} year{'s' if years > 1 else ''} ({value} days)"
    else:
        shown_th, shown_en = f"{value} {unit_th}", f"{value} {unit_en}"
    if lang == "th":
        return f"เกณฑ์: {p.meaning_th} {shown_th} (ที่มา: {source})"
    return f"limit: {name} = {shown_en} (source: {source})"


def _context(rule: Rule, fact: Fact, as_of: dt.date, values: dict[str, Any] | None = None) -> _Context:
    phrases = fact.get("__phrases")
    if phrases is None:  # a fact with several flags words its phrases once
        phrases = fact["__phrases"] = _phrases(fact)
    if values is None:
        values = {name: pv.value for name, pv in fact["_params"].items()}
    own = {"as_of": as_of, "measure": rule.measure, "rule_id": rule.rule_id, "id": fact["_id"],
           "agency": fact["_agency"]}
    return _Context(own, phrases, values, fact)


def _evidence_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_evidence_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _evidence_value(v) for k, v in value.items()}
    return value


# A flag as the evaluation's workers hand it over: what orders and counts it, and the flag
# itself as its line of JSON (rendered and serialised once, in the worker; written as it is).
FlagRow = tuple[str, str, str, str, str, str, str, bytes]  # (agency_id, measure, rule_id, subject_type,
#                                                            subject_id, applicant or "", severity, JSON)
# the order flags are written in: agency, measure, rule, subject, applicant
row_sort_key = itemgetter(0, 1, 2, 3, 4, 5)


class FlagRenderer:
    """Builds the flags of one evaluation (one ``as_of``): what repeats from flag to flag (a
    rule's citation, the limits a parameter set reads as) is worded once."""

    def __init__(self, kb: KnowledgeBase, as_of: dt.date):
        self.kb, self.as_of, self.as_of_text = kb, as_of, as_of.isoformat()
        self._suffix: dict[tuple[Any, ...], tuple[str, str, dict[str, Any]]] = {}
        # a parameter set's plain values, by the set's id (the set is kept, so its id stays its own)
        self._values: dict[int, tuple[dict[str, ParamValue], dict[str, Any]]] = {}

    def _plain(self, params: dict[str, ParamValue]) -> dict[str, Any]:
        hit = self._values.get(id(params))
        if hit is None or hit[0] is not params:
            hit = self._values[id(params)] = (params, {name: pv.value for name, pv in params.items()})
        return hit[1]

    def _suffixes(self, rule: Rule, used: dict[str, ParamValue], fact: Fact) -> tuple[str, str, dict[str, Any]]:
        """The limits and the citation after each message, and the parameters' evidence."""
        date_map = any(self.kb.parameters[n].type == "date_map" for n in used)
        key = None if date_map else (rule.rule_id, *map(id, used.values()))  # the resolver keeps each value alive
        out = self._suffix.get(key) if key is not None else None
        if out is None:
            kb = self.kb
            measure = kb.measure(rule.measure)
            word_th, word_en = ("มาตรการข้อ", "measure") if measure.kind == "measure" else ("แนวทางข้อ", "guideline")
            limits_th = "".join(f"; {limit_text(n, pv, kb, 'th', fact)}" for n, pv in used.items())
            limits_en = "".join(f"; {limit_text(n, pv, kb, 'en', fact)}" for n, pv in used.items())
            cite_th = f" ({word_th} {rule.measure} \u201c{measure.excerpt_th}\u201d)"
            cite_en = f" ({word_en} {rule.measure}: \u201c{measure.excerpt_en}\u201d)"
            evidence: dict[str, Any] = {name: _evidence_value(pv.value) for name, pv in used.items()}
            if used:
                evidence["parameters"] = {name: _evidence_value(pv.evidence()) for name, pv in used.items()}
            out = (limits_th + cite_th, limits_en + cite_en + ".", evidence)
            if key is not None:
                self._suffix[key] = out
        return out

    def row(self, rule: Rule, severity: str, fact: Fact) -> FlagRow:
        """The flag of one rule on one fact (the fact carries its own parameter values)."""
        ctx = _context(rule, fact, self.as_of, self._plain(fact["_params"]))
        evidence = {name: ctx[name] for name in rule.evidence}
        used: dict[str, ParamValue] = {name: fact["_params"][name] for name in rule.parameters}
        suffix_th, suffix_en, param_evidence = self._suffixes(rule, used, fact)
        evidence.update(param_evidence)
        applicant = fact.get("_applicant")
        if applicant is not None:
            evidence["applicant"] = applicant
        flag = {
            "flag_id": make_flag_id(rule.rule_id, rule.subject, fact["_id"], applicant), "rule_id": rule.rule_id,
            "measure": rule.measure, "severity": severity, "subject_type": rule.subject, "subject_id": fact["_id"],
            "agency_id": fact["_agency"], "as_of": self.as_of_text,
            "message_th": _render(rule.message_th, ctx, "th") + suffix_th,
            # the sentence's full stop moves after the limits and the citation
            "message_en": _render(rule.message_en, ctx, "en").rstrip(".") + suffix_en,
            "evidence": evidence,
        }
        return (fact["_agency"], rule.measure, rule.rule_id, rule.subject, fact["_id"], applicant or "", severity,
                orjson.dumps(flag, option=orjson.OPT_NON_STR_KEYS))


def build_flag(rule: Rule, severity: str, fact: Fact, as_of: dt.date, kb: KnowledgeBase) -> Flag:
    """One flag, on its own (evaluations use a ``FlagRenderer`` for many)."""
    return Flag.from_row(FlagRenderer(kb, as_of).row(rule, severity, fact))
