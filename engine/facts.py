"""Point-in-time facts: what the rules see of a dataset at ``as_of``.

Two steps, both straight from SPEC §3:

1. *Snapshot*: a fact dated after ``as_of`` does not exist yet — a case received later is
   dropped with its escalations; a decision, review, report, investigation, analysis,
   acknowledgement or manual review dated later counts as not done.
2. *Vocabulary*: each subject (case, process, officer, officer–applicant pair, agency)
   becomes one flat fact whose attributes are the terms the rule catalogue speaks in
   (``decided``, ``overdue``, ``days_since_decision`` …). Attributes are numbers and
   booleans only; which combination of them is a violation is said in ``rules/*.yaml``.

An attribute that does not apply (``days_since_decision`` of a pending case) is absent.
Attributes whose name starts with ``_`` carry the subject's identity and the details
that messages and evidence quote; the rules engine never sees them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .calendar import days, elapsed, first_day_over, full_years_between
from .models import Case, Dataset, Escalation, Officer, Process

Fact = dict[str, Any]

KINDS = {"case": 1, "process": 2, "officer": 3, "officer_applicant": 4, "agency": 5}

# The vocabulary rules may use, per fact kind: attribute -> meaning. ``?`` marks an
# attribute that may be absent. Rule loading rejects any other name.
VOCABULARY: dict[str, dict[str, str]] = {
    "case": {
        "discretion_used": "the decision involved the official's discretion",
        "decided": "decided_on is on or before as_of",
        "reviewed": "reviewed_on is on or before as_of",
        "days_since_decision?": "days(decided_on, as_of), when decided",
        "review_delay_days?": "days(decided_on, reviewed_on), when decided and reviewed",
        "self_reviewed": "reviewed, and reviewed_by is the deciding officer",
        "reviewer_in_chain": "reviewed, and reviewed_by is in the officer's supervisor chain",
        "has_legal_basis": "legal_basis is not empty",
        "process_has_manual": "the case's process has a work manual",
        "public_service": "the case's process is a public service",
        "overdue": "the process has standard_days and elapsed time exceeds it",
        "deviates": "decided with a non-empty deviation, or overdue",
        "days_since_deviation?": "days(deviation date, as_of), when the case deviates",
        "escalated": "an escalation for the case was reported on or before as_of",
        "escalations_outside_chain": "escalations (reported on or before as_of) not sent to the reporter's direct supervisor",
        "max_investigation_days?": "over its escalations: days(reported_on, investigated_on, or as_of while open)",
        "process_has_it_system": "the process has an IT system",
        "bypassed_it_system": "via_it_system is explicitly false",
        "has_override_reason": "override_reason is not empty",
        "applicant_related": "the decider is related to, or has an interest with, the applicant",
        "coi_declared": "the decider declared the conflict",
        "ethics_ack_age_at_decision?": "days(ethics_acknowledged_on, decided_on), when decided and acknowledged by as_of",
    },
    "process": {
        "discretionary": "decisions in the process involve discretion",
        "has_manual": "work_manual is not empty",
        "manual_reviewed": "work_manual_reviewed_on is on or before as_of",
        "manual_age_days?": "days(work_manual_reviewed_on, as_of), when reviewed",
        "public_service": "the public applies for it",
        "has_citizen_manual_url": "citizen_manual_url is not empty",
        "citizen_manual_at_office": "the citizen manual is displayed at the office",
        "has_it_system": "it_system is not empty",
    },
    "officer": {
        "days_since_last_discretionary_decision?": "days(decided_on, as_of) of the officer's latest decided case that used discretion",
        "years_in_position?": "full calendar years from in_position_since to as_of",
    },
    "officer_applicant": {
        "recent_discretionary_decisions": "decided cases that used discretion for this applicant with days(decided_on, as_of) < repeat_window_days",
    },
    "agency": {
        "has_process": "the agency has at least one process",
        "has_discretionary_process": "the agency has a discretionary process",
        "days_since_committee_analysis?": "days(analysed_on, as_of) of the latest analysis with the ethics committee",
        "days_since_monitoring_report?": "days(reported_on, as_of) of the latest monitoring report",
        "acknowledgement_rows": "acknowledgement rows that exist at as_of",
        "rows_staff_not_all_informed": "acknowledgement rows with staff_acknowledged < staff_total",
        "rows_not_published": "acknowledgement rows with published_url empty",
        "acknowledgement_reported": "an acknowledgement was reported on or before as_of",
        "first_reported_on?": "the first reported_on (as a day number) on or before as_of",
        "as_of": "the evaluation date (as a day number)",
    },
}


# Short Thai names of the attributes, for showing a rule's condition to people.
LABELS_TH: dict[str, str] = {
    "discretion_used": "ใช้ดุลพินิจ", "decided": "วินิจฉัยแล้ว", "reviewed": "ผู้บังคับบัญชาตรวจสอบแล้ว",
    "days_since_decision": "จำนวนวันนับจากวันวินิจฉัย", "review_delay_days": "จำนวนวันจากวินิจฉัยถึงตรวจสอบ",
    "self_reviewed": "ผู้วินิจฉัยตรวจสอบเอง", "reviewer_in_chain": "ผู้ตรวจสอบอยู่ในสายบังคับบัญชา",
    "has_legal_basis": "ระบุข้อกฎหมายที่อ้างอิง", "process_has_manual": "กระบวนงานมีคู่มือ",
    "public_service": "เป็นงานบริการประชาชน", "overdue": "เกินระยะเวลาที่กำหนด",
    "deviates": "ไม่เป็นไปตามหลักเกณฑ์", "days_since_deviation": "จำนวนวันนับจากวันที่ไม่เป็นไปตามหลักเกณฑ์",
    "escalated": "รายงานผู้บังคับบัญชาแล้ว", "escalations_outside_chain": "จำนวนรายงานที่ไม่ผ่านผู้บังคับบัญชาโดยตรง",
    "max_investigation_days": "จำนวนวันที่ใช้หาข้อเท็จจริง (สูงสุด)", "process_has_it_system": "กระบวนงานมีระบบสารสนเทศ",
    "bypassed_it_system": "ไม่ได้ดำเนินการผ่านระบบสารสนเทศ", "has_override_reason": "ระบุเหตุผลที่ไม่ใช้ระบบ",
    "applicant_related": "ผู้วินิจฉัยมีส่วนได้เสียกับผู้ยื่นคำขอ", "coi_declared": "แจ้งส่วนได้เสียแล้ว",
    "ethics_ack_age_at_decision": "จำนวนวันจากรับทราบประมวลจริยธรรมถึงวันวินิจฉัย",
    "discretionary": "กระบวนงานใช้ดุลพินิจ", "has_manual": "มีคู่มือการปฏิบัติงาน", "manual_reviewed": "คู่มือเคยทบทวน",
    "manual_age_days": "จำนวนวันนับจากทบทวนคู่มือ", "has_citizen_manual_url": "เผยแพร่คู่มือประชาชนบนเว็บไซต์",
    "citizen_manual_at_office": "แสดงคู่มือประชาชน ณ ที่ทำการ", "has_it_system": "มีระบบสารสนเทศ",
    "days_since_last_discretionary_decision": "จำนวนวันนับจากวินิจฉัยที่ใช้ดุลพินิจครั้งล่าสุด",
    "years_in_position": "จำนวนปีที่ดำรงตำแหน่ง", "recent_discretionary_decisions": "จำนวนคำวินิจฉัยให้ผู้ยื่นคำขอรายนี้ในช่วงเวลา",
    "has_process": "มีกระบวนงาน", "has_discretionary_process": "มีกระบวนงานที่ใช้ดุลพินิจ",
    "days_since_committee_analysis": "จำนวนวันนับจากวิเคราะห์ร่วมกับคณะกรรมการจริยธรรม",
    "days_since_monitoring_report": "จำนวนวันนับจากรายงานการกำกับติดตาม", "acknowledgement_rows": "จำนวนแถวการรับทราบ",
    "rows_staff_not_all_informed": "จำนวนแถวที่บุคลากรรับทราบไม่ครบ", "rows_not_published": "จำนวนแถวที่ไม่ระบุเว็บไซต์",
    "acknowledgement_reported": "รายงานการรับทราบแล้ว", "first_reported_on": "วันที่รายงานครั้งแรก", "as_of": "วันที่ประมวลผล",
}


def attribute_names(kind: str) -> dict[str, bool]:
    """Attribute name -> whether it may be absent."""
    return {name.rstrip("?"): name.endswith("?") for name in VOCABULARY[kind]}


@dataclass
class Index:
    """Look-ups over a validated dataset, built once and shared by every partition."""

    dataset: Dataset
    processes: dict[str, Process]
    officers: dict[str, Officer]
    processes_by_agency: dict[str, list[Process]]
    officers_by_agency: dict[str, list[Officer]]
    cases_by_agency: dict[str, list[Case]]
    cases_by_officer: dict[str, list[Case]]
    escalations_by_case: dict[str, list[Escalation]]
    by_agency: dict[str, dict[str, list[Any]]]
    agency_names: dict[str, str]

    @classmethod
    def build(cls, ds: Dataset) -> Index:
        processes = {p.process_id: p for p in ds.processes}
        officers = {o.officer_id: o for o in ds.officers}
        processes_by_agency: dict[str, list[Process]] = defaultdict(list)
        for p in ds.processes:
            processes_by_agency[p.agency_id].append(p)
        officers_by_agency: dict[str, list[Officer]] = defaultdict(list)
        for o in ds.officers:
            officers_by_agency[o.agency_id].append(o)
        cases_by_agency: dict[str, list[Case]] = defaultdict(list)
        cases_by_officer: dict[str, list[Case]] = defaultdict(list)
        for c in ds.cases:
            cases_by_agency[processes[c.process_id].agency_id].append(c)
            cases_by_officer[c.officer_id].append(c)
        escalations_by_case: dict[str, list[Escalation]] = defaultdict(list)
        for e in ds.escalations:
            escalations_by_case[e.case_id].append(e)
        by_agency: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for name in ("risk_analyses", "monitoring_reports", "acknowledgements"):
            for item in getattr(ds, name):
                by_agency[item.agency_id][name].append(item)
        return cls(ds, processes, officers, processes_by_agency, officers_by_agency,
                   cases_by_agency, cases_by_officer, escalations_by_case, by_agency,
                   {a.agency_id: a.name for a in ds.agencies})

    def agency_ids(self) -> list[str]:
        return [a.agency_id for a in self.dataset.agencies]

    def partition_size(self, agency_id: str) -> int:
        return (len(self.cases_by_agency.get(agency_id, ())) + len(self.processes_by_agency.get(agency_id, ()))
                + len(self.officers_by_agency.get(agency_id, ())) + 1)

    def chain(self, officer_id: str) -> list[str]:
        """The officer's supervisor chain: supervisor, their supervisor, … (cycle-free by validation)."""
        out: list[str] = []
        boss = self.officers[officer_id].supervisor_id
        while boss is not None and boss not in out:
            out.append(boss)
            boss = self.officers[boss].supervisor_id
        return out


def _on_or_before(day: dt.date | None, as_of: dt.date) -> dt.date | None:
    return day if day is not None and day <= as_of else None


def partition_facts(index: Index, agency_id: str, as_of: dt.date, params: dict[str, Any]) -> Iterator[Fact]:
    """Every fact of one agency's partition at ``as_of``."""
    yield agency_fact(index, agency_id, as_of)
    for p in index.processes_by_agency.get(agency_id, ()):
        yield process_fact(p, agency_id, as_of)
    window = int(params["repeat_window_days"])
    for o in index.officers_by_agency.get(agency_id, ()):
        decided = decided_with_discretion(index, o.officer_id, as_of)
        yield officer_fact(o, decided, as_of)
        yield from officer_applicant_facts(o, decided, as_of, window)
    chains: dict[str, list[str]] = {}
    for c in index.cases_by_agency.get(agency_id, ()):
        if c.received_on <= as_of:
            yield case_fact(index, c, agency_id, as_of, chains)


def agency_fact(index: Index, agency_id: str, as_of: dt.date) -> Fact:
    processes = index.processes_by_agency.get(agency_id, [])
    extra = index.by_agency.get(agency_id, {})
    analyses = [a.analysed_on for a in extra.get("risk_analyses", ())
                if a.ethics_committee and a.analysed_on <= as_of]
    reports = [m.reported_on for m in extra.get("monitoring_reports", ()) if m.reported_on <= as_of]
    acks = [a for a in extra.get("acknowledgements", ()) if a.reported_on is None or a.reported_on <= as_of]
    reported = sorted(a.reported_on for a in acks if a.reported_on is not None)
    f: Fact = {
        "_type": "agency", "_id": agency_id, "_agency": agency_id, "_name": index.agency_names.get(agency_id, agency_id),
        "has_process": bool(processes),
        "has_discretionary_process": any(p.discretionary for p in processes),
        "acknowledgement_rows": len(acks),
        "rows_staff_not_all_informed": sum(a.staff_acknowledged < a.staff_total for a in acks),
        "rows_not_published": sum(a.published_url is None for a in acks),
        "acknowledgement_reported": bool(reported),
        "as_of": as_of.toordinal(),
        "_discretionary_processes": [p.process_id for p in processes if p.discretionary],
        "_staff": [(a.staff_acknowledged, a.staff_total) for a in acks],
    }
    if analyses:
        f["days_since_committee_analysis"] = days(max(analyses), as_of)
        f["_last_analysis_on"] = max(analyses)
    if reports:
        f["days_since_monitoring_report"] = days(max(reports), as_of)
        f["_last_monitoring_on"] = max(reports)
    if reported:
        f["first_reported_on"] = reported[0].toordinal()
        f["_first_reported_on"] = reported[0]
    return f


def process_fact(p: Process, agency_id: str, as_of: dt.date) -> Fact:
    reviewed = _on_or_before(p.work_manual_reviewed_on, as_of)
    f: Fact = {
        "_type": "process", "_id": p.process_id, "_agency": agency_id,
        "_name": p.name, "_work_manual": p.work_manual, "_manual_reviewed_on": reviewed,
        "_citizen_manual_url": p.citizen_manual_url, "_it_system": p.it_system,
        "discretionary": p.discretionary,
        "has_manual": p.work_manual is not None,
        "manual_reviewed": reviewed is not None,
        "public_service": p.public_service,
        "has_citizen_manual_url": p.citizen_manual_url is not None,
        "citizen_manual_at_office": bool(p.citizen_manual_at_office),
        "has_it_system": p.it_system is not None,
    }
    if reviewed is not None:
        f["manual_age_days"] = days(reviewed, as_of)
    return f


def decided_with_discretion(index: Index, officer_id: str, as_of: dt.date) -> list[Case]:
    """The officer's cases that exist at ``as_of``, used discretion and were decided by then."""
    return [c for c in index.cases_by_officer.get(officer_id, ())
            if c.discretion_used and c.decided_on is not None and c.decided_on <= as_of and c.received_on <= as_of]


def officer_fact(o: Officer, decided: list[Case], as_of: dt.date) -> Fact:
    f: Fact = {"_type": "officer", "_id": o.officer_id, "_agency": o.agency_id, "_name": o.name,
               "_in_position_since": o.in_position_since, "_position": o.position}
    latest = max(decided, key=lambda c: c.decided_on, default=None)
    if latest is not None:
        f["days_since_last_discretionary_decision"] = days(latest.decided_on, as_of)
        f["_last_case_id"] = latest.case_id
        f["_last_decided_on"] = latest.decided_on
    if o.in_position_since is not None:
        f["years_in_position"] = full_years_between(o.in_position_since, as_of)
    return f


def officer_applicant_facts(o: Officer, decided: list[Case], as_of: dt.date, window: int) -> Iterator[Fact]:
    recent: dict[str, list[Case]] = defaultdict(list)
    for c in decided:
        if c.applicant_id is not None and days(c.decided_on, as_of) < window:
            recent[c.applicant_id].append(c)
    for applicant, cases in recent.items():
        yield {"_type": "officer_applicant", "_id": o.officer_id, "_agency": o.agency_id,
               "_applicant": applicant, "_name": o.name,
               "_case_ids": sorted(c.case_id for c in cases),
               "recent_discretionary_decisions": len(cases)}


def case_fact(index: Index, c: Case, agency_id: str, as_of: dt.date, chains: dict[str, list[str]]) -> Fact:
    p = index.processes[c.process_id]
    decided_on = _on_or_before(c.decided_on, as_of)
    reviewed_on = _on_or_before(c.reviewed_on, as_of)
    reviewer = c.reviewed_by if reviewed_on is not None else None
    chain = chains.get(c.officer_id)
    if chain is None:
        chain = chains[c.officer_id] = index.chain(c.officer_id)
    f: Fact = {
        "_type": "case", "_id": c.case_id, "_agency": agency_id,
        "_process_id": p.process_id, "_process_name": p.name, "_officer_id": c.officer_id,
        "_received_on": c.received_on, "_decided_on": decided_on, "_reviewed_on": reviewed_on,
        "_reviewed_by": reviewer, "_deviation": c.deviation, "_applicant_id": c.applicant_id,
        "_it_system": p.it_system, "_standard_days": p.standard_days, "_day_basis": p.basis,
        "_chain": chain,
        "discretion_used": c.discretion_used,
        "decided": decided_on is not None,
        "reviewed": reviewed_on is not None,
        "self_reviewed": reviewer is not None and reviewer == c.officer_id,
        "reviewer_in_chain": reviewer is not None and reviewer in chain,
        "has_legal_basis": c.legal_basis is not None,
        "process_has_manual": p.work_manual is not None,
        "public_service": p.public_service,
        "process_has_it_system": p.it_system is not None,
        "bypassed_it_system": c.via_it_system is False,
        "has_override_reason": c.override_reason is not None,
        "applicant_related": bool(c.applicant_related),
        "coi_declared": bool(c.coi_declared),
    }
    if decided_on is not None:
        f["days_since_decision"] = days(decided_on, as_of)
        if reviewed_on is not None:
            f["review_delay_days"] = days(decided_on, reviewed_on)
    overdue = False
    if p.standard_days is not None:
        end = decided_on if decided_on is not None else as_of
        took = elapsed(c.received_on, end, p.basis)
        overdue = took > p.standard_days
        f["_elapsed"] = took
    f["overdue"] = overdue
    deviates = (decided_on is not None and c.deviation is not None) or overdue
    f["deviates"] = deviates
    if deviates:
        on = decided_on if decided_on is not None else first_day_over(c.received_on, p.standard_days, p.basis)
        f["days_since_deviation"] = days(on, as_of)
        f["_deviation_on"] = on
    escalations = [e for e in index.escalations_by_case.get(c.case_id, ()) if e.reported_on <= as_of]
    f["escalated"] = bool(escalations)
    outside = []
    longest = None
    for e in escalations:
        if e.reported_to != index.officers[e.reported_by].supervisor_id:
            outside.append(e)
        closed = _on_or_before(e.investigated_on, as_of)
        took = days(e.reported_on, closed if closed is not None else as_of)
        if longest is None or took > longest[0]:
            longest = (took, e, closed)
    f["escalations_outside_chain"] = len(outside)
    if outside:
        f["_outside"] = [(e.report_id, e.reported_by, e.reported_to, index.officers[e.reported_by].supervisor_id)
                         for e in outside]
    if longest is not None:
        f["max_investigation_days"] = longest[0]
        f["_investigation"] = (longest[1].report_id, longest[1].reported_on, longest[2])
    officer = index.officers[c.officer_id]
    ack = _on_or_before(officer.ethics_acknowledged_on, as_of)
    f["_ethics_acknowledged_on"] = ack
    if decided_on is not None and ack is not None:
        f["ethics_ack_age_at_decision"] = days(ack, decided_on)
    return f
