"""The terms of a case — one decision, or a pending request — at ``as_of`` (SPEC §3).

A fact dated after ``as_of`` does not exist yet: a decision, review, report, notice or
investigation dated later counts as not done. Deadlines are counted on the government
calendar (``engine.domain.calendar``) with the case's own parameter values: its process's,
else its agency's, else the run's (``c.limits``), as the agency's orders stood on the case's
*reference date* — its decided_on when decided, else as_of: an order made later does not
reach back to judge an earlier decision (SPEC §3 "Parameters", "In force").

The examples build a small dataset (``engine.rules.terms.examples``): agency A1, its head H1
and officer O1 (supervised by H1), process P1 (discretionary public service, 15 working days,
IT system "e-Service") and case C1 of O1, received Wednesday 1 May 2024, decided Monday
20 May 2024 and reviewed by H1 on 22 May 2024, seen at Friday 28 June 2024.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from engine.domain.models import Case, DelayNotice, Escalation, Officer, Process
from engine.domain.models import outcome_kind as outcome_kind_of
from engine.domain.thai import format_date
from engine.rules.context import RunContext
from engine.rules.terms.registry import Subject, Terms

terms = Terms("case")
term = terms.term


class CaseFacts(Subject):
    """A case at ``as_of``: ``row`` is its record, ``process`` and ``officer`` its process and
    deciding officer, ``params``/``limits`` its parameters (with sources / values only)."""

    kind = "case"
    terms = terms

    def __init__(self, run: RunContext, row: Case, agency: str):
        self.run, self.row, self.agency, self.id, self.as_of = run, row, agency, row.case_id, run.as_of
        self.process: Process = run.processes[row.process_id]
        self.officer: Officer = run.officers[row.officer_id]
        decided = row.decided_on
        self.reference_date = decided if decided is not None and decided <= run.as_of else run.as_of
        self.params, self.limits = run.parameters(agency, row.process_id, self.reference_date)

    @property
    def link(self) -> tuple[str, str, dt.date]:
        """What the review queue files a flag of this case under: process, officer, and its date
        (decided, else received)."""
        return self.row.process_id, self.row.officer_id, self.row.decided_on or self.row.received_on


def subjects(run: RunContext, agency_id: str, lo: int, hi: int) -> Iterator[CaseFacts]:
    """The agency's cases lo to hi (in case-id order) that exist at as_of: received on or before it."""
    as_of = run.as_of
    for c in run.cases_by_id.get(agency_id, [])[lo:hi]:
        if c.received_on <= as_of:
            yield CaseFacts(run, c, agency_id)


def _on_or_before(day: dt.date | None, as_of: dt.date) -> dt.date | None:
    return day if day is not None and day <= as_of else None


# -- the record as of as_of ------------------------------------------------------------------

@term("เลขที่เรื่อง", "case id")
def case_id(c: CaseFacts) -> str:
    """The case's id.

    >>> case().case_id
    'C1'
    """
    return c.row.case_id


@term("กระบวนงาน", "process")
def process_id(c: CaseFacts) -> str:
    """The process the case belongs to (cases.process_id).

    >>> case().process_id
    'P1'
    """
    return c.row.process_id


@term("ชื่อกระบวนงาน", "process name")
def process_name(c: CaseFacts) -> str:
    """The name of the case's process.

    >>> case(process={"name": "ขออนุญาตก่อสร้าง"}).process_name
    'ขออนุญาตก่อสร้าง'
    """
    return c.process.name


@term("ผู้พิจารณา", "deciding officer")
def officer_id(c: CaseFacts) -> str:
    """The officer who decides the case (cases.officer_id).

    >>> case().officer_id
    'O1'
    """
    return c.row.officer_id


@term("ผู้ยื่นคำขอ", "applicant")
def applicant_id(c: CaseFacts) -> str | None:
    """The pseudonymous applicant (cases.applicant_id), or None.

    >>> case(applicant_id="X9").applicant_id
    'X9'
    """
    return c.row.applicant_id


@term("วันที่รับคำขอ", "received on")
def received_on(c: CaseFacts) -> dt.date:
    """The day the request was received.

    >>> case().received_on
    datetime.date(2024, 5, 1)
    """
    return c.row.received_on


@term("วันที่คำขอครบถ้วน", "complete on")
def complete_on(c: CaseFacts) -> dt.date | None:
    """The day the application was complete, as recorded (None: not recorded).

    >>> case(complete_on="2024-05-03").complete_on
    datetime.date(2024, 5, 3)
    """
    return c.row.complete_on


@term("วันเริ่มนับระยะเวลา", "counted from")
def start_on(c: CaseFacts) -> dt.date:
    """The day time limits count from: complete_on, else received_on.

    >>> case().start_on, case(complete_on="2024-05-03").start_on
    (datetime.date(2024, 5, 1), datetime.date(2024, 5, 3))
    """
    return c.row.complete_on or c.row.received_on


@term("วันที่พิจารณา", "decided on")
def decided_on(c: CaseFacts) -> dt.date | None:
    """decided_on, when it is on or before as_of (a decision dated later is not made yet).

    >>> case().decided_on, case(as_of="2024-05-19").decided_on
    (datetime.date(2024, 5, 20), None)
    """
    return _on_or_before(c.row.decided_on, c.as_of)


@term("วันที่ผู้บังคับบัญชาสอบทาน", "checked on")
def reviewed_on(c: CaseFacts) -> dt.date | None:
    """reviewed_on, when it is on or before as_of.

    >>> case().reviewed_on, case(as_of="2024-05-21").reviewed_on
    (datetime.date(2024, 5, 22), None)
    """
    return _on_or_before(c.row.reviewed_on, c.as_of)


@term("ผู้สอบทาน", "checked by")
def reviewed_by(c: CaseFacts) -> str | None:
    """reviewed_by, when the review is on or before as_of.

    >>> case().reviewed_by, case(as_of="2024-05-21").reviewed_by
    ('H1', None)
    """
    return c.row.reviewed_by if c.reviewed_on is not None else None


@term("ผลการพิจารณา", "outcome")
def outcome(c: CaseFacts) -> str | None:
    """The outcome as written (cases.outcome), or None.

    >>> case(outcome="ไม่อนุญาต").outcome
    'ไม่อนุญาต'
    """
    return c.row.outcome


@term("ผลการพิจารณา (อ่านเป็น)", "outcome read as")
def outcome_kind(c: CaseFacts) -> str | None:
    """The outcome read as ``approved`` (the request granted in full: approved, อนุมัติ, อนุญาต,
    ให้ตามคำขอ, เห็นชอบ), ``partial`` (partial, อนุมัติบางส่วน, อนุญาตบางส่วน) or ``denied`` (denied,
    refused, ไม่อนุมัติ, ไม่อนุญาต, ยกคำขอ, ปฏิเสธ), any case, surrounding space ignored; None for
    none or another text (SPEC §2 v3).

    >>> case(outcome=" อนุญาต ").outcome_kind, case(outcome="Partial").outcome_kind, case(outcome="รอ").outcome_kind
    ('approved', 'partial', None)
    """
    return outcome_kind_of(c.row.outcome)


_OUTCOME_WORDS = {"approved": ("อนุญาตตามคำขอทั้งหมด", "granted in full"), "partial": ("อนุญาตบางส่วน", "granted in part"),
                  "denied": ("ไม่อนุญาต", "refused")}


@term("ผลการพิจารณา", "outcome")
def outcome_th(c: CaseFacts) -> str:
    """The outcome in Thai words: what it is read as, else as written, else ไม่ได้บันทึก.

    >>> case(outcome="partial").outcome_th, case(outcome="รอเอกสาร").outcome_th, case(outcome=None).outcome_th
    ('อนุญาตบางส่วน', 'รอเอกสาร', 'ไม่ได้บันทึก')
    """
    if c.outcome_kind is not None:
        return _OUTCOME_WORDS[c.outcome_kind][0]
    return c.row.outcome or "ไม่ได้บันทึก"


@term("outcome", "outcome")
def outcome_en(c: CaseFacts) -> str:
    """The outcome in English words: what it is read as, else as written, else not recorded.

    >>> case(outcome="ยกคำขอ").outcome_en, case(outcome=None).outcome_en
    ('refused', 'not recorded')
    """
    if c.outcome_kind is not None:
        return _OUTCOME_WORDS[c.outcome_kind][1]
    return c.row.outcome or "not recorded"


@term("การปฏิบัติที่ไม่เป็นไปตามหลักเกณฑ์", "deviation")
def deviation(c: CaseFacts) -> str | None:
    """What the decision departed from (cases.deviation), or None.

    >>> case(deviation="ข้ามขั้นตอนตรวจสถานที่").deviation
    'ข้ามขั้นตอนตรวจสถานที่'
    """
    return c.row.deviation


@term("สายการบังคับบัญชา", "chain of command")
def chain(c: CaseFacts) -> list[str]:
    """The deciding officer's chain: their supervisor, that supervisor's supervisor, and so on.

    >>> case().chain
    ['H1']
    """
    return c.run.chain(c.row.officer_id)


# -- measure 1.1: supervisors review discretionary decisions ---------------------------------

@term("ใช้ดุลพินิจ", "discretion used")
def discretion_used(c: CaseFacts) -> bool:
    """The decision involved the official's discretion (cases.discretion_used).

    >>> case().discretion_used, case(discretion_used=False).discretion_used
    (True, False)
    """
    return c.row.discretion_used


@term("พิจารณาแล้ว", "decided")
def decided(c: CaseFacts) -> bool:
    """*decided*: decided_on ≤ as_of.

    >>> case().decided, case(decided_on=None, reviewed_on=None, reviewed_by=None).decided
    (True, False)
    """
    return c.decided_on is not None


@term("ผู้บังคับบัญชาสอบทานแล้ว", "checked")
def reviewed(c: CaseFacts) -> bool:
    """*reviewed*: reviewed_on ≤ as_of.

    >>> case().reviewed, case(as_of="2024-05-21").reviewed
    (True, False)
    """
    return c.reviewed_on is not None


@term("ผู้พิจารณามีผู้บังคับบัญชา", "supervised")
def supervised(c: CaseFacts) -> bool:
    """*Supervised case*: its deciding officer has a supervisor_id (the head's own decisions are not).

    >>> case().supervised, case(officer_id="H1", reviewed_by=None, reviewed_on=None).supervised
    (True, False)
    """
    return c.officer.supervisor_id is not None


@term("สอบทานแบบสุ่มตัวอย่าง", "sampled checks")
def review_sampled(c: CaseFacts) -> bool:
    """The process has review_sample_percent: the agency's order reviews a sample of its decisions.

    >>> case(process={"review_sample_percent": 20}).review_sampled
    True
    """
    return c.process.review_sample_percent is not None


@term("วันที่ต้องสอบทาน", "check due by")
def review_deadline(c: CaseFacts) -> dt.date | None:
    """deadline(decided_on, review_within_days) — working days (as recorded, even if after as_of).

    Example: decided Monday 20 May 2024, 7 working days; Wednesday 22 May is Visakha Bucha day.

    >>> case().review_deadline
    datetime.date(2024, 5, 30)
    """
    return (c.run.calendar.deadline(c.row.decided_on, c.limits["review_within_days"], "working")
            if c.row.decided_on else None)


@term("พ้นวันที่ต้องสอบทานแล้ว", "check deadline passed")
def review_deadline_passed(c: CaseFacts) -> bool:
    """decided, and as_of > deadline(decided_on, review_within_days).

    >>> case(as_of="2024-05-30").review_deadline_passed, case(as_of="2024-05-31").review_deadline_passed
    (False, True)
    """
    return c.decided_on is not None and c.as_of > c.review_deadline


@term("สอบทานหลังวันที่ต้องสอบทาน", "checked late")
def reviewed_late(c: CaseFacts) -> bool:
    """reviewed, and reviewed_on > deadline(decided_on, review_within_days).

    >>> case(reviewed_on="2024-05-30").reviewed_late, case(reviewed_on="2024-05-31").reviewed_late
    (False, True)
    """
    return c.reviewed_on is not None and c.review_deadline is not None and c.reviewed_on > c.review_deadline


@term("ผู้พิจารณาสอบทานเอง", "self-checked")
def self_reviewed(c: CaseFacts) -> bool:
    """reviewed, and reviewed_by is the deciding officer.

    >>> case(reviewed_by="O1").self_reviewed, case().self_reviewed
    (True, False)
    """
    return c.reviewed_by is not None and c.reviewed_by == c.row.officer_id


@term("ผู้สอบทานอยู่ในสายการบังคับบัญชา", "checker in the chain")
def reviewer_in_chain(c: CaseFacts) -> bool:
    """reviewed, and reviewed_by is in the officer's chain.

    >>> case().reviewer_in_chain, case(reviewed_by="O2").reviewer_in_chain
    (True, False)
    """
    return c.reviewed_by is not None and c.reviewed_by in c.chain


@term("ต้องสอบทานภายใน", "check due by")
def review_due(c: CaseFacts) -> dt.date | None:
    """While a supervised discretionary decision (not under sampled checks) awaits its check:
    the last day it may be checked, deadline(decided_on, review_within_days); else None. The
    duty 1.1-unreviewed flags the day after.

    >>> case(reviewed_on=None, reviewed_by=None).review_due, case().review_due
    (datetime.date(2024, 5, 30), None)
    """
    if (c.officer.supervisor_id is None or not c.row.discretion_used or c.decided_on is None
            or c.process.review_sample_percent is not None or c.reviewed_on is not None):
        return None
    return c.review_deadline


@term("ระบุข้อกฎหมายที่อ้างอิง", "legal basis given")
def has_legal_basis(c: CaseFacts) -> bool:
    """legal_basis is not empty.

    >>> case().has_legal_basis, case(legal_basis=None).has_legal_basis
    (True, False)
    """
    return c.row.legal_basis is not None


@term("อนุญาตตามคำขอทั้งหมด", "request granted in full")
def outcome_approved(c: CaseFacts) -> bool:
    """The outcome is read as ``approved``: the request granted in full.

    >>> case(outcome=" Approved ").outcome_approved, case(outcome="เห็นชอบ").outcome_approved
    (True, True)
    >>> case(outcome="อนุมัติบางส่วน").outcome_approved
    False
    """
    return c.outcome_kind == "approved"


@term("กระทบสิทธิหรือหน้าที่ของบุคคลอื่น", "affects others")
def affects_others(c: CaseFacts) -> bool:
    """Granting a request of the case's process affects the rights or duties of other persons
    (processes.affects_others; empty: no): its orders need stated reasons even when they grant
    the request in full (Administrative Procedure Act s.37 para 3 (1)).

    >>> case(process={"affects_others": True}).affects_others, case().affects_others
    (True, False)
    """
    return bool(c.process.affects_others)


@term("เหตุที่ต้องระบุเหตุผล", "why reasons are needed")
def reasons_th(c: CaseFacts) -> str:
    """Why the order needed stated reasons (APA s.37 para 3 (1)), in Thai words.

    >>> case(outcome="approved", process={"affects_others": True}).reasons_th.startswith("แม้อนุญาตตามคำขอทั้งหมด แต่")
    True
    """
    law = "พระราชบัญญัติวิธีปฏิบัติราชการทางปกครอง พ.ศ. 2539 มาตรา 37 วรรคสาม (1)"
    if c.outcome_approved:
        return f"แม้อนุญาตตามคำขอทั้งหมด แต่การอนุญาตในกระบวนงานนี้กระทบสิทธิหรือหน้าที่ของบุคคลอื่น จึงต้องระบุเหตุผล ตาม{law}"
    return f"คำสั่งที่ไม่ต้องระบุเหตุผลมีเฉพาะคำสั่งที่อนุญาตตามคำขอทั้งหมดและไม่กระทบสิทธิหรือหน้าที่ของบุคคลอื่น ตาม{law}"


@term("why reasons are needed", "why reasons are needed")
def reasons_en(c: CaseFacts) -> str:
    """Why the order needed stated reasons (APA s.37 para 3 (1)), in English words.

    >>> case(outcome="denied").reasons_en.startswith("only an order that grants the request in full")
    True
    """
    law = "Administrative Procedure Act B.E. 2539 s.37 para 3 (1)"
    if c.outcome_approved:
        return f"it grants the request in full, but its process affects other persons' rights or duties, so it needs reasons: {law}"
    return f"only an order that grants the request in full and affects no other person's rights or duties needs no reasons: {law}"


# -- measure 1.3: deviations are reported in order of rank and investigated ------------------

@term("ไม่เป็นไปตามหลักเกณฑ์", "deviates")
def deviates(c: CaseFacts) -> bool:
    """A case *deviates* when it is decided and its deviation is non-empty.

    >>> case(deviation="ข้ามขั้นตอน").deviates, case(deviation="ข้ามขั้นตอน", as_of="2024-05-19").deviates
    (True, False)
    """
    return c.decided_on is not None and c.row.deviation is not None


@term("กำหนดรายงานต่อผู้บังคับบัญชา", "report due by")
def escalation_deadline(c: CaseFacts) -> dt.date | None:
    """deadline(decided_on, escalation_within_days) — working days; None unless the case deviates.

    >>> case(deviation="ข้ามขั้นตอน").escalation_deadline
    datetime.date(2024, 5, 30)
    """
    return c.run.calendar.deadline(c.decided_on, c.limits["escalation_within_days"], "working") if c.deviates else None


@term("พ้นกำหนดรายงานต่อผู้บังคับบัญชาแล้ว", "report deadline passed")
def escalation_deadline_passed(c: CaseFacts) -> bool:
    """deviates, and as_of > deadline(decided_on, escalation_within_days).

    >>> case(deviation="x", as_of="2024-05-30").escalation_deadline_passed
    False
    >>> case(deviation="x", as_of="2024-05-31").escalation_deadline_passed
    True
    """
    return c.deviates and c.as_of > c.escalation_deadline


@term("ต้องรายงานภายใน", "report due by")
def report_due(c: CaseFacts) -> dt.date | None:
    """While a deviation awaits its report to a supervisor: deadline(decided_on,
    escalation_within_days); else None. The duty 1.3-unreported-deviation flags the day after.

    >>> case(deviation="x").report_due, case(deviation="x", escalations=[{"reported_on": "2024-05-21"}]).report_due
    (datetime.date(2024, 5, 30), None)
    """
    return c.escalation_deadline if c.deviates and not c.escalated else None


@term("รายงานของเรื่องนี้", "reports of the case")
def escalations(c: CaseFacts) -> list[Escalation]:
    """The case's escalations reported on or before as_of.

    >>> [e.report_id for e in case(escalations=[{"reported_on": "2024-05-21"}]).escalations]
    ['R1']
    """
    reported = c.run.escalations_by_case.get(c.row.case_id)
    return [e for e in reported if e.reported_on <= c.as_of] if reported else []


@term("รายงานต่อผู้บังคับบัญชาแล้ว", "reported")
def escalated(c: CaseFacts) -> bool:
    """An escalation for the case was reported on or before as_of.

    >>> case(escalations=[{"reported_on": "2024-05-21"}]).escalated
    True
    >>> case(escalations=[{"reported_on": "2024-07-01"}]).escalated
    False
    """
    return bool(c.escalations)


@term("รายงานที่ส่งนอกสายการบังคับบัญชา", "reports outside the chain")
def outside(c: CaseFacts) -> list[dict[str, Any]]:
    """Escalations (reported on or before as_of) by a reporter with a supervisor, sent to someone
    outside the reporter's chain (skipping a level is allowed).

    >>> case(escalations=[{"reported_to": "O2"}]).outside
    [{'report_id': 'R1', 'reported_by': 'O1', 'reported_to': 'O2', 'direct_supervisor': 'H1'}]
    """
    out = []
    for e in c.escalations:
        reporter = c.run.officers[e.reported_by]
        if reporter.supervisor_id is not None and e.reported_to not in c.run.chain(e.reported_by):
            out.append({"report_id": e.report_id, "reported_by": e.reported_by, "reported_to": e.reported_to,
                        "direct_supervisor": reporter.supervisor_id})
    return out


@term("จำนวนรายงานที่ส่งนอกสายการบังคับบัญชา", "reports outside the chain")
def escalations_outside_chain(c: CaseFacts) -> int:
    """How many of the case's escalations went outside the reporter's chain (``outside``).

    >>> case(escalations=[{"reported_to": "O2"}]).escalations_outside_chain
    1
    """
    return len(c.outside)


@term("รายงานที่ส่งนอกสายการบังคับบัญชา", "reports outside the chain")
def outside_th(c: CaseFacts) -> str:
    """``outside`` in Thai words.

    >>> case(escalations=[{"reported_to": "O2"}]).outside_th
    'R1 จาก O1 ถึง O2 (ผู้บังคับบัญชาโดยตรง: H1)'
    """
    return "; ".join(f"{o['report_id']} จาก {o['reported_by']} ถึง {o['reported_to']} "
                     f"(ผู้บังคับบัญชาโดยตรง: {o['direct_supervisor']})" for o in c.outside)


@term("reports outside the chain", "reports outside the chain")
def outside_en(c: CaseFacts) -> str:
    """``outside`` in English words.

    >>> case(escalations=[{"reported_to": "O2"}]).outside_en
    'R1 from O1 to O2 (direct supervisor: H1)'
    """
    return "; ".join(f"{o['report_id']} from {o['reported_by']} to {o['reported_to']} "
                     f"(direct supervisor: {o['direct_supervisor']})" for o in c.outside)


@term("รายงานที่หาข้อเท็จจริงล่าช้า", "reports investigated late")
def late_investigations(c: CaseFacts) -> list[dict[str, Any]]:
    """Escalations (reported on or before as_of) investigated after deadline(reported_on,
    investigation_within_days) — calendar days — or not yet investigated with as_of past it.

    >>> case(escalations=[{"reported_on": "2024-05-21"}]).late_investigations[0]["due"]
    datetime.date(2024, 6, 20)
    """
    out = []
    for e in c.escalations:
        due = c.run.calendar.deadline(e.reported_on, c.limits["investigation_within_days"], "calendar")
        closed = _on_or_before(e.investigated_on, c.as_of)
        if (closed is not None and closed > due) or (closed is None and c.as_of > due):
            out.append({"report_id": e.report_id, "reported_on": e.reported_on, "due": due, "investigated_on": closed})
    return out


@term("จำนวนรายงานที่ยังไม่ได้หาข้อเท็จจริงภายในกำหนด", "reports investigated late")
def escalations_investigated_late(c: CaseFacts) -> int:
    """How many escalations were investigated late, or not yet with as_of past their deadline.

    >>> case(escalations=[{"reported_on": "2024-05-21", "investigated_on": "2024-06-20"}]).escalations_investigated_late
    0
    >>> case(escalations=[{"reported_on": "2024-05-21", "investigated_on": "2024-06-21"}]).escalations_investigated_late
    1
    """
    return len(c.late_investigations)


@term("รายงานที่หาข้อเท็จจริงล่าช้า", "reports investigated late")
def late_th(c: CaseFacts) -> str:
    """``late_investigations`` in Thai words.

    >>> case(escalations=[{"reported_on": "2024-05-21"}]).late_th
    'รายงาน R1 ลงวันที่ 21 พ.ค. 2567 กำหนดหาข้อเท็จจริงภายใน 20 มิ.ย. 2567 ยังไม่ได้หาข้อเท็จจริง'
    """
    return "; ".join(
        f"รายงาน {r['report_id']} ลงวันที่ {format_date(r['reported_on'], 'th')} กำหนดหาข้อเท็จจริงภายใน "
        f"{format_date(r['due'], 'th')} "
        + (f"หาข้อเท็จจริงเมื่อ {format_date(r['investigated_on'], 'th')}" if r["investigated_on"]
           else "ยังไม่ได้หาข้อเท็จจริง")
        for r in c.late_investigations)


@term("reports investigated late", "reports investigated late")
def late_en(c: CaseFacts) -> str:
    """``late_investigations`` in English words.

    >>> case(escalations=[{"reported_on": "2024-05-21"}]).late_en
    'report R1 of 2024-05-21, due by 2024-06-20, still not investigated'
    """
    return "; ".join(
        f"report {r['report_id']} of {format_date(r['reported_on'], 'en')}, due by {format_date(r['due'], 'en')}, "
        + (f"investigated on {format_date(r['investigated_on'], 'en')}" if r["investigated_on"]
           else "still not investigated")
        for r in c.late_investigations)


@term("ต้องหาข้อเท็จจริงภายใน", "investigation due by")
def investigation_due(c: CaseFacts) -> dt.date | None:
    """The earliest deadline(reported_on, investigation_within_days) of the case's escalations
    still not investigated and not yet late; else None, and None too while another report of the
    case is already late (1.3-uninvestigated flags the case already). The duty 1.3-uninvestigated
    flags the day after.

    Example: reported 20 June 2024; 30 days end Saturday 20 July, and Monday 22 July is a day off.

    >>> case(escalations=[{"reported_on": "2024-06-20"}]).investigation_due
    datetime.date(2024, 7, 23)
    >>> case(escalations=[{"reported_on": "2024-05-21"}]).investigation_due is None
    True
    """
    if c.late_investigations:
        return None
    dues = []
    for e in c.escalations:
        if _on_or_before(e.investigated_on, c.as_of) is None:
            due = c.run.calendar.deadline(e.reported_on, c.limits["investigation_within_days"], "calendar")
            if due >= c.as_of:
                dues.append(due)
    return min(dues, default=None)


@term("รายงานที่หาข้อเท็จจริงแล้วแต่ไม่บันทึกผล", "reports without a finding")
def without_finding(c: CaseFacts) -> list[dict[str, Any]]:
    """Escalations investigated on or before as_of with finding or corrective_action empty.

    >>> case(escalations=[{"investigated_on": "2024-06-01", "finding": "พบจริง"}]).without_finding
    [{'report_id': 'R1', 'investigated_on': datetime.date(2024, 6, 1), 'finding': True, 'corrective_action': False}]
    """
    out = []
    for e in c.escalations:
        closed = _on_or_before(e.investigated_on, c.as_of)
        if closed is not None and (e.finding is None or e.corrective_action is None):
            out.append({"report_id": e.report_id, "investigated_on": closed, "finding": e.finding is not None,
                        "corrective_action": e.corrective_action is not None})
    return out


@term("จำนวนรายงานที่หาข้อเท็จจริงแล้วแต่ไม่บันทึกผลหรือการแก้ไข", "reports without a finding")
def escalations_without_finding(c: CaseFacts) -> int:
    """How many escalations were investigated (on or before as_of) with finding or corrective_action empty.

    >>> case(escalations=[{"investigated_on": "2024-06-01", "finding": "พบจริง"}]).escalations_without_finding
    1
    """
    return len(c.without_finding)


_MISSING_TH = {(False, False): "ผลและแนวทางแก้ไข", (True, False): "แนวทางแก้ไข", (False, True): "ผลการหาข้อเท็จจริง"}
_MISSING_EN = {(False, False): "finding and corrective action", (True, False): "corrective action",
               (False, True): "finding"}


@term("รายงานที่หาข้อเท็จจริงแล้วแต่ไม่บันทึกผล", "reports without a finding")
def without_th(c: CaseFacts) -> str:
    """``without_finding`` in Thai words.

    >>> case(escalations=[{"investigated_on": "2024-06-01", "finding": "พบจริง"}]).without_th
    'รายงาน R1 (หาข้อเท็จจริงเมื่อ 1 มิ.ย. 2567) ไม่บันทึกแนวทางแก้ไข'
    """
    return "; ".join(f"รายงาน {w['report_id']} (หาข้อเท็จจริงเมื่อ {format_date(w['investigated_on'], 'th')}) "
                     f"ไม่บันทึก{_MISSING_TH[(w['finding'], w['corrective_action'])]}" for w in c.without_finding)


@term("reports without a finding", "reports without a finding")
def without_en(c: CaseFacts) -> str:
    """``without_finding`` in English words.

    >>> case(escalations=[{"investigated_on": "2024-06-01", "finding": "พบจริง"}]).without_en
    'report R1 (investigated on 2024-06-01) has no corrective action'
    """
    return "; ".join(f"report {w['report_id']} (investigated on {format_date(w['investigated_on'], 'en')}) "
                     f"has no {_MISSING_EN[(w['finding'], w['corrective_action'])]}" for w in c.without_finding)


# -- measure 1.5: conflicts of interest (ethics is an officer's: engine/rules/terms/officer.py) -

@term("ผู้พิจารณามีส่วนได้เสียกับผู้ยื่นคำขอ", "related to the applicant")
def applicant_related(c: CaseFacts) -> bool:
    """The decider is related to, or has an interest with, the applicant (empty: no).

    >>> case(applicant_related=True).applicant_related, case().applicant_related
    (True, False)
    """
    return bool(c.row.applicant_related)


@term("เหตุแห่งส่วนได้เสียที่บันทึก", "ground of the conflict, as recorded")
def coi_ground(c: CaseFacts) -> str | None:
    """Which conflict the official had, as recorded: ``s13`` — the party, the spouse, a relative,
    a representative, a creditor, debtor or employer of the party (Administrative Procedure Act
    s.13: may not consider the matter at all); ``s16`` — any other serious circumstance that
    could make the decision partial (s.16: stop, report, the superior decides). None when not
    recorded, which for a related applicant means s13 (``coi_s16``).

    >>> case(applicant_related=True).coi_ground is None, case(applicant_related=True, coi_ground="s16").coi_ground
    (True, 's16')
    """
    return c.row.coi_ground


@term("เหตุตามมาตรา 16", "a s.16 circumstance")
def coi_s16(c: CaseFacts) -> bool:
    """The decider is related to the applicant by an s.16 circumstance, which the superior may
    clear: applicant_related, and coi_ground s16 (empty: s13, the default).

    >>> case(applicant_related=True, coi_ground="s16").coi_s16, case(applicant_related=True).coi_s16
    (True, False)
    """
    return bool(c.row.applicant_related) and c.row.coi_ground == "s16"


@term("แจ้งส่วนได้เสียแล้ว", "conflict declared")
def coi_declared(c: CaseFacts) -> bool:
    """The decider declared the conflict (empty: no).

    >>> case(applicant_related=True, coi_declared=True).coi_declared
    True
    """
    return bool(c.row.coi_declared)


@term("ผู้สั่งให้ดำเนินการต่อ", "permitted by")
def coi_permitted_by(c: CaseFacts) -> str | None:
    """The superior who, after the declaration, ordered the official to go on (cases.coi_permitted_by).

    >>> case(applicant_related=True, coi_declared=True, coi_permitted_by="H1").coi_permitted_by
    'H1'
    """
    return c.row.coi_permitted_by


@term("ผู้บังคับบัญชาในสายการบังคับบัญชาสั่งให้ดำเนินการต่อ", "permitted by the chain")
def coi_permitted_in_chain(c: CaseFacts) -> bool:
    """coi_permitted_by is someone in the officer's chain (Administrative Procedure Act s.16).

    >>> case(coi_permitted_by="H1").coi_permitted_in_chain, case(coi_permitted_by="O2").coi_permitted_in_chain
    (True, False)
    """
    return c.row.coi_permitted_by is not None and c.row.coi_permitted_by in c.chain


@term("เหตุจำเป็นตามมาตรา 18", "reason under s.18")
def coi_exception(c: CaseFacts) -> str | None:
    """Why the official acted anyway under Administrative Procedure Act s.18 (urgent necessity
    where delay would harm the public interest or a person's rights, or no other official can
    act), or None.

    >>> case(applicant_related=True, coi_exception="ไม่มีเจ้าหน้าที่อื่น").coi_exception
    'ไม่มีเจ้าหน้าที่อื่น'
    """
    return c.row.coi_exception


@term("อ้างเหตุจำเป็นตามมาตรา 18", "s.18 reason given")
def has_coi_exception(c: CaseFacts) -> bool:
    """coi_exception is not empty.

    >>> case(applicant_related=True, coi_exception="เร่งด่วน").has_coi_exception, case().has_coi_exception
    (True, False)
    """
    return c.row.coi_exception is not None


@term("ส่วนได้เสีย", "the conflict")
def coi_th(c: CaseFacts) -> str:
    """The conflict, what was done about it and why it matters, in Thai words.

    >>> case(applicant_related=True).coi_th
    'เป็นกรณีตามมาตรา 13 ซึ่งเจ้าหน้าที่จะพิจารณาเรื่องนั้นไม่ได้เลย ไม่ว่าจะแจ้งส่วนได้เสียหรือไม่ (พระราชบัญญัติวิธีปฏิบัติราชการทางปกครอง พ.ศ. 2539)'
    """
    law = "พระราชบัญญัติวิธีปฏิบัติราชการทางปกครอง พ.ศ. 2539"
    if not c.coi_s16:
        text = "เป็นกรณีตามมาตรา 13 ซึ่งเจ้าหน้าที่จะพิจารณาเรื่องนั้นไม่ได้เลย ไม่ว่าจะแจ้งส่วนได้เสียหรือไม่"
    elif not c.coi_declared:
        text = "เป็นเหตุตามมาตรา 16 แต่ไม่ได้แจ้งส่วนได้เสียและหยุดการพิจารณาไว้ก่อน"
    elif c.row.coi_permitted_by is None:
        text = "เป็นเหตุตามมาตรา 16 แจ้งส่วนได้เสียแล้ว แต่ยังพิจารณาเองโดยไม่มีผู้บังคับบัญชาสั่งให้ดำเนินการต่อ"
    else:
        text = (f"เป็นเหตุตามมาตรา 16 แจ้งส่วนได้เสียแล้ว แต่ผู้สั่งให้ดำเนินการต่อ ({c.row.coi_permitted_by}) "
                "ไม่อยู่ในสายการบังคับบัญชาของผู้พิจารณา")
    if c.has_coi_exception:
        text += f" โดยอ้างเหตุจำเป็นตามมาตรา 18 ว่า “{c.row.coi_exception}” ผู้บังคับบัญชาควรตรวจสอบเหตุนั้น"
    return f"{text} ({law})"


@term("the conflict", "the conflict")
def coi_en(c: CaseFacts) -> str:
    """The conflict, what was done about it and why it matters, in English words.

    >>> case(applicant_related=True, coi_ground="s16", coi_declared=True).coi_en
    "a s.16 circumstance, declared, yet the official went on with no superior's order to (Administrative Procedure Act B.E. 2539)"
    """
    law = "Administrative Procedure Act B.E. 2539"
    if not c.coi_s16:
        text = "a s.13 case, in which the official may not consider the matter at all, declared or not"
    elif not c.coi_declared:
        text = "a s.16 circumstance, not declared, and the consideration was not stopped"
    elif c.row.coi_permitted_by is None:
        text = "a s.16 circumstance, declared, yet the official went on with no superior's order to"
    else:
        text = (f"a s.16 circumstance, declared, but the official who ordered them to go on ({c.row.coi_permitted_by}) "
                "is not in their chain of command")
    if c.has_coi_exception:
        text += f"; the official acted under s.18 because “{c.row.coi_exception}”: the supervisor should check that reason"
    return f"{text} ({law})"


# -- measure 1.6: time limits and delay notices ----------------------------------------------

@term("เป็นงานบริการประชาชน", "public service")
def public_service(c: CaseFacts) -> bool:
    """The case's process is a public service.

    >>> case().public_service
    True
    """
    return c.process.public_service


@term("เป็นการอนุญาตตาม พ.ร.บ.อำนวยความสะดวกฯ", "licensing")
def licensing(c: CaseFacts) -> bool:
    """The case's process is a licence, permit, registration or notification under the Licensing
    Facilitation Act 2558, whose s.10 delay notices apply (processes.licensing; empty: no — v3).

    >>> case(process={"licensing": True}).licensing, case().licensing
    (True, False)
    """
    return bool(c.process.licensing)


@term("ระยะเวลาที่กำหนดในคู่มือ", "time limit")
def standard_days(c: CaseFacts) -> int | None:
    """The process's standard_days, or None.

    >>> case().standard_days
    15
    """
    return c.process.standard_days


@term("วิธีนับวัน", "day basis")
def day_basis(c: CaseFacts) -> str:
    """How the process's standard_days count: working (the default) or calendar.

    >>> case().day_basis, case(process={"day_basis": "calendar"}).day_basis
    ('working', 'calendar')
    """
    return c.process.basis


@term("ระยะเวลาพิจารณา", "time limit")
def time_limit(c: CaseFacts) -> dict[str, Any] | None:
    """The case's time limit: its process's standard_days and day_basis (from the manual); else,
    for a public service, decision_within_days on a calendar basis (Administrative Procedure Act
    s.39/1: an order on a complete application where no law sets a time); else None. With where
    it comes from (``value``, ``basis``, ``source_th``/``source_en``; ``from``: manual or the
    parameter's origin).

    >>> case().time_limit["value"], case(process={"standard_days": None}).time_limit["source_en"][:30]
    (15, 'Administrative Procedure Act B')
    >>> case(process={"standard_days": None, "public_service": False}).time_limit is None
    True
    """
    p = c.process
    if p.standard_days is not None:
        return {"value": p.standard_days, "basis": p.basis, "from": "manual",
                "source_th": "คู่มือของกระบวนงาน", "source_en": "the process's manual"}
    if p.public_service:
        pv = c.params["decision_within_days"]
        return {"value": pv.value, "basis": "calendar", "from": pv.origin, "source_th": pv.source_th,
                "source_en": pv.source_en}
    return None


@term("ระยะเวลาตามกฎหมาย", "statutory time limit")
def statutory_time_limit(c: CaseFacts) -> dict[str, Any] | None:
    """The time limit when it comes from the law rather than the process's manual (APA s.39/1
    for a public service without standard_days), else None.

    >>> case(process={"standard_days": None}).statutory_time_limit["value"], case().statutory_time_limit
    (30, None)
    """
    return c.time_limit if c.time_limit is not None and c.time_limit["from"] != "manual" else None


@term("วันครบกำหนด", "limit day")
def limit_day(c: CaseFacts) -> dt.date | None:
    """A case's *limit day*: deadline(start, the time limit) with start = complete_on or else
    received_on; None without a time limit, or before the clock starts (start after as_of).

    Example: 15 working days from Wednesday 1 May 2024 (6, 10 and 22 May are days off); or,
    with no standard_days, 30 calendar days (APA s.39/1): 31 May 2024.

    >>> case().limit_day, case(process={"standard_days": None}).limit_day
    (datetime.date(2024, 5, 27), datetime.date(2024, 5, 31))
    """
    limit = c.time_limit
    start = c.start_on
    if limit is None or start > c.as_of:
        return None
    return c.run.calendar.deadline(start, limit["value"], limit["basis"])


@term("วันสิ้นสุดการนับ", "counted to")
def end(c: CaseFacts) -> dt.date:
    """decided_on when decided, else as_of: the day the case's time is counted to.

    >>> case().end, case(as_of="2024-05-19").end
    (datetime.date(2024, 5, 20), datetime.date(2024, 5, 19))
    """
    return c.decided_on if c.decided_on is not None else c.as_of


@term("เกินระยะเวลาที่กำหนด", "overdue")
def overdue(c: CaseFacts) -> bool:
    """*overdue*: the case has a limit day and its end (decided_on, else as_of) is after it.

    >>> case(decided_on="2024-05-27", reviewed_on=None, reviewed_by=None).overdue
    False
    >>> case(decided_on="2024-05-28", reviewed_on=None, reviewed_by=None).overdue
    True
    """
    return c.limit_day is not None and c.end > c.limit_day


@term("ต้องพิจารณาให้แล้วเสร็จภายใน", "decision due by")
def decision_due(c: CaseFacts) -> dt.date | None:
    """While a public-service case is pending and not yet overdue: its limit day; else None. The
    duty 1.6-time-limit-exceeded flags the day after.

    >>> case(decided_on=None, reviewed_on=None, reviewed_by=None, as_of="2024-05-20").decision_due
    datetime.date(2024, 5, 27)
    >>> case(decided_on=None, reviewed_on=None, reviewed_by=None).decision_due is None
    True
    """
    if not c.process.public_service or c.decided_on is not None or c.limit_day is None or c.overdue:
        return None
    return c.limit_day


@term("จำนวนวันที่ใช้", "days taken")
def elapsed(c: CaseFacts) -> int | None:
    """elapsed(start, end, day_basis) when the case has a limit day, else None.

    >>> case(decided_on="2024-05-28", reviewed_on=None, reviewed_by=None).elapsed
    16
    """
    if c.limit_day is None:
        return None
    return c.run.calendar.elapsed(c.start_on, c.end, c.time_limit["basis"])


@term("หน่วยนับวัน", "day unit")
def basis_th(c: CaseFacts) -> str | None:
    """The unit of the case's time limit in Thai words (None without a time limit).

    >>> case().basis_th, case(process={"standard_days": None}).basis_th
    ('วันทำการ', 'วัน')
    """
    if c.time_limit is None:
        return None
    return "วันทำการ" if c.time_limit["basis"] == "working" else "วัน"


@term("day unit", "day unit")
def basis_en(c: CaseFacts) -> str | None:
    """The unit of the case's time limit in English words (None without a time limit).

    >>> case().basis_en
    'working days'
    """
    if c.time_limit is None:
        return None
    return "working days" if c.time_limit["basis"] == "working" else "calendar days"


@term("ที่มาของระยะเวลา", "source of the time limit")
def limit_source_th(c: CaseFacts) -> str | None:
    """Where the case's time limit comes from, in Thai words.

    >>> case().limit_source_th
    'คู่มือของกระบวนงาน'
    """
    return c.time_limit["source_th"] if c.time_limit is not None else None


@term("source of the time limit", "source of the time limit")
def limit_source_en(c: CaseFacts) -> str | None:
    """Where the case's time limit comes from, in English words.

    >>> case(process={"standard_days": None}).limit_source_en
    'Administrative Procedure Act B.E. 2539, s. 39/1 (added by Amendment No. 2 B.E. 2557)'
    """
    return c.time_limit["source_en"] if c.time_limit is not None else None


@term("จำนวนวันที่กำหนด", "days allowed")
def limit_days(c: CaseFacts) -> int | None:
    """The number of days of the case's time limit (None without one).

    >>> case(process={"standard_days": None}).limit_days
    30
    """
    return c.time_limit["value"] if c.time_limit is not None else None


@term("สถานะ", "status")
def status_th(c: CaseFacts) -> str:
    """Decided when, or still pending, in Thai words.

    >>> case().status_th, case(as_of="2024-05-19").status_th
    ('พิจารณาเมื่อ 20 พ.ค. 2567', 'ยังพิจารณาไม่แล้วเสร็จ')
    """
    return f"พิจารณาเมื่อ {format_date(c.decided_on, 'th')}" if c.decided else "ยังพิจารณาไม่แล้วเสร็จ"


@term("status", "status")
def status_en(c: CaseFacts) -> str:
    """Decided when, or still pending, in English words.

    >>> case().status_en
    'and decided on 2024-05-20'
    """
    return f"and decided on {format_date(c.decided_on, 'en')}" if c.decided else "and still pending"


@term("หนังสือแจ้งความล่าช้า", "delay notices")
def notices_given(c: CaseFacts) -> list[DelayNotice]:
    """The case's delay notices dated on or before as_of.

    >>> len(case(notices=[{"notified_on": "2024-05-31"}, {"notified_on": "2024-07-01"}]).notices_given)
    1
    """
    given = c.run.notices_by_case.get(c.row.case_id)
    return [n for n in given if n.notified_on <= c.as_of] if given else []


@term("วันที่แจ้งความล่าช้า", "notices given on")
def notices(c: CaseFacts) -> list[dt.date]:
    """The days of the case's delay notices (on or before as_of), earliest first.

    >>> case(notices=[{"notified_on": "2024-06-07"}, {"notified_on": "2024-05-31"}]).notices
    [datetime.date(2024, 5, 31), datetime.date(2024, 6, 7)]
    """
    return sorted(n.notified_on for n in c.notices_given)


@term("หนังสือแจ้งความล่าช้าที่ไม่ได้สำเนาถึง ก.พ.ร.", "notices not copied")
def notices_not_copied_ids(c: CaseFacts) -> list[str]:
    """The ids of delay notices (on or before as_of) not copied to the OPDC.

    >>> case(notices=[{"notified_on": "2024-05-31", "opdc_copied": False}]).notices_not_copied_ids
    ['N1']
    """
    return [n.notice_id for n in c.notices_given if not n.opdc_copied]


@term("จำนวนหนังสือแจ้งความล่าช้าที่ไม่ได้สำเนาถึง ก.พ.ร.", "notices not copied")
def notices_not_copied(c: CaseFacts) -> int:
    """How many delay notices (on or before as_of) were not copied to the OPDC.

    >>> case(notices=[{"notified_on": "2024-05-31", "opdc_copied": True}]).notices_not_copied
    0
    """
    return len(c.notices_not_copied_ids)


@term("กำหนดแจ้งความล่าช้าที่ขาด", "notice missed, due by")
def missed_due(c: CaseFacts) -> dt.date | None:
    """For an overdue licensing case, the first s.10 notice due day with no notice, else None:
    let p = the limit day and repeat — due = deadline(p, delay_notice_every_days, calendar); if
    due ≥ end, stop (None); else take the earliest notice n with p < n ≤ due; if there is none,
    that due day; else p = n.

    Example: limit day Monday 27 May 2024, still pending on 28 June; the first notice was due
    7 days later, on 3 June, a day off: by Tuesday 4 June.

    >>> pending = {"decided_on": None, "reviewed_on": None, "reviewed_by": None, "process": {"licensing": True}}
    >>> case(**pending).missed_due
    datetime.date(2024, 6, 4)
    >>> case(**pending, notices=[{"notified_on": "2024-06-04"}]).missed_due
    datetime.date(2024, 6, 11)
    >>> case(**{**pending, "process": {"licensing": False}}).missed_due is None
    True
    """
    if not (c.overdue and c.licensing):
        return None
    calendar, every, end, notices = c.run.calendar, c.limits["delay_notice_every_days"], c.end, c.notices
    p = c.limit_day
    while True:
        due = calendar.deadline(p, every, "calendar")
        if due >= end:
            return None
        given = [n for n in notices if p < n <= due]
        if not given:
            return due
        p = min(given)


@term("ต้องแจ้งเหตุแห่งความล่าช้าภายใน", "delay notice due by")
def notice_due(c: CaseFacts) -> dt.date | None:
    """For a pending licensing case past its limit day with no notice missed yet: the day the next
    s.10 notice is due (the same walk as ``missed_due``: the first due day not before as_of);
    else None. The duty 1.6-delay-not-notified flags the day after, if no notice comes.

    >>> pending = {"decided_on": None, "reviewed_on": None, "reviewed_by": None, "process": {"licensing": True}}
    >>> case(**pending, as_of="2024-06-01").notice_due
    datetime.date(2024, 6, 4)

    A notice given before its due day moves the next one on: given Friday 31 May, the next is due
    7 days later, Friday 7 June.

    >>> case(**pending, as_of="2024-06-01", notices=[{"notified_on": "2024-05-31"}]).notice_due
    datetime.date(2024, 6, 7)
    """
    if not (c.licensing and c.overdue and c.decided_on is None):
        return None
    calendar, every, notices = c.run.calendar, c.limits["delay_notice_every_days"], c.notices
    p = c.limit_day
    while True:
        due = calendar.deadline(p, every, "calendar")
        given = [n for n in notices if p < n <= due]
        if given:
            p = min(given)  # this one was given (perhaps early): the next is counted from it
        elif due >= c.as_of:
            return due
        else:
            return None  # one was missed already: 1.6-delay-not-notified has flagged it


@term("ไม่ได้แจ้งเหตุแห่งความล่าช้าตามกำหนด", "delay notice missed")
def delay_notice_missed(c: CaseFacts) -> bool:
    """A delay notice was due (Licensing Facilitation Act s.10) and none was given (``missed_due``).

    >>> case(decided_on=None, reviewed_on=None, reviewed_by=None, process={"licensing": True}).delay_notice_missed
    True
    """
    return c.missed_due is not None


# -- measure 1.7: the IT system ----------------------------------------------------------------

@term("ระบบสารสนเทศ", "IT system")
def it_system(c: CaseFacts) -> str | None:
    """The IT system that carries the case's process, or None.

    >>> case().it_system
    'e-Service'
    """
    return c.process.it_system


@term("กระบวนงานมีระบบสารสนเทศ", "process has an IT system")
def process_has_it_system(c: CaseFacts) -> bool:
    """The case's process has an IT system.

    >>> case().process_has_it_system, case(process={"it_system": None}).process_has_it_system
    (True, False)
    """
    return c.process.it_system is not None


@term("ไม่ได้ดำเนินการผ่านระบบสารสนเทศ", "IT system bypassed")
def bypassed_it_system(c: CaseFacts) -> bool:
    """via_it_system is explicitly false (empty = unknown, not bypassed).

    >>> case(via_it_system=False).bypassed_it_system, case(via_it_system=None).bypassed_it_system
    (True, False)
    """
    return c.row.via_it_system is False


@term("ระบุเหตุผลที่ไม่ใช้ระบบ", "override reason given")
def has_override_reason(c: CaseFacts) -> bool:
    """override_reason is not empty.

    >>> case(override_reason="ระบบขัดข้อง").has_override_reason
    True
    """
    return c.row.override_reason is not None
