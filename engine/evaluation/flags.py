"""Flags: what a rule found about one subject, explained in Thai and English.

Rendering only: which subjects are flagged is decided by the rules engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

import orjson

from engine.domain.thai import format_date
from engine.kb.knowledge import KnowledgeBase, ParamValue
from engine.rules.catalogue import Rule
from engine.rules.facts import Fact


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
        return cls(**orjson.loads(row[ROW_LINE]))

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.rule_id, self.subject_type, self.subject_id, str(self.evidence.get("applicant") or ""))


def make_flag_id(rule_id: str, subject_type: str, subject_id: str, applicant: str | None = None) -> str:
    """Stable across runs for the same rule and subject (and applicant, for repeat-applicant):
    ``"F"`` and 20 hex digits of SHA-256 over the four joined by U+001F."""
    return _flag_id(_flag_id_prefix(rule_id, subject_type), subject_id, applicant)


def _flag_id_prefix(rule_id: str, subject_type: str) -> Any:
    """The SHA-256 state of ``make_flag_id`` after its rule and subject type (a renderer keeps
    one per rule)."""
    return hashlib.sha256(f"{rule_id}\x1f{subject_type}\x1f".encode())


def _flag_id(prefix: Any, subject_id: str, applicant: str | None) -> str:
    digest = prefix.copy()
    digest.update(f"{subject_id}\x1f{applicant or ''}".encode())
    return "F" + digest.hexdigest()[:20]


_ABSENT = object()


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


@lru_cache(maxsize=8192)
def _date_text(day: dt.date, lang: str) -> str:
    return format_date(day, lang)


def _shown(value: Any, lang: str) -> str:
    """A value as a message shows it (dates in the Buddhist Era for Thai)."""
    cls = value.__class__
    if cls is str:
        return value
    if cls is dt.date:
        return _date_text(value, lang)
    if cls is int:
        return str(value)
    return str(_display(value, lang))


class _Message:
    """A message template parsed once: literal text, and the names whose values go between
    (``{x}`` or ``{x:date}``; every date is shown as a date)."""

    __slots__ = ("parts", "tail", "names")

    def __init__(self, template: str):
        parts: list[tuple[str, str]] = []
        text = ""
        for literal, name, spec, conversion in string.Formatter().parse(template):
            text += literal
            if name is None:
                continue
            if spec not in ("", "date") or conversion is not None:
                raise ValueError(f"unsupported placeholder {{{name}:{spec}}} in {template!r}")
            parts.append((text, name))
            text = ""
        self.parts, self.tail = tuple(parts), text
        self.names = tuple(name for _, name in parts)

    def render(self, values: dict[str, Any], lang: str) -> str:
        text = "".join([literal + _shown(values[name], lang) for literal, name in self.parts]) + self.tail
        return " ".join(text.split())  # a value's newline or run of spaces, too


@lru_cache(maxsize=1024)
def _message(template: str) -> _Message:
    return _Message(template)


_PLAIN_ITEMS = frozenset({str, dt.date})  # list items whose equal values are the same value
_CLEAN_MEMO_SIZE = 1 << 16  # distinct strings remembered per process (ids, names): then it starts again


class _Pieces:
    """A value as it goes into a message's line of JSON: its shown text (``_shown``), escaped
    and UTF-8 encoded — or ``False`` when the text is empty or has whitespace that the
    message's normalisation (``" ".join(text.split())``) would change. A message made of
    such pieces and normalised literals is normalised already; one ``False`` piece makes
    ``b"".join`` fail, and the message is then worded the reference way (``_Message.render``)."""

    __slots__ = ("strs", "ints", "dates", "others")

    def __init__(self) -> None:
        self.strs: dict[str, bytes | bool] = {}
        self.ints: dict[int, bytes] = {}
        self.dates: dict[str, dict[dt.date, bytes | bool]] = {"th": {}, "en": {}}
        self.others: dict[tuple[Any, ...], bytes | bool] = {}  # None, booleans, lists of plain values

    @staticmethod
    def text(text: str) -> bytes | bool:
        if not text or " ".join(text.split()) != text:
            return False
        return _json_text(text)

    def of_str(self, value: str) -> bytes | bool:
        if len(self.strs) >= _CLEAN_MEMO_SIZE:
            self.strs.clear()
        out = self.strs[value] = self.text(value)
        return out

    def of_int(self, value: int) -> bytes | bool:
        if len(self.ints) >= _CLEAN_MEMO_SIZE:
            self.ints.clear()
        out = self.ints[value] = str(value).encode()
        return out

    def of_date(self, value: dt.date, lang: str) -> bytes | bool:
        out = self.dates[lang][value] = self.text(_date_text(value, lang))
        return out

    def of_other(self, value: Any, lang: str) -> bytes | bool:
        cls = value.__class__
        if cls is list and all(item.__class__ in _PLAIN_ITEMS for item in value):
            key: Any = (tuple(value), lang)  # texts and dates: no two equal unless the same
        elif cls is bool or value is None:
            key = (value, cls, lang)  # True is not 1
        else:  # anything else (numbers of other kinds, lists of them) is worded each time
            return self.text(_shown(value, lang))
        out = self.others.get(key)
        if out is None:
            if len(self.others) >= _CLEAN_MEMO_SIZE:
                self.others.clear()
            out = self.others[key] = self.text(_shown(value, lang))
        return out


def _normalised_literals(parts: tuple[tuple[str, str], ...], tail: str) -> list[str]:
    """A template's literal texts as they stand in its normalised message, when every value
    between them is a ``_Pieces`` piece: runs of whitespace as one space, none at either end."""
    texts = [literal for literal, _ in parts] + [tail]
    out = []
    for i, text in enumerate(texts):
        words = text.split()
        inner = " ".join(words)
        if words and i > 0 and text[0].isspace():
            inner = " " + inner
        if words and i < len(texts) - 1 and text[-1].isspace():
            inner += " "
        if not words and text and 0 < i < len(texts) - 1:
            inner = " "  # whitespace alone between two values
        out.append(inner)
    return out


def _compile_writer(rule: Rule, th: _Message, en: _Message, names: tuple[str, ...], as_of: dt.date,
                    pieces: _Pieces, parameters: Any, prepared: _Prepared, renderer: FlagRenderer,
                    ) -> Callable[[Fact, str], FlagRow]:
    """A function made for one rule that makes its flags: ``(fact, severity) -> FlagRow``, the
    line of JSON put together as ``FlagRenderer.reference_row`` does, with what repeats from
    flag to flag worked out once: the rule's names looked up in ``_values``' order (skipping
    the phrases, ``_phrases``, and the ``parameters`` a name cannot be), literals normalised,
    escaped and encoded once, each value's text encoded once (``_pieces``), the limits and
    citation once per parameter set. A value whose text needs normalising (``_Pieces``) makes
    the flag the reference way.

    The generated source holds only indices: names and literals are bound as constants."""
    consts: dict[str, Any] = {
        "A": _ABSENT, "S": pieces.strs, "I": pieces.ints, "DTH": pieces.dates["th"], "DEN": pieces.dates["en"],
        "ps": pieces, "str": str, "int": int, "date": dt.date, "dumps": orjson.dumps, "OPT": orjson.OPT_NON_STR_KEYS,
        "PH": _phrases, "FILLS": prepared.fills, "NOPH": _NO_PHRASES, "PL": renderer._values, "plain_of": renderer._plain,
        "SF": renderer._by_set.setdefault(rule.rule_id, {}), "shared": renderer._shared,
        "H": {severity: renderer._head(rule, severity) for severity in ("high", "medium", "low")},
        "head": renderer._head, "PREFIX": prepared.id_prefix, "ASOF": renderer._as_of_json, "RULE": rule,
        "REF": renderer.reference_row, "MEASURE": rule.measure, "RULE_ID": rule.rule_id, "SUBJECT": rule.subject}
    lines = ["def write(fact, severity):",
             "    g = fact.get",
             f"    ph = {'PH(fact, FILLS)' if prepared.fills else 'NOPH'}",
             "    params = fact['_params']",
             "    hit = PL.get(id(params))",
             "    if hit is None or hit[0] is not params: plain = plain_of(params)",
             "    else: plain = hit[1]"]
    own = {"as_of": as_of, "measure": rule.measure, "rule_id": rule.rule_id}
    for i, name in enumerate(names):
        consts[f"n{i}"], consts[f"u{i}"] = name, "_" + name
        if name in own:
            consts[f"k{i}"] = own[name]
            lines.append(f"    v{i} = k{i}")
        elif name == "id":
            lines.append(f"    v{i} = fact['_id']")
        elif name == "agency":
            lines.append(f"    v{i} = fact['_agency']")
        else:
            chain = [f"ph.get(n{i}, A)"] if name in PHRASES and prepared.fills else []
            chain += [f"plain.get(n{i}, A)"] if name in parameters else []
            chain += [f"g(u{i}, A)", f"g(n{i})"]
            lines.append(f"    v{i} = {chain[0]}")
            lines += [f"    if v{i} is A: v{i} = {more}" for more in chain[1:]]
    used = {name for message in (th, en) for name in message.names}
    for i, name in enumerate(names):
        if name not in used:
            continue
        lines += [f"    c = v{i}.__class__",
                  f"    if c is str: s{i} = S.get(v{i}) or ps.of_str(v{i})",
                  f"    elif c is int: t{i} = e{i} = I.get(v{i}) or ps.of_int(v{i})",
                  f"    elif c is date: t{i}, e{i} = DTH.get(v{i}) or ps.of_date(v{i}, 'th'), "
                  f"DEN.get(v{i}) or ps.of_date(v{i}, 'en')",
                  f"    else: t{i}, e{i} = ps.of_other(v{i}, 'th'), ps.of_other(v{i}, 'en')",
                  f"    if c is str: t{i} = e{i} = s{i}"]
    at = {name: i for i, name in enumerate(names)}
    for lang, message in (("th", th), ("en", en)):
        literals = _normalised_literals(message.parts, message.tail)
        pieces_expr = []
        for j, (_, name) in enumerate(message.parts):
            consts[f"l{lang}{j}"] = _json_text(literals[j])
            pieces_expr += [f"l{lang}{j}", f"{'t' if lang == 'th' else 'e'}{at[name]}"]
        consts[f"l{lang}tail"] = _json_text(literals[-1])
        pieces_expr.append(f"l{lang}tail")
        lines.append(f"    m{lang} = ({', '.join(pieces_expr)},)")
    lines += ["    try:",
              "        th = b''.join(mth)",
              "        en = b''.join(men).rstrip(b'.')",
              "    except TypeError:",
              "        return REF(RULE, severity, fact)"]
    if prepared.date_map:  # the limits' wording is the fact's own
        lines.append("    sth, sen, pev = shared(RULE, params, fact, True)")
    else:
        lines += ["    hit = SF.get(id(params))",
                  "    if hit is None or hit[0] is not params: sth, sen, pev = shared(RULE, params, fact, False)",
                  "    else: sth, sen, pev = hit[1]"]
    evidence = ", ".join(f"n{at[name]}: v{at[name]}" for name in rule.evidence)
    lines += [f"    evidence = dumps({{{evidence}}}, option=OPT)",
              "    subject = fact['_id']",
              "    applicant = g('_applicant')"]
    if prepared.applicant_apart:
        lines += ["    if applicant is not None: tail = (pev + b',\"applicant\":' if pev else b'\"applicant\":') "
                  "+ dumps(applicant)",
                  "    else: tail = pev"]
    else:
        lines.append("    tail = pev")
    lines += ["    if tail: evidence = evidence[:-1] + (b',' if len(evidence) > 2 else b'') + tail + b'}'",
              "    d = PREFIX.copy()",
              "    d.update(f\"{subject}\\x1f{applicant or ''}\".encode())",
              "    fid = 'F' + d.hexdigest()[:20]",
              "    agency = fact['_agency']",
              "    line = b''.join((b'{\"flag_id\":\"', fid.encode(), b'\",', H.get(severity) or head(RULE, severity), "
              "b',\"subject_id\":', dumps(subject), b',\"agency_id\":', dumps(agency), ASOF, "
              "b',\"message_th\":\"', th, sth, b'\",\"message_en\":\"', en, sen, b'\",\"evidence\":', evidence, "
              "b'}\\n'))",
              "    return (agency, MEASURE, RULE_ID, SUBJECT, subject, applicant or '', severity, fid, line)"]
    namespace = dict(consts)
    exec(compile("\n".join(lines), f"<flag writer {rule.rule_id}>", "exec"), namespace)  # noqa: S102
    return namespace["write"]


def _values(fact: Fact, names: tuple[str, ...], own: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The values of ``names`` for one flag, each looked up once, in order: the flag's own (id,
    rule, as_of …), the fact's phrases, its parameter values, its details (``_x``), its
    attributes; a detail that does not apply (no analysis yet, say) reads as None."""
    phrases = _phrases(fact)
    out: dict[str, Any] = {}
    for name in names:
        if name in own:
            out[name] = own[name]
        elif name in phrases:
            out[name] = phrases[name]
        elif name in params:
            out[name] = params[name]
        else:
            value = fact.get("_" + name, _ABSENT)
            out[name] = fact.get(name) if value is _ABSENT else value
    return out


def _escalation_phrases(out: dict[str, Any], outside: list[Any], late: list[Any], without: list[Any]) -> None:
    """What the case's escalations show: sent outside the chain, investigated late, without a finding."""
    out["outside"] = [{"report_id": r, "reported_by": b, "reported_to": t, "direct_supervisor": s}
                      for r, b, t, s in outside]
    out["outside_th"] = "; ".join(f"{r} จาก {b} ถึง {t} (ผู้บังคับบัญชาโดยตรง: {s})" for r, b, t, s in outside)
    out["outside_en"] = "; ".join(f"{r} from {b} to {t} (direct supervisor: {s})" for r, b, t, s in outside)
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
    out["without_finding"] = [{"report_id": r, "investigated_on": on, "finding": f_, "corrective_action": c}
                              for r, on, f_, c in without]
    missing_th = {(False, False): "ผลและแนวทางแก้ไข", (True, False): "แนวทางแก้ไข", (False, True): "ผลการหาข้อเท็จจริง"}
    missing_en = {(False, False): "finding and corrective action", (True, False): "corrective action",
                  (False, True): "finding"}
    out["without_th"] = "; ".join(f"รายงาน {r} (หาข้อเท็จจริงเมื่อ {format_date(on, 'th')}) ไม่บันทึก{missing_th[(f_, c)]}"
                                  for r, on, f_, c in without)
    out["without_en"] = "; ".join(f"report {r} (investigated on {format_date(on, 'en')}) has no {missing_en[(f_, c)]}"
                                  for r, on, f_, c in without)


# Wording that depends on the facts (both languages), for the message templates: in groups, each
# filled when a flag's message first needs one of its names (``_phrases``).

def _case_start(fact: Fact, out: dict[str, Any]) -> None:
    out["start_on"] = fact["_complete_on"] or fact["_received_on"]


def _case_elapsed(fact: Fact, out: dict[str, Any]) -> None:
    counted = fact.get("_elapsed_on")
    if counted is not None:
        calendar, start, end, basis = counted
        out["elapsed"] = calendar.elapsed(start, end, basis)


def _case_basis(fact: Fact, out: dict[str, Any]) -> None:
    out["basis_th"] = "วันทำการ" if fact["_day_basis"] == "working" else "วัน"
    out["basis_en"] = "working days" if fact["_day_basis"] == "working" else "calendar days"


def _case_status(fact: Fact, out: dict[str, Any]) -> None:
    if fact.get("decided"):
        out["status_th"] = f"พิจารณาเมื่อ {_date_text(fact['_decided_on'], 'th')}"
        out["status_en"] = f"and decided on {_date_text(fact['_decided_on'], 'en')}"
    else:
        out["status_th"], out["status_en"] = "ยังพิจารณาไม่แล้วเสร็จ", "and still pending"


def _case_escalations(fact: Fact, out: dict[str, Any]) -> None:
    outside = fact.get("_outside", [])
    late = fact.get("_late_investigations", [])
    without = fact.get("_without_finding", [])
    if not (outside or late or without):
        out["outside"], out["outside_th"], out["outside_en"] = [], "", ""
        out["late_investigations"], out["late_th"], out["late_en"] = [], "", ""
        out["without_finding"], out["without_th"], out["without_en"] = [], "", ""
    else:
        _escalation_phrases(out, outside, late, without)


def _case_coi(fact: Fact, out: dict[str, Any]) -> None:
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


def _case_notices(fact: Fact, out: dict[str, Any]) -> None:
    out["notices"] = fact.get("_notices", [])
    out["notices_not_copied_ids"] = fact.get("_notices_not_copied", [])


def _process_phrases(fact: Fact, out: dict[str, Any]) -> None:
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


def _agency_phrases(fact: Fact, out: dict[str, Any]) -> None:
    out["staff"] = [f"{a}/{t}" for a, t in fact.get("_staff", [])]
    first = fact.get("_first_reported_on")
    out["first_reported_on_date"] = first
    out["round"], out["round_deadline"] = fact.get("_round"), fact.get("_round_deadline")
    if first is None:
        out["reported_th"], out["reported_en"] = "ยังไม่ได้รายงานการรับทราบมาตรการ", "has not reported acknowledgement of the measures"
    else:
        out["reported_th"] = f"รายงานการรับทราบมาตรการเมื่อ {format_date(first, 'th')} ล่าช้ากว่ากำหนด"
        out["reported_en"] = f"reported acknowledgement on {format_date(first, 'en')}, after the deadline"


_Fill = Callable[[Fact, dict[str, Any]], None]
# per fact kind: each group's names, and what fills them
_PHRASE_GROUPS: dict[str, tuple[tuple[frozenset[str], _Fill], ...]] = {
    "case": (
        (frozenset({"start_on"}), _case_start),
        (frozenset({"elapsed"}), _case_elapsed),
        (frozenset({"basis_th", "basis_en"}), _case_basis),
        (frozenset({"status_th", "status_en"}), _case_status),
        (frozenset({"outside", "outside_th", "outside_en", "late_investigations", "late_th", "late_en",
                    "without_finding", "without_th", "without_en"}), _case_escalations),
        (frozenset({"coi_th", "coi_en"}), _case_coi),
        (frozenset({"notices", "notices_not_copied_ids"}), _case_notices)),
    "process": ((frozenset({"published_th", "published_en", "manual_review_th", "manual_review_en",
                            "latest_case_ids", "sample_percent", "sample_size", "sample_reviewed"}), _process_phrases),),
    "agency": ((frozenset({"staff", "first_reported_on_date", "round", "round_deadline", "reported_th",
                           "reported_en"}), _agency_phrases),),
}
PHRASES = frozenset().union(*(names for groups in _PHRASE_GROUPS.values() for names, _ in groups))


def _fills(kind: str, names: Any = None) -> tuple[_Fill, ...]:
    """What fills the phrases of a fact kind that ``names`` name (all of them: None)."""
    return tuple(fill for group, fill in _PHRASE_GROUPS.get(kind, ()) if names is None or not group.isdisjoint(names))


def _phrases(fact: Fact, fills: tuple[_Fill, ...] | None = None) -> dict[str, Any]:
    """The fact's phrases, with at least the groups ``fills`` fill (default: every group of its
    kind); each group is filled once per fact, however many of its flags need it."""
    out = fact.get("__phrases")
    if out is None:
        out = fact["__phrases"] = {}
        done = fact["__phrased"] = set()
    else:
        done = fact["__phrased"]
    for fill in _fills(fact["_type"]) if fills is None else fills:
        if fill not in done:
            fill(fact, out)
            done.add(fill)
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


def _evidence_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_evidence_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _evidence_value(v) for k, v in value.items()}
    return value


def _json_text(text: str) -> bytes:
    """A string's JSON, without its quotes (most messages need no escaping: skip the encoder)."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return text.encode()
    return orjson.dumps(text)[1:-1]


# A flag as the evaluation's workers hand it over: what orders and counts it, and the flag
# itself as its line of JSON, newline included (rendered and serialised once, in the worker;
# written as it is).
FlagRow = tuple[str, str, str, str, str, str, str, str, bytes]  # (agency_id, measure, rule_id, subject_type,
#                                                        subject_id, applicant or "", severity, flag_id, JSON line)
ROW_FLAG_ID, ROW_LINE = 7, 8
# A store run's rows carry two more (``FlagRenderer.keyed``): the flag's content key and its
# links, (process, officer, date), by which the review queue filters.
ROW_CONTENT_KEY, ROW_LINK = 9, 10
Link = tuple[str | None, str | None, dt.date | None]
NO_LINK: Link = (None, None, None)
# the order flags are written in: agency, measure, rule, subject, applicant
row_sort_key = itemgetter(0, 1, 2, 3, 4, 5)


def as_of_field(as_of: dt.date) -> bytes:
    """The ``as_of`` field as a flag's line of JSON holds it (``FlagRenderer.row``: after the
    ids, before the messages). Its first occurrence in a line is that field: the ids before it
    are JSON strings, in which a bare ``"`` cannot occur."""
    return b',"as_of":' + orjson.dumps(as_of.isoformat())


def content_key(line: bytes, as_of: bytes, link: Link) -> str:
    """The digest of a flag's content (the store's ``flags.content_key``): its line of JSON
    without the ``as_of`` field (``as_of``: ``as_of_field``), and the links the queue filters by."""
    digest = hashlib.blake2b(line.replace(as_of, b"", 1), digest_size=16)
    digest.update("\x1f{}\x1f{}\x1f{}".format(*link).encode())
    return digest.hexdigest()


def evidence_text(line: bytes) -> str:
    """A flag's evidence as its line of JSON holds it (``FlagRenderer.row``: the last field).
    The first ``,"evidence":`` of a line is that field's: every field before it is a JSON
    string, in which a bare ``"`` cannot occur."""
    return line[line.index(b',"evidence":') + 12:line.rindex(b"}")].decode()


_NO_PHRASES: dict[str, Any] = {}


@dataclass
class _Prepared:
    """What a renderer works out once per rule."""
    id_prefix: Any  # _flag_id_prefix: the flag id's state after its rule and subject type
    date_map: bool  # a parameter is a date map: the limits' wording is the fact's own
    applicant_apart: bool  # an applicant goes into the evidence after the rule's own names
    fills: tuple[_Fill, ...]  # what fills the phrases its messages or evidence name
    writer: Callable[[Fact, str], FlagRow] | None = None  # _compile_writer


class FlagRenderer:
    """Builds the flags of one evaluation (one ``as_of``): what repeats from flag to flag (a
    rule's citation, the limits a parameter set reads as) is worded once."""

    def __init__(self, kb: KnowledgeBase, as_of: dt.date, compiled: bool = True):
        """``compiled=False`` makes every flag the reference way (``reference_row``), which the
        compiled writers (``_compile_writer``) are tested against."""
        self.kb, self.as_of = kb, as_of
        self.compiled = compiled
        # a parameter set's plain values, by the set's id (the set is kept, so its id stays its own)
        self._values: dict[int, tuple[dict[str, ParamValue], dict[str, Any]]] = {}
        self._compiled: dict[str, tuple[_Message, _Message, tuple[str, ...]]] = {}
        self._heads: dict[tuple[str, str], bytes] = {}
        self._as_of_json = as_of_field(as_of)
        self._pieces = _Pieces()
        self._rules: dict[str, _Prepared] = {}
        # per rule, by a parameter set's id: the set and its suffixes (``_suffixes``)
        self._by_set: dict[str, dict[int, tuple[dict[str, ParamValue], tuple[bytes, bytes, bytes]]]] = {}

    def _messages(self, rule: Rule) -> tuple[_Message, _Message, tuple[str, ...]]:
        """A rule's two messages, parsed, and every name they and its evidence read."""
        out = self._compiled.get(rule.rule_id)
        if out is None:
            th, en = _message(rule.message_th), _message(rule.message_en)
            names = tuple(dict.fromkeys(th.names + en.names + tuple(rule.evidence)))
            out = self._compiled[rule.rule_id] = (th, en, names)
        return out

    def _plain(self, params: dict[str, ParamValue]) -> dict[str, Any]:
        hit = self._values.get(id(params))
        if hit is None or hit[0] is not params:
            hit = self._values[id(params)] = (params, {name: pv.value for name, pv in params.items()})
        return hit[1]

    def _suffixes(self, rule: Rule, used: dict[str, ParamValue], fact: Fact) -> tuple[bytes, bytes, bytes]:
        """What every flag of a rule with the same parameter values repeats, as JSON: the limits
        and the citation after each message (escaped, without quotes), and the parameters'
        evidence (members, without braces). Remembered per parameter set by ``_shared``."""
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
        return (orjson.dumps(limits_th + cite_th)[1:-1], orjson.dumps(limits_en + cite_en + ".")[1:-1],
                orjson.dumps(evidence)[1:-1])

    def _head(self, rule: Rule, severity: str) -> bytes:
        key = (rule.rule_id, severity)
        out = self._heads.get(key)
        if out is None:
            fields = {"rule_id": rule.rule_id, "measure": rule.measure, "severity": severity,
                      "subject_type": rule.subject}
            out = self._heads[key] = orjson.dumps(fields)[1:-1]
        return out

    def _prepared(self, rule: Rule) -> _Prepared:
        out = self._rules.get(rule.rule_id)
        if out is None:
            th, en, names = self._messages(rule)
            out = self._rules[rule.rule_id] = _Prepared(
                _flag_id_prefix(rule.rule_id, rule.subject),
                any(self.kb.parameters[n].type == "date_map" for n in rule.parameters),
                "applicant" not in rule.evidence, _fills(rule.fact_kind, names))
            if self.compiled:
                out.writer = _compile_writer(rule, th, en, names, self.as_of, self._pieces, self.kb.parameters,
                                             out, self)
        return out

    def _shared(self, rule: Rule, params: dict[str, ParamValue], fact: Fact, date_map: bool,
                ) -> tuple[bytes, bytes, bytes]:
        """``_suffixes`` for a rule and a parameter set, remembered by the set's id (kept with
        the answer, so the id stays its own); a round's deadline is the fact's own."""
        if date_map:
            return self._suffixes(rule, {n: params[n] for n in rule.parameters}, fact)
        by_set = self._by_set.setdefault(rule.rule_id, {})
        hit = by_set.get(id(params))
        if hit is None or hit[0] is not params:
            hit = by_set[id(params)] = (params, self._suffixes(rule, {n: params[n] for n in rule.parameters}, fact))
        return hit[1]

    def writer(self, rule: Rule) -> Callable[[Fact, str], FlagRow]:
        """The function that makes the flags of ``rule``: ``(fact, severity) -> FlagRow``."""
        if self.compiled:
            return self._prepared(rule).writer
        return lambda fact, severity: self.reference_row(rule, severity, fact)

    def row(self, rule: Rule, severity: str, fact: Fact) -> FlagRow:
        """The flag of one rule on one fact (the fact carries its own parameter values): what
        rule, subject and severity it is, and the flag as its line of JSON."""
        return self.writer(rule)(fact, severity)

    def reference_row(self, rule: Rule, severity: str, fact: Fact) -> FlagRow:
        """``row`` the plain way: the messages worded by their templates (``_Message.render``)
        and normalised, the line put together field by field."""
        prepared = self._prepared(rule)
        subject, agency, params = fact["_id"], fact["_agency"], fact["_params"]
        th, en, names = self._messages(rule)
        own = {"as_of": self.as_of, "measure": rule.measure, "rule_id": rule.rule_id, "id": subject,
               "agency": agency}
        values = _values(fact, names, own, self._plain(params))
        message_th, message_en = _json_text(th.render(values, "th")), _json_text(en.render(values, "en").rstrip("."))
        suffix_th, suffix_en, param_evidence = self._shared(rule, params, fact, prepared.date_map)
        dumps = orjson.dumps
        evidence = dumps({name: values[name] for name in rule.evidence}, option=orjson.OPT_NON_STR_KEYS)
        applicant = fact.get("_applicant")
        if applicant is not None and prepared.applicant_apart:
            tail = b'"applicant":' + dumps(applicant)
            if param_evidence:
                tail = param_evidence + b"," + tail
        else:
            tail = param_evidence
        if tail:
            evidence = evidence[:-1] + (b"," if len(evidence) > 2 else b"") + tail + b"}"
        flag_id = _flag_id(prepared.id_prefix, subject, applicant)
        line = b"".join((
            b'{"flag_id":"', flag_id.encode(), b'",',
            self._head(rule, severity), b',"subject_id":', dumps(subject), b',"agency_id":', dumps(agency),
            self._as_of_json, b',"message_th":"', message_th, suffix_th,
            # the sentence's full stop moves after the limits and the citation
            b'","message_en":"', message_en, suffix_en,
            b'","evidence":', evidence, b"}\n"))
        return (agency, rule.measure, rule.rule_id, rule.subject, subject, applicant or "", severity, flag_id, line)

    def keyed(self, row: FlagRow, fact: Fact) -> tuple[Any, ...]:
        """``row`` with its content key and links (``ROW_CONTENT_KEY``, ``ROW_LINK``): a case's
        process, officer and date (decided, else received), a process's or an officer's id."""
        subject_type, subject = row[3], row[4]
        if subject_type == "case":
            link: Link = (fact["_process_id"], fact["_officer_id"], fact["_event_date"])
        elif subject_type == "process":
            link = (subject, None, None)
        elif subject_type == "officer":
            link = (None, subject, None)
        else:
            link = NO_LINK
        return (*row, content_key(row[ROW_LINE], self._as_of_json, link), link)
