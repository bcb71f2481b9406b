"""How values read on screen: Thai field labels, yes/no, Buddhist-Era dates, names beside
codes, a flag's history as sentences, and text from data or a person as plain text (``plain``).
Pages call these; nothing here touches the data."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from i18n import date, lang, pick, t

from engine.domain.thai import format_datetime
from engine.store.scope import ROLE_NAMES
from engine.store.review import ACTION_NAMES, Change

from engine.kb.knowledge import load_kb
from engine.rules.terms import label_th

# fields of cases, escalations and flag evidence, as people call them
FIELDS: dict[str, tuple[str, str]] = {
    "case_id": ("เลขที่เรื่อง", "Case"), "agency_id": ("หน่วยงาน", "Agency"), "process_id": ("กระบวนงาน", "Process"),
    "officer_id": ("ผู้พิจารณา", "Officer"), "received_on": ("วันที่รับเรื่อง", "Received on"),
    "discretion_used": ("ใช้ดุลพินิจ", "Discretion used"), "applicant_id": ("ผู้ยื่นคำขอ", "Applicant"),
    "applicant": ("ผู้ยื่นคำขอ", "Applicant"), "decided_on": ("วันที่พิจารณา", "Decided on"),
    "outcome": ("ผลการพิจารณา", "Outcome"), "legal_basis": ("ข้อกฎหมายที่อ้างอิง", "Legal basis"),
    "reviewed_by": ("ผู้ตรวจสอบ", "Reviewed by"), "reviewed_on": ("วันที่ตรวจสอบ", "Reviewed on"),
    "deviation": ("การไม่เป็นไปตามหลักเกณฑ์", "Deviation"), "deviation_on": ("วันที่ไม่เป็นไปตามหลักเกณฑ์", "Deviation on"),
    "via_it_system": ("ดำเนินการผ่านระบบสารสนเทศ", "Through the IT system"),
    "override_reason": ("เหตุผลที่ไม่ใช้ระบบ", "Reason for not using the system"),
    "applicant_related": ("ผู้พิจารณามีส่วนได้เสียกับผู้ยื่นคำขอ", "Related to the applicant"),
    "coi_declared": ("แจ้งส่วนได้เสียแล้ว", "Conflict of interest declared"),
    "report_id": ("เลขที่รายงาน", "Report"), "reported_by": ("ผู้รายงาน", "Reported by"),
    "reported_to": ("รายงานถึง", "Reported to"), "reported_on": ("วันที่รายงาน", "Reported on"),
    "investigated_on": ("วันที่หาข้อเท็จจริง", "Investigated on"), "finding": ("ผลการตรวจสอบ", "Finding"),
    "corrective_action": ("การแก้ไข", "Corrective action"), "case_ids": ("เรื่องที่เกี่ยวข้อง", "Cases"),
    "chain": ("สายบังคับบัญชา", "Chain of command"), "citizen_manual_url": ("คู่มือประชาชนบนเว็บไซต์", "Citizen manual URL"),
    "day_basis": ("การนับวัน", "Day basis"), "elapsed": ("จำนวนวันที่ใช้", "Days taken"),
    "ethics_acknowledged_on": ("วันที่รับทราบประมวลจริยธรรม", "Ethics acknowledged on"),
    "first_reported_on_date": ("วันที่รายงานครั้งแรก", "First reported on"),
    "in_position_since": ("ดำรงตำแหน่งตั้งแต่", "In position since"), "investigation_report": ("รายงานการหาข้อเท็จจริง", "Investigation report"),
    "investigation_reported_on": ("วันที่รายงานการหาข้อเท็จจริง", "Investigation reported on"),
    "it_system": ("ระบบสารสนเทศ", "IT system"), "last_analysis_on": ("วิเคราะห์ความเสี่ยงครั้งล่าสุด", "Last analysis on"),
    "last_case_id": ("เรื่องล่าสุด", "Last case"), "last_decided_on": ("พิจารณาครั้งล่าสุด", "Last decided on"),
    "last_monitoring_on": ("รายงานการกำกับติดตามครั้งล่าสุด", "Last monitoring report on"),
    "manual_reviewed_on": ("วันที่สอบทานคู่มือ", "Manual reviewed on"), "name": ("ชื่อ", "Name"),
    "outside": ("รายงานที่ไม่ผ่านผู้บังคับบัญชาโดยตรง", "Reports outside the chain"),
    "staff": ("บุคลากรที่รับทราบ/ทั้งหมด", "Staff informed / total"), "standard_days": ("ระยะเวลามาตรฐาน (วัน)", "Standard days"),
    "work_manual": ("คู่มือการปฏิบัติงาน", "Work manual"), "discretionary_processes": ("กระบวนงานที่ใช้ดุลพินิจ", "Discretionary processes"),
    "acknowledgement_deadline": ("กำหนดรายงานการรับทราบ", "Acknowledgement deadline"),
    # the rule catalogue v2's evidence
    "parameters": ("ค่ากำหนดที่ใช้", "Parameters used"), "round": ("รอบปี", "Round"),
    "discretionary_decided_cases": ("จำนวนเรื่องที่ใช้ดุลพินิจและพิจารณาแล้ว", "Discretionary cases decided"),
    "latest_case_ids": ("เรื่องล่าสุด", "Latest cases"), "escalation_deadline": ("กำหนดรายงานผู้บังคับบัญชา", "Report due"),
    "acknowledgement_deadlines": ("กำหนดรายงานการรับทราบแต่ละรอบ", "Acknowledgement deadlines"),
    "round_deadline": ("กำหนดรายงานของรอบ", "Round deadline"), "rotation_due_on": ("ครบกำหนดหมุนเวียน", "Rotation due on"),
    "review_deadline": ("กำหนดตรวจสอบ", "Review due"),
    "coi_permitted_by": ("ผู้อนุญาตให้พิจารณาแม้มีส่วนได้เสีย", "Permitted despite the interest by"),
    # exchange format v3
    "coi_ground": ("ลักษณะของส่วนได้เสีย", "Ground of the conflict"),
    "coi_exception": ("เหตุที่ยังต้องพิจารณาแม้มีส่วนได้เสีย (มาตรา 18)", "Reason for acting anyway (s.18)"),
    "affects_others": ("กระทบสิทธิหรือหน้าที่ของบุคคลอื่น", "Affects other persons"),
    "effective_from": ("มีผลตั้งแต่", "In force from"),
    "complete_on": ("วันที่คำขอครบถ้วน", "Application complete on"), "limit_day": ("วันครบระยะเวลามาตรฐาน", "Time limit"),
    "direct_supervisor": ("ผู้บังคับบัญชาโดยตรง", "Direct supervisor"),
    "late_investigations": ("การหาข้อเท็จจริงที่เกินกำหนด", "Late investigations"), "due": ("กำหนด", "Due"),
    "missed_due": ("วันที่เกินกำหนด", "Missed due date"), "notices": ("วันที่แจ้งความล่าช้า", "Delay notices"),
    "notices_not_copied_ids": ("หนังสือแจ้งความล่าช้าที่ไม่ได้ส่งสำเนา", "Notices not copied"),
    "sample_percent": ("ร้อยละที่ต้องสุ่มตรวจ", "Sample (%)"), "sample_size": ("จำนวนที่ต้องสุ่มตรวจ", "Sample size"),
    "sample_reviewed": ("จำนวนที่สุ่มตรวจแล้ว", "Sampled and reviewed"),
    "without_finding": ("การหาข้อเท็จจริงที่ไม่มีผลสรุป", "Investigations without a finding"),
    "applicant_kind": ("ประเภทผู้ยื่นคำขอ", "Applicant kind"), "notice_id": ("เลขที่หนังสือแจ้ง", "Notice"),
    "notified_on": ("วันที่แจ้ง", "Notified on"), "opdc_copied": ("ส่งสำเนาถึง ก.พ.ร. แล้ว", "Copied to the OPDC"), "delay_notices": ("หนังสือแจ้งความล่าช้า", "Delay notices"),
    "value": ("ค่า", "value"), "source_th": ("ที่มา", "source"), "source_en": ("ที่มา (อังกฤษ)", "source"),
    "calendar_unchecked_years": ("ปีที่วันหยุดราชการยังไม่ได้ตรวจสอบกับประกาศของทางราชการ (วันที่อาจคลาดหนึ่งวัน)",
                                 "Years whose days off were not checked (dates may be off by a day)"),
}
_PEOPLE = {"officer_id", "reviewed_by", "reported_by", "reported_to", "chain", "coi_permitted_by", "direct_supervisor"}
_PROCESSES = {"process_id", "discretionary_processes"}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_VALUES = {"working": ("วันทำการ", "working days"), "calendar": ("วันปฏิทิน", "calendar days"),
           "approved": ("อนุมัติ", "approved"), "rejected": ("ไม่อนุมัติ", "rejected"), "denied": ("ไม่อนุมัติ", "denied"),
           "partial": ("อนุมัติบางส่วน", "partially approved"),
           "person": ("บุคคลธรรมดา", "natural person"), "juristic": ("นิติบุคคล", "juristic person"),
           "s13": ("มาตรา 13 (ห้ามพิจารณา)", "s.13 (may not consider)"),
           "s16": ("มาตรา 16 (เหตุอื่นที่อาจไม่เป็นกลาง)", "s.16 (other serious circumstance)")}


# Every ASCII punctuation character: CommonMark lets any of them be escaped with a backslash, and
# an escaped one is only itself (no emphasis, link, image, list, heading, code, table, HTML,
# directive or math can start from it).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# What Streamlit rewrites in text after Markdown has parsed it, escapes or not: bare addresses
# (http://…, www.…, a@b.c become links), :shortcodes: (emoji, :material/…: icons, :streamlit:)
# and -> <- <-> -- >= <= ~= (arrows and dashes). A word joiner (U+2060, invisible, no break)
# inside each keeps them apart. Only there: a colon gets one only where a shortcode could close
# or an address's // follows (never in 10:31 or เหตุผล: …), since the joiner travels with text a
# person copies (app.py strips it from the clipboard, and the queue's search ignores it).
_REWRITTEN = re.compile(r"(?<=:)(?=[\w+/-]*:|//)|(?<=www)(?=\.)|(?<=[-.\w+])(?=@)|(?<=[-<>~])(?=[-<>=])", re.I)
_JOINER = "\u2060"


def plain(text: object) -> str:
    """Markdown that Streamlit shows as exactly ``text``, as written: for every text that comes from
    data or a person (names, reasons, notes, answers, ids) wherever Streamlit reads Markdown —
    ``st.markdown``, captions, alerts, table cells, labels. Each punctuation character is escaped,
    Streamlit's rewrites of plain text are kept apart (invisibly), a line break stays a line break
    and indentation stays (as no-break spaces, so it never starts a code block)."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    out = []
    for line in lines:
        body = line.lstrip(" \t")
        indent = "\u00a0" * (len(line) - len(body))
        out.append(indent + _PUNCTUATION.sub(r"\\\1", _REWRITTEN.sub(_JOINER, body)))
    return "\\\n".join(out)  # a backslash at the end of a line: a hard line break


def field_label(name: str, parameters: dict[str, Any] | None = None) -> str:
    """A field's name as people say it; a KB parameter by its meaning."""
    if name in FIELDS:
        return pick(FIELDS[name])
    parameters = parameters if parameters is not None else load_kb().parameters
    if name in parameters:
        p = parameters[name]
        return p.meaning_th if lang() == "th" else p.meaning_en
    if lang() == "th" and label_th(name) != name:
        return label_th(name)
    return name.replace("_", " ")


def named(code: str | None, names: dict[str, str]) -> str:
    """``ชื่อ (code)``: the name with the code, or the code alone when there is no name."""
    if not code:
        return "—"
    name = names.get(code)
    return f"{name} ({code})" if name else str(code)


def field_value(name: str, value: Any, names: dict[str, dict[str, str]] | None = None) -> str:
    """A value as people read it: ใช่/ไม่ใช่, a Buddhist-Era date, a name beside its code."""
    names = names or {}
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return pick(("ใช่", "yes") if value else ("ไม่ใช่", "no"))
    if isinstance(value, (dt.date, dt.datetime)):
        return date(value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else value.date())
    if isinstance(value, list):
        return ", ".join(field_value(name, v, names) for v in value)
    if isinstance(value, dict) and "value" in value and "source_th" in value:  # a parameter and where it came from
        return f"{field_value(name, value['value'], names)} ({pick((value['source_th'], value.get('source_en') or ''))})"
    parameter = load_kb().parameters.get(name)
    if parameter is not None and isinstance(value, (int, dict)) and not isinstance(value, bool):
        return parameter.amount(value, lang())  # 730 วัน, 7 วันทำการ; a round's deadline by fiscal year
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)}: {field_value(k, v, names)}" for k, v in value.items())
    if isinstance(value, str):
        if _ISO_DAY.fullmatch(value):
            return date(dt.date.fromisoformat(value))
        if name in _PEOPLE:
            return named(value, names.get("officer", {}))
        if name in _PROCESSES:
            return named(value, names.get("process", {}))
        if name == "agency_id":
            return named(value, names.get("agency", {}))
        if value.strip().lower() in _VALUES:
            return pick(_VALUES[value.strip().lower()])
    return f"{value:,}" if isinstance(value, int) and abs(value) >= 10_000 else str(value)


def history_sentence(event: dict[str, Any], names: dict[str, dict[str, str]] | None = None) -> str:
    """An event's details in words: ``การแก้ไข: …; กำหนดแล้วเสร็จ: 31 ธ.ค. 2569``."""
    details = event.get("details") or {}
    words = {"today": ("ณ วันที่", "as of"), "due_date": ("กำหนดแล้วเสร็จ", "due"),
             "expires_on": ("ผ่อนผันถึง", "waived until"), "approver": ("ผู้อนุมัติ", "approved by"),
             "corrective_action": ("การแก้ไข", "corrective action"), "changed": ("ข้อมูลที่เปลี่ยน", "changed"),
             "changed_fields": ("ข้อมูลที่เปลี่ยน", "changed"), "before": ("เดิม", "before"), "after": ("ใหม่", "after")}
    if event.get("action") in ("severity_changed", "state_recorded"):  # a run's severity; the upgrade's record
        return _recorded_sentence(details, words)
    parts = []
    for k, v in details.items():
        label = pick(words[k]) if k in words else field_label(k)
        if k in ("changed", "changed_fields") and isinstance(v, list):
            v = ", ".join(field_label(x) for x in v)
        parts.append(f"{label} {field_value(k, v, names)}")
    return "; ".join(parts)


def person(username: str | None, people: dict[str, tuple[str, ...]]) -> str:
    """Who did it, as colleagues know them: the display name and position, not the login — the
    linked officer's position (``officers.position``) where the account is linked to one, else the
    role; the engine as ระบบ. A user the store does not know (none yet) keeps the name recorded."""
    if username == "system":
        return t("hist.system")
    known = people.get(username or "")
    if not known:
        return str(username or "—")
    position = known[2] if len(known) > 2 and known[2] else pick(ROLE_NAMES.get(known[1], (known[1], known[1])))
    return known[0] if known[0] == position else f"{known[0]} ({position})"  # never "ผู้ดูแลระบบ (ผู้ดูแลระบบ)"


def event_sentence(actor: str | None, action: str | None, reason: str | None, at: dt.datetime | None,
                   people: dict[str, tuple[str, str]]) -> str:
    """``ยกเลิก (มีเหตุผลสมควร) โดย นาย ก (หัวหน้าหน่วยงาน) เมื่อ 25 พ.ย. 2569 10:31 น.`` and the reason on
    the next line: who did what and when, as plain text (``plain`` it for Markdown)."""
    text = t("change.event", action=pick(ACTION_NAMES.get(action or "", (action or "", action or ""))),
             who=person(actor, people), when=format_datetime(at, lang()))
    return text + ("\n" + t("change.reason", reason=reason) if reason else "")


def change_sentence(change: Change, people: dict[str, tuple[str, str]], rule_title: str | None = None,
                    names: dict[str, dict[str, str]] | None = None) -> str:
    """A flag someone else changed, named by its subject (with its name, for an officer, a process or
    an agency) and rule: what they did and when, or that it is gone (then only its id is known)."""
    if change.subject_id and names and change.subject_type in names:
        word = change.subject(lang()).removesuffix(change.subject_id)
        subject = word + named(change.subject_id, names[change.subject_type])
    else:
        subject = change.subject(lang())
    label = subject + (f" · {rule_title}" if rule_title else "")
    if change.status is None:
        return f"{label}: {t('change.gone')}"
    return f"{label}: {event_sentence(change.actor, change.action, change.reason, change.at, people)}"


_SEVERITY = {"high": ("สูง", "high"), "medium": ("ปานกลาง", "medium"), "low": ("ต่ำ", "low")}


def _recorded_sentence(details: dict[str, Any], words: dict[str, tuple[str, str]]) -> str:
    """A ``severity_changed`` event (``เดิม ปานกลาง; ใหม่ สูง``) or a ``state_recorded`` one (the
    row as migration 0017 found it, and which of its fields the older events did not tell)."""
    from engine.store.replay import FIELD_NAMES
    from engine.store.review import STATUS_NAMES

    parts = []
    for k, v in details.items():
        if k in ("before", "after"):
            parts.append(f"{pick(words[k])} {pick(_SEVERITY.get(v, (str(v), str(v))))}")
        elif k == "differed":
            names = [pick(FIELD_NAMES[f]) if f in FIELD_NAMES else pick(("ไม่มีประวัติ", "no events")) for f in v]
            parts.append(f"{pick(('ที่ประวัติเดิมไม่ได้บอก', 'not told by the older events'))}: {', '.join(names)}")
        elif v is not None and k in FIELD_NAMES:
            value = pick(STATUS_NAMES[v]) if k == "status" and v in STATUS_NAMES else field_value(k, v)
            parts.append(f"{pick(FIELD_NAMES[k])} {value}")
    return "; ".join(parts)
