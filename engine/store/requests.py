"""Requests for information on a flag (issue 23 item 4): addressed to a named officer of the
flag's agency, with a reply-by date counted in working days on the government calendar in force
(``GovernmentCalendar.deadline(today, n, "working")``), answered in the app.

A request is the flag's ``request_info`` event and its answer the ``answer`` event, written by
``review.act`` like every decision (keyed, hash-chained); the ``information_requests`` row is
what lists and digests read, and each event names its row (``details.request_id``). ``audit
verify`` replays the rows from the events (``RequestReplay``): a row changed without its event —
a reply-by date moved, an answer rewritten by SQL — is named there.

A request awaits its answer while it is the flag's latest and the flag still needs the
information (``needs_info``): a flag decided, reopened or cleared meanwhile closes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.domain.thai import format_date
from engine.kb.knowledge import load_kb
from engine.domain.errors import ReviewError
from engine.store.schema import FlagRow, InformationRequest, OfficerRow
from engine.store.scope import READ, NotFound, Scope

PARAMETER = "information_reply_within_days"
MAX_DAYS = 60  # working days: about three months; a longer wait is not a request for information


class RequestError(ReviewError):
    """A request that cannot be made as asked (no such officer in the flag's agency, a period out of range)."""


def default_days() -> int:
    """The knowledge base's reply period in working days (``information_reply_within_days``)."""
    return int(load_kb().parameters[PARAMETER].default)  # type: ignore[arg-type]


def reply_by(session: Session, scope: Scope, days: int, today: dt.date) -> dt.date:
    """The reply-by date of a request made ``today``: the ``days``-th working day after it, on the
    government calendar in force (the knowledge base's with the days off an administrator recorded)."""
    from engine.store.province import government_calendar

    scope.require(READ)
    return government_calendar(session, scope).deadline(today, days, "working")


def prepare(session: Session, scope: Scope, flag: FlagRow, officer_id: str | None, days: int | None,
            today: dt.date) -> dict[str, Any]:
    """What a request on ``flag`` records besides its question (``review.act`` calls it before it
    changes anything): the officer it is addressed to, the period in working days and the reply-by
    date. Without an officer (a caller from before addressees), nothing but the question."""
    if officer_id is None or not str(officer_id).strip():
        if days is not None:
            raise RequestError("ต้องระบุเจ้าหน้าที่ผู้ต้องตอบคำขอ / a request with a reply-by period needs the "
                               "officer it is addressed to")
        return {}
    officer_id = str(officer_id).strip()
    officer = session.get(OfficerRow, officer_id)
    if officer is None or officer.agency_id != flag.agency_id:  # never says whether another agency has them
        raise RequestError(f"ไม่มีเจ้าหน้าที่รหัส {officer_id} ในหน่วยงานของข้อสังเกตนี้ / no officer {officer_id} in "
                           "the flag's agency")
    days = default_days() if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise RequestError(f"ระยะเวลาตอบต้องเป็น 1–{MAX_DAYS} วันทำการ ไม่ใช่ {days!r} / the reply period is 1–"
                           f"{MAX_DAYS} working days, not {days!r}")
    return {"officer_id": officer_id, "reply_within_days": days,
            "reply_by": reply_by(session, scope, days, today).isoformat()}


def record(session: Session, scope: Scope, flag: FlagRow, question: str, prepared: dict[str, Any],
           at: dt.datetime) -> int:
    """The request's row (``review.act``, after the flag's change, before its event at ``at``); its id."""
    row = InformationRequest(flag_id=flag.flag_id, agency_id=flag.agency_id, officer_id=prepared.get("officer_id"),
                             question=question, asked_by=scope.username, asked_at=at,
                             reply_within_days=prepared.get("reply_within_days"),
                             reply_by=dt.date.fromisoformat(prepared["reply_by"]) if prepared.get("reply_by") else None)
    session.add(row)
    session.flush()
    return row.id


def answer(session: Session, scope: Scope, flag: FlagRow, text: str, at: dt.datetime) -> int | None:
    """The answer on the flag's latest request, if it awaits one (``review.act``'s ``answer``, its
    event at ``at``); its id."""
    row = session.scalar(select(InformationRequest).where(InformationRequest.flag_id == flag.flag_id)
                         .order_by(InformationRequest.id.desc()).limit(1))
    if row is None or row.answer is not None:
        return None
    row.answer, row.answered_by, row.answered_at = text, scope.username, at
    session.flush()
    return row.id


def of_flag(session: Session, scope: Scope, flag_id: str) -> list[dict[str, Any]]:
    """The requests on a flag the user sees, oldest first."""
    scope.require(READ)
    flag = session.get(FlagRow, flag_id)
    if flag is None or not scope.sees(flag.agency_id):
        raise NotFound(f"no flag {flag_id}")
    rows = session.scalars(select(InformationRequest).where(InformationRequest.flag_id == flag_id)
                           .order_by(InformationRequest.id)).all()
    return [{c.name: getattr(r, c.name) for c in InformationRequest.__table__.columns} for r in rows]


def answered_since(session: Session, scope: Scope, since: dt.datetime | None, until: dt.datetime
                   ) -> list[dict[str, Any]]:
    """The answers to the user's own requests recorded after ``since`` (None: ever) up to ``until``,
    within the agencies the user sees, oldest first: what a digest tells the one who asked."""
    scope.require(READ)
    stmt = (select(InformationRequest, FlagRow.subject_type, FlagRow.subject_id, FlagRow.rule_id)
            .join(FlagRow, FlagRow.flag_id == InformationRequest.flag_id)
            .where(InformationRequest.asked_by == scope.username, InformationRequest.answered_at.is_not(None),
                   InformationRequest.answered_at <= until))
    if since is not None:
        stmt = stmt.where(InformationRequest.answered_at > since)
    if scope.agency_filter():
        stmt = stmt.where(InformationRequest.agency_id == scope.agency_filter())
    return [{**{c.name: getattr(r, c.name) for c in InformationRequest.__table__.columns},
             "subject_type": subject_type, "subject_id": subject_id, "rule_id": rule_id}
            for r, subject_type, subject_id, rule_id in session.execute(stmt.order_by(InformationRequest.answered_at))]


def sentence(r: dict[str, Any], lang: str = "th") -> str:
    """A request as the flag's page and a digest say it: to whom, by when."""
    if r.get("reply_by") is None:
        return "คำขอข้อมูล (ไม่ระบุผู้ตอบ)" if lang == "th" else "request for information (no addressee)"
    day = r["reply_by"] if isinstance(r["reply_by"], dt.date) else dt.date.fromisoformat(r["reply_by"])
    if lang == "th":
        return f"ขอให้ {r['officer_id']} ตอบภายใน {format_date(day, 'th')} ({r['reply_within_days']} วันทำการ)"
    return f"asked of {r['officer_id']}, reply by {day.isoformat()} ({r['reply_within_days']} working days)"


# -- audit verify: the rows replayed from the flags' events ----------------------------------------

REQUEST_FIELDS = ("flag_id", "officer_id", "question", "reply_by", "asked_by", "answer", "answered_by")
FIELD_NAMES = {"flag_id": ("ข้อสังเกต", "flag"), "officer_id": ("เจ้าหน้าที่ผู้ต้องตอบ", "addressee"),
               "question": ("คำถาม", "question"), "reply_by": ("ตอบภายใน", "reply-by date"),
               "asked_by": ("ผู้ขอ", "asked by"), "answer": ("คำตอบ", "answer"),
               "answered_by": ("ผู้บันทึกคำตอบ", "answered by")}


class RequestReplay:
    """Each request's row as the flags' events say (``request_info`` makes it; ``answer`` fills
    its answer), fed event by event from ``flag_events`` in id order."""

    rows = "information_requests"

    def __init__(self) -> None:
        self.state: dict[int, list[Any]] = {}  # request id -> REQUEST_FIELDS values and the last event id

    def feed(self, event_id: int, e: dict[str, Any]) -> None:
        details = e.get("details") or {}
        request_id = details.get("request_id")
        if request_id is None:
            return
        if e["action"] == "request_info":
            self.state[request_id] = [e["flag_id"], details.get("officer_id"), e["reason"], details.get("reply_by"),
                                      e["actor"], None, None, event_id]
        elif e["action"] == "answer" and request_id in self.state:
            st = self.state[request_id]
            st[5], st[6], st[7] = e["reason"], e["actor"], event_id

    def mismatches(self, session: Session) -> tuple[list, int]:
        out, seen, compared = [], set(), 0
        t = InformationRequest.__table__
        for row in session.execute(select(t.c.id, *(t.c[f] for f in REQUEST_FIELDS)).order_by(t.c.id)):
            compared += 1
            seen.add(row[0])
            stored = [v.isoformat() if isinstance(v, dt.date) else v for v in row[1:]]
            st = self.state.get(row[0])
            if st is None:
                out.append((self.rows, row[0], "ไม่มีเหตุการณ์ขอข้อมูลในประวัติของข้อสังเกต: ถูกเพิ่มโดยไม่ผ่านระบบ / "
                                               "no request_info event names it: it was added without the trail"))
                continue
            diff = [(f, s, r) for f, s, r in zip(REQUEST_FIELDS, stored, st) if s != r]
            if diff:
                th = ", ".join(f"{FIELD_NAMES[f][0]} ในตารางคือ {_shown(s)} แต่ประวัติบอกว่า {_shown(r)}" for f, s, r in diff)
                en = ", ".join(f"its {FIELD_NAMES[f][1]} is {_shown(s)} but its events say {_shown(r)}" for f, s, r in diff)
                out.append((self.rows, row[0], f"คำขอข้อมูลถูกแก้ไขโดยไม่มีเหตุการณ์ในประวัติ: {th} (เหตุการณ์ล่าสุด #{st[7]}) / "
                                               f"the request was changed without an event in its trail: {en} "
                                               f"(last event #{st[7]})"))
        for request_id in sorted(set(self.state) - seen):
            out.append((self.rows, request_id, f"ประวัติบอกว่ามีคำขอนี้ (เหตุการณ์ #{self.state[request_id][7]}) แต่ไม่มีในตาราง: "
                                               f"ถูกลบ / its events say the request exists (event "
                                               f"#{self.state[request_id][7]}) but there is no such row: it was deleted"))
        return out, compared


def _shown(value: Any) -> str:
    return "(none)" if value is None else repr(value)
