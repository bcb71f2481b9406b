"""The daily digest as an e-mail (``discretion-review notify``): what is new and what is due for
one user, in Thai (English when they chose it), each item linking to its page in the app.

It says no more than the user's scope shows, and less than a page does: ids, rule titles,
agency names, dates and counts — never a flag's explanation (which may quote an applicant or
an officer), a question asked or an answer given (free text typed by a person). Those are read
in the app, behind the login, by following the link.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from engine.domain.thai import format_date

LIMIT = 20  # items listed per section; the rest are counted, with a link to the list in the app
SEVERITY = {"high": ("สูง", "high"), "medium": ("ปานกลาง", "medium"), "low": ("ต่ำ", "low")}
SUBJECT = {"case": ("เรื่อง", "case"), "officer": ("เจ้าหน้าที่", "officer"), "process": ("กระบวนงาน", "process"),
           "agency": ("หน่วยงาน", "agency")}
PRODUCT = ("ระบบตรวจสอบการใช้ดุลพินิจ", "Discretion review")


@dataclass
class Digest:
    """What one user is told on one day (engine/store/notify.gather)."""

    username: str
    display_name: str
    lang: str
    day: dt.date
    new_flags: list[dict[str, Any]] = field(default_factory=list)  # the first LIMIT, most severe first
    new_flags_total: int = 0
    new_by_severity: dict[str, int] = field(default_factory=dict)
    duties: list[dict[str, Any]] = field(default_factory=list)  # duties.due_soon items, not late
    requests: list[dict[str, Any]] = field(default_factory=list)  # awaiting an answer (late ones too)
    answers: list[dict[str, Any]] = field(default_factory=list)  # to the user's own requests
    deadlines: list[dict[str, Any]] = field(default_factory=list)  # campaigns and acknowledgement rounds

    def counts(self) -> dict[str, int]:
        return {"new_flags": self.new_flags_total, "duties": len(self.duties), "requests": len(self.requests),
                "answers": len(self.answers), "deadlines": len(self.deadlines)}

    @property
    def empty(self) -> bool:
        return not any(self.counts().values())


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "th" else pair[1]


def _day(day: dt.date, lang: str) -> str:
    return format_date(day, lang)


def _left(item: dict[str, Any], lang: str) -> str:
    n, late = item["working_days_left"], item["late"]
    if late:
        return f"เลยกำหนด {n} วันทำการ" if lang == "th" else f"{n} working day{'s' if n != 1 else ''} late"
    if n == 0:
        return "วันนี้เป็นวันสุดท้าย" if lang == "th" else "today is the last day"
    return f"เหลือ {n} วันทำการ" if lang == "th" else f"{n} working day{'s' if n != 1 else ''} left"


def _n(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _subject(kind: str | None, subject_id: str | None, lang: str) -> str:
    word = _pick(SUBJECT.get(kind or "", ("", "")), lang)
    return f"{word} {subject_id}".strip()


def link(base_url: str, page: str, item_id: str | None = None) -> str:
    """The app's address of a page (``flag``, ``case``, ``due``, ``queue``), with its item."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return base + page + (f"?id={quote(item_id, safe='')}" if item_id else "")


def _duty_link(item: dict[str, Any], base_url: str) -> str:
    if item.get("flag_id"):
        return link(base_url, "flag", item["flag_id"])
    if item.get("case_id"):
        return link(base_url, "case", item["case_id"])
    return link(base_url, "due")


def sections(d: Digest, base_url: str, rule_titles: dict[str, tuple[str, str]],
             agency_names: dict[str, str]) -> list[tuple[str, list[tuple[str, str]], int, str]]:
    """The digest's sections in order: (heading, [(line, link)], how many in all, the list of all in the app)."""
    lang = d.lang
    out: list[tuple[str, list[tuple[str, str]], int, str]] = []

    def agency(agency_id: str) -> str:
        return agency_names.get(agency_id, agency_id) if agency_id else ""

    if d.new_flags_total:
        by = ", ".join(f"{_pick(SEVERITY[s], lang)} {d.new_by_severity[s]}" for s in SEVERITY if d.new_by_severity.get(s))
        heading = (f"ข้อสังเกตใหม่ {d.new_flags_total} รายการ (ระดับความสำคัญ {by})" if lang == "th"
                   else f"{_n(d.new_flags_total, 'new flag', 'new flags')} ({by})")
        lines = []
        for f in d.new_flags:
            title = _pick(rule_titles.get(f["rule_id"], (f["rule_id"], f["rule_id"])), lang)
            sev = _pick(SEVERITY.get(f["severity"], (f["severity"], f["severity"])), lang)
            lines.append((f"[{sev}] {title} — {_subject(f['subject_type'], f['subject_id'], lang)}, "
                          f"{agency(f['agency_id'])}", link(base_url, "flag", f["flag_id"])))
        out.append((heading, lines, d.new_flags_total, link(base_url, "queue")))
    if d.duties:
        heading = (f"หน้าที่ที่ใกล้ครบกำหนด {len(d.duties)} รายการ (หากไม่ดำเนินการจะเป็นข้อสังเกตในวันถัดจากวันครบกำหนด)"
                   if lang == "th" else f"{_n(len(d.duties), 'duty', 'duties')} due soon (left undone, each is a flag "
                   "the day after it is due)")
        lines = [(f"{_day(i['due_on'], lang)} — {i['message_th'] if lang == 'th' else i['message_en']}",
                  _duty_link(i, base_url)) for i in d.duties[:LIMIT]]
        out.append((heading, lines, len(d.duties), link(base_url, "due")))
    if d.requests:
        heading = (f"คำขอข้อมูลเพิ่มเติมที่รอคำตอบ {len(d.requests)} รายการ" if lang == "th"
                   else f"{_n(len(d.requests), 'request', 'requests')} for information awaiting an answer")
        lines = []
        for r in d.requests[:LIMIT]:
            what = _subject(r["subject_type"], r["subject_id"], lang)
            text = (f"ข้อสังเกตของ{what} ({r['rule_id']}): ขอให้เจ้าหน้าที่ {r['officer_id']} ตอบภายใน "
                    f"{_day(r['due_on'], lang)} ({_left(r, lang)})" if lang == "th" else
                    f"the flag of {what} ({r['rule_id']}): officer {r['officer_id']} is asked to answer by "
                    f"{_day(r['due_on'], lang)} ({_left(r, lang)})")
            lines.append((text, link(base_url, "flag", r["flag_id"])))
        out.append((heading, lines, len(d.requests), link(base_url, "due")))
    if d.answers:
        heading = (f"คำตอบคำขอข้อมูลของท่าน {len(d.answers)} รายการ" if lang == "th"
                   else f"{_n(len(d.answers), 'answer', 'answers')} to your requests for information")
        lines = []
        for a in d.answers[:LIMIT]:
            what = _subject(a["subject_type"], a["subject_id"], lang)
            lines.append((f"ข้อสังเกตของ{what} ({a['rule_id']}): ได้รับคำตอบแล้ว อ่านได้ในระบบ" if lang == "th"
                          else f"the flag of {what} ({a['rule_id']}): answered; read it in the app",
                          link(base_url, "flag", a["flag_id"])))
        out.append((heading, lines, len(d.answers), link(base_url, "queue")))
    if d.deadlines:
        heading = (f"กำหนดส่งรายงานและผลการประเมิน {len(d.deadlines)} รายการ" if lang == "th"
                   else f"{_n(len(d.deadlines), 'report or assessment', 'reports and assessments')} due")
        lines = [(f"{_day(i['due_on'], lang)}{f' ({_left(i, lang)})' if i['kind'] == 'campaign' else ''} — "
                  f"{i['message_th'] if lang == 'th' else i['message_en']}",
                  link(base_url, "assessment" if i["kind"] == "campaign" else "due")) for i in d.deadlines[:LIMIT]]
        out.append((heading, lines, len(d.deadlines), link(base_url, "due")))
    return out


def compose(d: Digest, base_url: str, sender: str, to: str, message_id: str,
            rule_titles: dict[str, tuple[str, str]], agency_names: dict[str, str]) -> EmailMessage:
    """The digest as a message: plain text and HTML, UTF-8, with its Message-ID."""
    lang = d.lang
    parts = sections(d, base_url, rule_titles, agency_names)
    c = d.counts()
    if lang == "th":
        subject = (f"{PRODUCT[0]}: สรุปประจำวันที่ {_day(d.day, lang)} — ข้อสังเกตใหม่ {c['new_flags']} รายการ "
                   f"ใกล้ครบกำหนด {c['duties'] + c['deadlines']} รายการ")
        greeting = f"เรียน {d.display_name}"
        intro = (f"สรุปสิ่งที่เกิดขึ้นใหม่และสิ่งที่ใกล้ครบกำหนดในขอบเขตที่ท่านรับผิดชอบ ณ วันที่ {_day(d.day, lang)} "
                 "รายละเอียดอ่านได้ในระบบหลังเข้าสู่ระบบ")
        more = "และอีก {n} รายการ: {url}"
        footer = (f"ท่านได้รับอีเมลนี้เพราะตั้งค่ารับสรุปประจำวันไว้ ยกเลิกได้ที่หน้า “การแจ้งเตือน” ในระบบ: "
                  f"{link(base_url, 'notifications')}")
    else:
        subject = (f"{PRODUCT[1]}: digest of {_day(d.day, lang)} — {_n(c['new_flags'], 'new flag', 'new flags')}, "
                   f"{c['duties'] + c['deadlines']} due soon")
        greeting = f"Dear {d.display_name},"
        intro = (f"What is new and what is due soon within your responsibilities as of {_day(d.day, lang)}. "
                 "Read the details in the app, after logging in.")
        more = "and {n} more: {url}"
        footer = (f"You receive this because your daily digest is on; turn it off on the app's Notifications page: "
                  f"{link(base_url, 'notifications')}")
    text = [greeting, "", intro, ""]
    body = [f"<p>{html.escape(greeting)}</p>", f"<p>{html.escape(intro)}</p>"]
    for heading, lines, total, url_all in parts:
        text += [heading, "-" * min(60, len(heading))]
        body.append(f"<h3>{html.escape(heading)}</h3><ul>")
        for line, url in lines:
            text.append(f"• {line}\n  {url}")
            body.append(f'<li><a href="{html.escape(url, quote=True)}">{html.escape(line)}</a></li>')
        if total > len(lines):
            text.append("  " + more.format(n=total - len(lines), url=url_all))
            body.append(f'<li><a href="{html.escape(url_all, quote=True)}">'
                        f'{html.escape(more.format(n=total - len(lines), url="").rstrip(": "))}</a></li>')
        text.append("")
        body.append("</ul>")
    text += ["--", footer]
    body.append(f"<hr><p><small>{html.escape(footer)}</small></p>")
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = to
    msg["Message-ID"] = message_id
    msg["Date"] = _date_header()
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a digest
    msg.set_content("\n".join(text), charset="utf-8")
    msg.add_alternative(f'<!DOCTYPE html><html lang="{lang}"><body>{"".join(body)}</body></html>', subtype="html",
                        charset="utf-8")
    return msg


def _date_header() -> str:
    from email.utils import format_datetime

    return format_datetime(dt.datetime.now(dt.timezone.utc))
