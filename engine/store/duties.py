"""Duties due soon, in the store (issue 23 item 1): what a run found due within
``warn_within_working_days`` and not yet late (``FlagRenderer.duty``: each the duty of a rule
that flags it the day after), the confirmed flags' corrective actions a run reads for rule
1.8-corrective-action-overdue and its warnings, and the list the app and the digest show — the
run's duties, the requests for information awaiting an answer, and the self-assessment
campaigns' deadlines — counted on the government calendar in force, soonest first.

Who sees what: the user's scope (an agency, or every agency). An account linked to an officer
(``users.officer_id``, issue 20 item 3, when the store has it) sees, unless it heads the agency
or sits on its ethics committee, the duties of that officer and of the officers under them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from engine.domain.calendar import GovernmentCalendar, today
from engine.evaluation.render import left_words
from engine.kb.knowledge import load_kb
from engine.rules.context import CorrectiveAction
from engine.store.bulk import bulk_insert
from engine.store.schema import (
    AgencyRow,
    Assessment,
    Campaign,
    DutyRow,
    EvaluationRun,
    FlagRow,
    InformationRequest,
    OfficerRow,
    User,
)
from engine.store.scope import IMPORT, READ, Scope

# the roles that answer for their whole agency even when their account names an officer
WHOLE_AGENCY = ("agency_head", "ethics_committee")
KINDS = ("duty", "request", "campaign")
KIND_NAMES = {"duty": ("หน้าที่ตามเกณฑ์การตรวจสอบ", "Duty under a rule"),
              "request": ("คำขอข้อมูลเพิ่มเติม", "Request for information"),
              "campaign": ("กำหนดส่งผลการประเมินตนเอง", "Self-assessment due")}


def confirmed_rows(scope: Scope) -> Select:
    """The confirmed flags with a corrective-action due date the user sees, as (agency, flag id,
    due date, rule, subject type, subject id) rows: what a store run reads for 1.8."""
    stmt = (select(FlagRow.agency_id, FlagRow.flag_id, FlagRow.due_date, FlagRow.rule_id, FlagRow.subject_type,
                   FlagRow.subject_id)
            .where(FlagRow.status == "confirmed", FlagRow.due_date.is_not(None)).order_by(FlagRow.flag_id))
    if scope.agency_filter():
        stmt = stmt.where(FlagRow.agency_id == scope.agency_filter())
    return stmt


def corrective_actions(rows: Iterable[tuple[Any, ...]]) -> dict[str, list[CorrectiveAction]]:
    """``confirmed_rows``' rows per agency, as the evaluation reads them."""
    out: dict[str, list[CorrectiveAction]] = {}
    for agency, flag_id, due, rule_id, subject_type, subject_id in rows:
        out.setdefault(agency, []).append(CorrectiveAction(flag_id, due, rule_id, subject_type, subject_id))
    return out


_COLUMNS = ("agency_id", "rule_id", "measure", "subject_type", "subject_id", "applicant", "process_id",
            "officer_id", "flag_id", "due_on", "working_days_left", "message_th", "message_en")


def replace_duties(session: Session, scope: Scope, run_id: int, agencies: Iterable[str],
                   due: Iterable[dict[str, Any]]) -> int:
    """The run's duties (``FlagRenderer.duty`` rows) in place of those stored for ``agencies``
    (the agencies it evaluated: an agency left out keeps the duties its last run found), in the
    caller's transaction — the run's, with its flags. Returns how many were written."""
    scope.require(IMPORT)
    agencies = sorted({a for a in agencies if scope.sees(a)})
    if not agencies:
        return 0
    for i in range(0, len(agencies), 1000):
        session.execute(delete(DutyRow).where(DutyRow.agency_id.in_(agencies[i:i + 1000])))
    wanted = set(agencies)
    rows = [{"run_id": run_id, **{c: d.get(c) for c in _COLUMNS}} for d in due if d["agency_id"] in wanted]
    for row in rows:
        row["due_on"] = dt.date.fromisoformat(row["due_on"])
    bulk_insert(session, DutyRow.__table__, rows)
    return len(rows)


def linked_officer(session: Session, scope: Scope) -> str | None:
    """The officer the user's account is linked to (``users.officer_id``), or None: no link, or a
    store without accounts linked to officers yet."""
    column = getattr(User, "officer_id", None)
    if column is None:
        return None
    return session.scalar(select(column).where(User.username == scope.username))


def team(session: Session, scope: Scope, officer_id: str) -> set[str]:
    """``officer_id`` and every officer under them (whose chain of supervisors includes them), of
    the agencies the user sees."""
    stmt = select(OfficerRow.officer_id, OfficerRow.supervisor_id)
    if scope.agency_filter():
        stmt = stmt.where(OfficerRow.agency_id == scope.agency_filter())
    below: dict[str, list[str]] = {}
    for officer, boss in session.execute(stmt):
        if boss is not None:
            below.setdefault(boss, []).append(officer)
    out, todo = {officer_id}, [officer_id]
    while todo:
        for o in below.get(todo.pop(), ()):
            if o not in out:
                out.add(o)
                todo.append(o)
    return out


def _left(calendar: GovernmentCalendar, reference: dt.date, day: dt.date) -> tuple[int, bool]:
    """Working days from ``reference`` to ``day`` and whether ``day`` has passed (then the
    working days since it)."""
    if day >= reference:
        return calendar.working_days(reference, day), False
    return calendar.working_days(day, reference), True


def due_soon(session: Session, scope: Scope, on: dt.date | None = None, calendar: GovernmentCalendar | None = None,
             agency_id: str | None = None, officer_id: str | None = None,
             kinds: Iterable[str] = KINDS) -> list[dict[str, Any]]:
    """What the user must see to before its deadline, soonest first, counted from ``on`` (default
    today in Bangkok) on ``calendar`` (default: the government calendar in force):

    * ``duty``: the duties the latest run of each agency listed (each the duty of a rule that
      flags it the day after; one whose day has passed since is ``late``: the next run flags it);
    * ``request``: requests for information awaiting an answer (the flag still needs it), however
      far their reply-by date;
    * ``campaign``: a self-assessment campaign's due date, for an agency that has not submitted,
      within ``warn_within_working_days`` (the knowledge base's) or passed.

    Each item: kind, agency_id, due_on, working_days_left (or, when ``late``, the working days
    since), late, message_th/en, rule_id, measure, subject_type/id, process_id, officer_id,
    flag_id, request_id, question, case_id (the case it concerns, for a link), campaign_id.
    ``agency_id`` / ``officer_id`` narrow the list (``officer_id``: that officer's own items)."""
    scope.require(READ)
    on = on or today()
    if calendar is None:
        from engine.store.province import government_calendar

        calendar = government_calendar(session, scope)
    linked = linked_officer(session, scope)
    officers: set[str] | None = None
    if linked is not None and scope.role not in WHOLE_AGENCY and not scope.all_agencies:
        officers = team(session, scope, linked)
    if officer_id is not None:
        officers = {officer_id} if officers is None else officers & {officer_id}
    agency = agency_id or scope.agency_filter()
    if agency is not None and not scope.sees(agency):
        return []
    out: list[dict[str, Any]] = []
    kinds = set(kinds)
    if "duty" in kinds:
        out += _duties(session, agency, officers, calendar, on)
    if "request" in kinds:
        out += _requests(session, agency, officers, linked, calendar, on)
    if "campaign" in kinds and officers is None:
        out += _campaigns(session, scope, agency, calendar, on)
    out.sort(key=lambda d: (d["due_on"], d["agency_id"], KINDS.index(d["kind"]), d["rule_id"] or "",
                            d["subject_id"] or "", d["flag_id"] or ""))
    return out


def _item(kind: str, agency_id: str, due_on: dt.date, left: tuple[int, bool], message_th: str, message_en: str,
          **fields: Any) -> dict[str, Any]:
    base = dict.fromkeys(("rule_id", "measure", "subject_type", "subject_id", "process_id", "officer_id", "flag_id",
                          "request_id", "question", "case_id", "campaign_id"))
    return {**base, "kind": kind, "agency_id": agency_id, "due_on": due_on, "working_days_left": left[0],
            "late": left[1], "message_th": message_th, "message_en": message_en, **fields}


def _duties(session: Session, agency: str | None, officers: set[str] | None, calendar: GovernmentCalendar,
            on: dt.date) -> list[dict[str, Any]]:
    stmt = select(DutyRow, EvaluationRun.as_of).join(EvaluationRun, EvaluationRun.id == DutyRow.run_id)
    if agency is not None:
        stmt = stmt.where(DutyRow.agency_id == agency)
    if officers is not None:
        stmt = stmt.where(DutyRow.officer_id.in_(sorted(officers)))
    out = []
    for d, as_of in session.execute(stmt.order_by(DutyRow.due_on, DutyRow.id)).all():
        left = _left(calendar, on, d.due_on)
        th, en = _reworded(d, as_of, on, left[0])
        out.append(_item("duty", d.agency_id, d.due_on, left, th, en,
                         rule_id=d.rule_id, measure=d.measure, subject_type=d.subject_type, subject_id=d.subject_id,
                         process_id=d.process_id, officer_id=d.officer_id, flag_id=d.flag_id,
                         case_id=d.subject_id if d.subject_type == "case" else None))
    return out


def _reworded(d: DutyRow, as_of: dt.date, on: dt.date, left: int) -> tuple[str, str]:
    """The duty's warning as of ``on``: its run worded the time left from the run's ``as_of``
    (``render.left_words``, last in the message); counted again from ``on``."""
    if on == as_of:
        return d.message_th, d.message_en
    out = []
    for text, lang in ((d.message_th, "th"), (d.message_en, "en")):
        was = f"({left_words(d.due_on, as_of, d.working_days_left, lang)})"
        now = f"({left_words(d.due_on, on, left, lang)})"
        head, found, tail = text.rpartition(was)
        out.append(head + now + tail if found else text)
    return out[0], out[1]


def awaiting_requests(agency: str | None = None) -> Select:
    """Requests for information awaiting an answer: not answered, the flag still needs the
    information (``needs_info``), and the latest request on it (an earlier one was closed when
    the flag left ``needs_info``)."""
    latest = (select(InformationRequest.flag_id, func.max(InformationRequest.id).label("id"))
              .group_by(InformationRequest.flag_id).subquery())
    stmt = (select(InformationRequest, FlagRow.subject_type, FlagRow.subject_id, FlagRow.rule_id, FlagRow.measure)
            .join(latest, latest.c.id == InformationRequest.id)
            .join(FlagRow, FlagRow.flag_id == InformationRequest.flag_id)
            .where(InformationRequest.answer.is_(None), FlagRow.status == "needs_info"))
    if agency is not None:
        stmt = stmt.where(InformationRequest.agency_id == agency)
    return stmt


def _requests(session: Session, agency: str | None, officers: set[str] | None, linked: str | None,
              calendar: GovernmentCalendar, on: dt.date) -> list[dict[str, Any]]:
    stmt = awaiting_requests(agency)
    if officers is not None:
        stmt = stmt.where(InformationRequest.officer_id.in_(sorted(officers)))
    pending = select(InformationRequest.officer_id).where(InformationRequest.answer.is_(None))
    names = dict(session.execute(select(OfficerRow.officer_id, OfficerRow.name)
                                 .where(OfficerRow.officer_id.in_(pending))).all())
    out = []
    for r, subject_type, subject_id, rule_id, measure in session.execute(stmt.order_by(InformationRequest.id)):
        if r.reply_by is None:  # a request made before requests had an addressee: nobody's deadline
            continue
        who = f"{names.get(r.officer_id, r.officer_id)} ({r.officer_id})" if r.officer_id else "—"
        subject_th = f"{'เรื่อง' if subject_type == 'case' else ''} {subject_id}".strip()
        out.append(_item(
            "request", r.agency_id, r.reply_by, _left(calendar, on, r.reply_by),
            f"{who} ต้องตอบคำขอข้อมูลเพิ่มเติมเกี่ยวกับข้อสังเกตของ{subject_th} ({rule_id}) ภายใน "
            f"{_th_date(r.reply_by)}: {r.question}",
            f"{who} must answer a request for information on the flag of {subject_type} {subject_id} ({rule_id}) "
            f"by {r.reply_by.isoformat()}: {r.question}",
            rule_id=rule_id, measure=measure, subject_type=subject_type, subject_id=subject_id,
            officer_id=r.officer_id, flag_id=r.flag_id, request_id=r.id, question=r.question,
            case_id=subject_id if subject_type == "case" else None))
    return out


def _th_date(day: dt.date) -> str:
    from engine.domain.thai import format_date

    return format_date(day, "th")


def _campaigns(session: Session, scope: Scope, agency: str | None, calendar: GovernmentCalendar,
               on: dt.date) -> list[dict[str, Any]]:
    warn = load_kb().parameters["warn_within_working_days"].default
    agencies = {a: n for a, n in session.execute(select(AgencyRow.agency_id, AgencyRow.name)).all()
                if scope.sees(a) and (agency is None or a == agency)}
    out = []
    for c in session.scalars(select(Campaign).order_by(Campaign.due_date)):
        left = _left(calendar, on, c.due_date)
        if not left[1] and left[0] > warn:
            continue
        submitted = set(session.scalars(select(Assessment.agency_id).where(
            Assessment.campaign_id == c.id, Assessment.status == "submitted")))
        waiting = sorted(a for a in agencies if a not in submitted)
        if not waiting:
            continue
        if agency is None and scope.all_agencies:  # the province: one line per campaign
            out.append(_item(
                "campaign", "", c.due_date, left,
                f"การประเมินตนเองปีงบประมาณ {c.fiscal_year} กำหนดส่ง {_th_date(c.due_date)}: ยังไม่ส่ง {len(waiting)} หน่วยงาน",
                f"Self-assessment of fiscal year {c.fiscal_year} due {c.due_date.isoformat()}: "
                f"{len(waiting)} agencies have not submitted", campaign_id=c.id))
            continue
        for a in waiting:
            out.append(_item(
                "campaign", a, c.due_date, left,
                f"หน่วยงาน {agencies[a]} ต้องส่งผลการประเมินตนเองปีงบประมาณ {c.fiscal_year} ภายใน {_th_date(c.due_date)}",
                f"Agency {agencies[a]} must submit its self-assessment of fiscal year {c.fiscal_year} by "
                f"{c.due_date.isoformat()}", campaign_id=c.id))
    return out



def of_case(session: Session, scope: Scope, case_id: str, on: dt.date | None = None) -> dict[str, Any] | None:
    """A case the user sees (None otherwise, whether or not it exists): its record (with its reports
    and notices), its flags (newest first) and what is due for it (``due_soon``'s items)."""
    from engine.store.data import case_record

    scope.require(READ)
    record = case_record(session, scope, case_id)
    if record is None:
        return None
    flags = session.execute(select(FlagRow.flag_id, FlagRow.rule_id, FlagRow.severity, FlagRow.status,
                                   FlagRow.message_th, FlagRow.message_en, FlagRow.created_at)
                            .where(FlagRow.subject_type == "case", FlagRow.subject_id == case_id,
                                   FlagRow.agency_id == record["agency_id"])
                            .order_by(FlagRow.created_at.desc(), FlagRow.flag_id)).all()
    due = [i for i in due_soon(session, scope, on=on, agency_id=record["agency_id"]) if i["case_id"] == case_id]
    return {"record": record, "flags": [dict(f._mapping) for f in flags], "due": due}
