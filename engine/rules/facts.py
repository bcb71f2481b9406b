"""Point-in-time facts: what the rules see of a dataset at ``as_of`` (catalogue v2).

Two steps, both straight from SPEC §3:

1. *Snapshot*: a fact dated after ``as_of`` does not exist yet — a case received later is
   dropped with its escalations and notices; a decision, review, report, notice,
   investigation, analysis, acknowledgement or manual review dated later counts as not done.
2. *Vocabulary*: each subject (case, process, officer, officer–applicant pair, agency)
   becomes one flat fact whose attributes are the terms the rule catalogue speaks in
   (``decided``, ``overdue``, ``review_deadline_passed`` …). Attributes are numbers and
   booleans only; which combination of them is a violation is said in ``rules/*.yaml``.

A comparison with a parameter that an agency or a process may override (SPEC §3
"Parameters"), or with a deadline on the government calendar, is made here, with the
subject's own parameter values, and reaches the rules as a boolean or a count; the values
used and their sources travel with the fact (``_params``) into the flag's message and
evidence. An attribute that does not apply is absent. Attributes whose name starts with
``_`` carry the subject's identity and the details messages quote; the rules engine never
sees them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from operator import attrgetter, le
from typing import Any

from engine.domain.calendar import GovernmentCalendar, add_years, days, fiscal_year
from engine.domain.models import Case, Dataset, DelayNotice, Escalation, Officer, Process
from engine.kb.knowledge import ParameterResolver, ParamValue

Fact = dict[str, Any]

KINDS = {"case": 1, "process": 2, "officer": 3, "officer_applicant": 4, "agency": 5}

# The vocabulary rules may use, per fact kind: attribute -> meaning. ``?`` marks an
# attribute that may be absent. Rule loading rejects any other name.
VOCABULARY: dict[str, dict[str, str]] = {
    "case": {
        "discretion_used": "the decision involved the official's discretion",
        "decided": "decided_on is on or before as_of",
        "reviewed": "reviewed_on is on or before as_of",
        "supervised": "the deciding officer has a supervisor_id",
        "review_sampled": "the process has review_sample_percent (sampled review instead of every decision)",
        "review_deadline_passed": "decided, and as_of > deadline(decided_on, review_within_days)",
        "reviewed_late": "reviewed, and reviewed_on > deadline(decided_on, review_within_days)",
        "self_reviewed": "reviewed, and reviewed_by is the deciding officer",
        "reviewer_in_chain": "reviewed, and reviewed_by is in the officer's chain",
        "has_legal_basis": "legal_basis is not empty",
        "outcome_approved": "outcome is 'approved' (the request granted in full)",
        "deviates": "decided with a non-empty deviation",
        "escalation_deadline_passed": "deviates, and as_of > deadline(decided_on, escalation_within_days)",
        "escalated": "an escalation for the case was reported on or before as_of",
        "escalations_outside_chain": "escalations (reported on or before as_of) by a reporter with a supervisor, sent to someone outside the reporter's chain",
        "escalations_investigated_late": "escalations investigated after deadline(reported_on, investigation_within_days), or not yet with as_of past it",
        "escalations_without_finding": "escalations investigated on or before as_of with finding or corrective_action empty",
        "process_has_it_system": "the process has an IT system",
        "bypassed_it_system": "via_it_system is explicitly false",
        "has_override_reason": "override_reason is not empty",
        "applicant_related": "the decider is related to, or has an interest with, the applicant",
        "coi_declared": "the decider declared the conflict",
        "coi_permitted_in_chain": "coi_permitted_by is someone in the officer's chain (Administrative Procedure Act s.16)",
        "ethics_ack_valid": "decided, and the officer's ethics acknowledgement (on or before as_of) precedes decided_on by at most ethics_ack_valid_days",
        "public_service": "the case's process is a public service",
        "licensing": "the case's process is licensing under the Licensing Facilitation Act",
        "overdue": "the case has a limit day and its end (decided_on, else as_of) is after it",
        "delay_notice_missed": "a delay notice was due (Licensing Facilitation Act s.10) and none was given",
        "notices_not_copied": "delay notices (on or before as_of) not copied to the OPDC",
    },
    "process": {
        "discretionary": "decisions in the process involve discretion",
        "has_manual": "work_manual is not empty",
        "discretionary_decided_cases": "its cases that used discretion and are decided",
        "manual_outdated": "work_manual_reviewed_on is empty (or after as_of) or older than manual_max_age_days",
        "public_service": "the public applies for it",
        "has_citizen_manual_url": "citizen_manual_url is not empty",
        "citizen_manual_at_office": "the citizen manual is posted at the office",
        "has_it_system": "it_system is not empty",
        "has_it_exempt_reason": "it_exempt_reason is not empty",
        "review_sampled": "review_sample_percent is set",
        "review_sample_short": "fewer of the sampling window's decisions were reviewed than review_sample_percent",
    },
    "officer": {
        "rotation_post": "the post is designated for rotation",
        "days_since_last_discretionary_decision?": "days(decided_on, as_of) of the officer's latest decided case that used discretion",
        "rotation_years_reached": "in_position_since + rotation_years (calendar years) is on or before as_of",
    },
    "officer_applicant": {
        "recent_discretionary_decisions": "decided discretionary cases for this applicant (a person) with days(decided_on, as_of) < repeat_window_days",
        "repeat_threshold_reached": "recent_discretionary_decisions ≥ repeat_applicant_threshold",
    },
    "agency": {
        "has_process": "the agency has at least one process",
        "has_discretionary_process": "the agency has a discretionary process",
        "committee_analysis_recent": "an analysis with the ethics committee with days(analysed_on, as_of) < risk_analysis_interval_days",
        "monitoring_recent": "a monitoring report with days(reported_on, as_of) < monitoring_interval_days",
        "corrective_actions_overdue?": "confirmed flags whose corrective-action due date < as_of (store runs only)",
        "acknowledgement_round_open": "a round fiscal year R applies at as_of (FY(as_of) ≤ R + 1)",
        "rows_staff_not_all_informed": "rows of round R with staff_acknowledged < staff_total",
        "rows_not_published": "rows of round R with published_url empty",
        "acknowledgement_late": "round R's form was not reported by its deadline",
    },
}


# Short Thai names of the attributes, for showing a rule's condition to people.
LABELS_TH: dict[str, str] = {
    "discretion_used": "ใช้ดุลพินิจ", "decided": "พิจารณาแล้ว", "reviewed": "ผู้บังคับบัญชาทบทวนแล้ว",
    "supervised": "ผู้พิจารณามีผู้บังคับบัญชา", "review_sampled": "ทบทวนแบบสุ่มตัวอย่าง",
    "review_deadline_passed": "พ้นกำหนดทบทวนแล้ว", "reviewed_late": "ทบทวนหลังกำหนด",
    "self_reviewed": "ผู้พิจารณาทบทวนเอง", "reviewer_in_chain": "ผู้ทบทวนอยู่ในสายการบังคับบัญชา",
    "has_legal_basis": "ระบุข้อกฎหมายที่อ้างอิง", "outcome_approved": "อนุญาตตามคำขอทั้งหมด",
    "deviates": "ไม่เป็นไปตามหลักเกณฑ์", "escalation_deadline_passed": "พ้นกำหนดรายงานต่อผู้บังคับบัญชาแล้ว",
    "escalated": "รายงานต่อผู้บังคับบัญชาแล้ว", "escalations_outside_chain": "จำนวนรายงานที่ส่งนอกสายการบังคับบัญชา",
    "escalations_investigated_late": "จำนวนรายงานที่ยังไม่ได้หาข้อเท็จจริงภายในกำหนด",
    "escalations_without_finding": "จำนวนรายงานที่หาข้อเท็จจริงแล้วแต่ไม่บันทึกผลหรือการแก้ไข",
    "process_has_it_system": "กระบวนงานมีระบบสารสนเทศ", "bypassed_it_system": "ไม่ได้ดำเนินการผ่านระบบสารสนเทศ",
    "has_override_reason": "ระบุเหตุผลที่ไม่ใช้ระบบ", "applicant_related": "ผู้พิจารณามีส่วนได้เสียกับผู้ยื่นคำขอ",
    "coi_declared": "แจ้งส่วนได้เสียแล้ว", "coi_permitted_in_chain": "ผู้บังคับบัญชาในสายการบังคับบัญชาสั่งให้ดำเนินการต่อ",
    "ethics_ack_valid": "รับทราบประมวลจริยธรรมที่ยังมีผลเมื่อพิจารณา", "public_service": "เป็นงานบริการประชาชน",
    "licensing": "เป็นการอนุญาตตาม พ.ร.บ.อำนวยความสะดวกฯ", "overdue": "เกินระยะเวลาที่กำหนด",
    "delay_notice_missed": "ไม่ได้แจ้งเหตุแห่งความล่าช้าตามกำหนด", "notices_not_copied": "จำนวนหนังสือแจ้งความล่าช้าที่ไม่ได้สำเนาถึง ก.พ.ร.",
    "discretionary": "กระบวนงานใช้ดุลพินิจ", "has_manual": "มีคู่มือการปฏิบัติงาน",
    "discretionary_decided_cases": "จำนวนเรื่องที่ใช้ดุลพินิจและพิจารณาแล้ว", "manual_outdated": "คู่มือไม่ได้รับการทบทวนตามกำหนด",
    "has_citizen_manual_url": "เผยแพร่คู่มือสำหรับประชาชนบนเว็บไซต์", "citizen_manual_at_office": "ปิดประกาศคู่มือสำหรับประชาชน ณ ที่ทำการ",
    "has_it_system": "มีระบบสารสนเทศ", "has_it_exempt_reason": "ระบุเหตุที่ใช้ระบบสารสนเทศแทนไม่ได้",
    "review_sample_short": "ทบทวนน้อยกว่าสัดส่วนที่กำหนด", "rotation_post": "ตำแหน่งที่กำหนดให้หมุนเวียน",
    "days_since_last_discretionary_decision": "จำนวนวันนับจากพิจารณาเรื่องที่ใช้ดุลพินิจครั้งล่าสุด",
    "rotation_years_reached": "ดำรงตำแหน่งครบรอบหมุนเวียน", "recent_discretionary_decisions": "จำนวนผลการพิจารณาให้ผู้ยื่นคำขอรายนี้ในช่วงเวลา",
    "repeat_threshold_reached": "ถึงเกณฑ์คำขอซ้ำ", "has_process": "มีกระบวนงาน", "has_discretionary_process": "มีกระบวนงานที่ใช้ดุลพินิจ",
    "committee_analysis_recent": "วิเคราะห์ร่วมกับคณะกรรมการจริยธรรมภายในรอบ", "monitoring_recent": "รายงานการกำกับติดตามภายในรอบ",
    "corrective_actions_overdue": "จำนวนการแก้ไขที่เลยกำหนด", "acknowledgement_round_open": "อยู่ในรอบการรายงานการรับทราบ",
    "rows_staff_not_all_informed": "จำนวนแถวที่บุคลากรรับทราบไม่ครบ", "rows_not_published": "จำนวนแถวที่ไม่ระบุเว็บไซต์",
    "acknowledgement_late": "ไม่ได้รายงานการรับทราบภายในกำหนด",
}


def attribute_names(kind: str) -> dict[str, bool]:
    """Attribute name -> whether it may be absent."""
    return {name.rstrip("?"): name.endswith("?") for name in VOCABULARY[kind]}


@dataclass
class Index:
    """Look-ups over a validated dataset, built once and shared by every partition, with
    the run's settings: parameter resolution, the government calendar, and the store's
    per-agency inputs (``corrective``: agency -> (overdue count, oldest due date); None in
    ``check``, where rule 1.8-corrective-action-overdue cannot be evaluated)."""

    dataset: Dataset
    processes: dict[str, Process]
    officers: dict[str, Officer]
    processes_by_agency: dict[str, list[Process]]
    officers_by_agency: dict[str, list[Officer]]
    cases_by_agency: dict[str, list[Case]]
    cases_by_officer: dict[str, list[Case]]
    cases_by_process: dict[str, list[Case]]
    escalations_by_case: dict[str, list[Escalation]]
    notices_by_case: dict[str, list[DelayNotice]]
    by_agency: dict[str, dict[str, list[Any]]]
    agency_names: dict[str, str]
    resolver: ParameterResolver
    calendar: GovernmentCalendar
    corrective: dict[str, tuple[int, dt.date]] | None = None
    # each agency's cases in case-id order (``part_facts`` slices them: a slice's flags of a rule
    # then all come before the next slice's, in the order flags are written)
    cases_by_id: dict[str, list[Case]] = field(default_factory=dict)
    # runs of consecutive cases of one agency in the dataset's order, in which they were made
    # and lie in memory (the columnar reader makes them agency by agency): ``evaluate.waves``
    agency_runs: int = 0
    _chains: dict[str, list[str]] = field(default_factory=dict)
    _plain: dict[tuple[str, str, str], tuple[dict[str, ParamValue], dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def build(cls, ds: Dataset, params: dict[str, Any] | None = None, calendar: GovernmentCalendar | None = None,
              corrective: dict[str, tuple[int, dt.date]] | None = None,
              stored: dict[str, ParamValue] | None = None) -> Index:
        from engine.kb.knowledge import default_calendar, load_kb

        kb = load_kb()
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
        cases_by_process: dict[str, list[Case]] = defaultdict(list)
        runs, last = 0, None
        for c in ds.cases:
            agency = processes[c.process_id].agency_id
            if agency != last:
                runs, last = runs + 1, agency
            cases_by_agency[agency].append(c)
            cases_by_officer[c.officer_id].append(c)
            cases_by_process[c.process_id].append(c)
        escalations_by_case: dict[str, list[Escalation]] = defaultdict(list)
        for e in ds.escalations:
            escalations_by_case[e.case_id].append(e)
        notices_by_case: dict[str, list[DelayNotice]] = defaultdict(list)
        for n in ds.delay_notices:
            notices_by_case[n.case_id].append(n)
        by_agency: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for name in ("risk_analyses", "monitoring_reports", "acknowledgements"):
            for item in getattr(ds, name):
                by_agency[item.agency_id][name].append(item)
        resolver = ParameterResolver(kb, params if params is not None else kb.defaults(), ds.parameters, stored)
        case_id = attrgetter("case_id")
        cases_by_id = {agency: cases if ascending(list(map(case_id, cases))) else sorted(cases, key=case_id)
                       for agency, cases in cases_by_agency.items()}
        return cls(ds, processes, officers, processes_by_agency, officers_by_agency,
                   cases_by_agency, cases_by_officer, cases_by_process, escalations_by_case, notices_by_case,
                   by_agency, {a.agency_id: a.name for a in ds.agencies}, resolver,
                   calendar or default_calendar(), corrective, cases_by_id, runs)

    def agency_ids(self) -> list[str]:
        return [a.agency_id for a in self.dataset.agencies]

    def case_values(self, agency_id: str, process_id: str, officer_agency_id: str
                    ) -> tuple[dict[str, ParamValue], dict[str, Any]]:
        """A case's parameters, and their values without sources (as ``case_fact`` compares them)."""
        key = (agency_id, process_id, officer_agency_id)
        out = self._plain.get(key)
        if out is None:
            params = self.resolver.values(agency_id, process_id)
            if officer_agency_id != agency_id:  # SPEC §3: 1.5-ethics-not-acknowledged uses the officer's agency
                ethics = self.resolver.values(officer_agency_id)["ethics_ack_valid_days"]
                params = {**params, "ethics_ack_valid_days": ethics}
            out = self._plain[key] = (params, _values(params))
        return out

    def chain(self, officer_id: str) -> list[str]:
        """The officer's chain: supervisor, their supervisor, … (cycle-free by validation)."""
        out = self._chains.get(officer_id)
        if out is None:
            out = []
            boss = self.officers[officer_id].supervisor_id
            while boss is not None and boss not in out:
                out.append(boss)
                boss = self.officers[boss].supervisor_id
            self._chains[officer_id] = out
        return out


def ascending(values: list[Any]) -> bool:
    """Whether ``values`` are in order already, each at most the next (then no sort is needed)."""
    return all(map(le, values, islice(values, 1, None)))


def _on_or_before(day: dt.date | None, as_of: dt.date) -> dt.date | None:
    return day if day is not None and day <= as_of else None


def _values(params: dict[str, ParamValue]) -> dict[str, Any]:
    return {name: pv.value for name, pv in params.items()}


# A part of a run: one agency's subjects other than cases (lo = hi = -1), or a slice
# [lo, hi) of its cases. A large agency's cases span several parts, so that every core has work.
Part = tuple[str, int, int]


def part_facts(index: Index, part: Part, as_of: dt.date) -> Iterator[Fact]:
    """Every fact of one part of a run at ``as_of`` (parameters come from ``index.resolver``)."""
    agency_id, lo, hi = part
    if lo < 0:
        yield agency_fact(index, agency_id, as_of)
        for p in index.processes_by_agency.get(agency_id, ()):
            yield process_fact(index, p, agency_id, as_of)
        for o in index.officers_by_agency.get(agency_id, ()):
            decided = decided_with_discretion(index, o.officer_id, as_of)
            yield officer_fact(index, o, decided, as_of)
            yield from officer_applicant_facts(index, o, decided, as_of)
        return
    for c in index.cases_by_id.get(agency_id, [])[lo:hi]:
        if c.received_on <= as_of:
            yield case_fact(index, c, agency_id, as_of)


def plan_parts(index: Index, slice_size: int) -> list[Part]:
    """The parts of a run, in agency order: each agency's other subjects, then its cases in
    slices of at most ``slice_size``."""
    parts: list[Part] = []
    for agency_id in index.agency_ids():
        parts.append((agency_id, -1, -1))
        n = len(index.cases_by_id.get(agency_id, ()))
        parts.extend((agency_id, lo, min(n, lo + slice_size)) for lo in range(0, n, slice_size))
    return parts


def acknowledgement_round(deadlines: dict[int, dt.date], as_of: dt.date) -> tuple[int, dt.date] | None:
    """SPEC §3 round fiscal year R and its deadline: the latest round ≤ FY(as_of), while FY(as_of) ≤ R + 1."""
    fy = fiscal_year(as_of)
    rounds = [year for year in deadlines if year <= fy]
    if not rounds or fy > max(rounds) + 1:
        return None
    r = max(rounds)
    return r, deadlines[r]


def agency_fact(index: Index, agency_id: str, as_of: dt.date) -> Fact:
    params = index.resolver.values(agency_id)
    v = _values(params)
    processes = index.processes_by_agency.get(agency_id, [])
    extra = index.by_agency.get(agency_id, {})
    analyses = [a.analysed_on for a in extra.get("risk_analyses", ())
                if a.ethics_committee and a.analysed_on <= as_of]
    reports = [m.reported_on for m in extra.get("monitoring_reports", ()) if m.reported_on <= as_of]
    f: Fact = {
        "_type": "agency", "_id": agency_id, "_agency": agency_id, "_name": index.agency_names.get(agency_id, agency_id),
        "_params": params,
        "has_process": bool(processes),
        "has_discretionary_process": any(p.discretionary for p in processes),
        "committee_analysis_recent": any(days(a, as_of) < v["risk_analysis_interval_days"] for a in analyses),
        "monitoring_recent": any(days(r, as_of) < v["monitoring_interval_days"] for r in reports),
        "_discretionary_processes": [p.process_id for p in processes if p.discretionary],
        "_last_analysis_on": max(analyses, default=None),
        "_last_monitoring_on": max(reports, default=None),
    }
    if index.corrective is not None:
        overdue, oldest = index.corrective.get(agency_id, (0, None))
        f["corrective_actions_overdue"] = overdue
        f["_oldest_due_date"] = oldest
    round_ = acknowledgement_round(v["acknowledgement_deadlines"], as_of)
    f["acknowledgement_round_open"] = round_ is not None
    rows = []
    if round_ is not None:
        r, deadline = round_
        rows = [a for a in extra.get("acknowledgements", ())
                if a.round == r and (a.reported_on is None or a.reported_on <= as_of)]
        reported = sorted(a.reported_on for a in rows if a.reported_on is not None)
        f["_round"], f["_round_deadline"] = r, deadline
        f["_first_reported_on"] = reported[0] if reported else None
        f["acknowledgement_late"] = (as_of > deadline and not reported) or bool(reported and reported[0] > deadline)
    else:
        f["acknowledgement_late"] = False
    f["rows_staff_not_all_informed"] = sum(a.staff_acknowledged < a.staff_total for a in rows)
    f["rows_not_published"] = sum(a.published_url is None for a in rows)
    f["_staff"] = [(a.staff_acknowledged, a.staff_total) for a in rows]
    return f


def process_fact(index: Index, p: Process, agency_id: str, as_of: dt.date) -> Fact:
    params = index.resolver.values(agency_id, p.process_id)
    v = _values(params)
    reviewed = _on_or_before(p.work_manual_reviewed_on, as_of)
    decided = [c for c in index.cases_by_process.get(p.process_id, ())
               if c.discretion_used and c.decided_on is not None and c.decided_on <= as_of and c.received_on <= as_of]
    latest = sorted(decided, key=lambda c: (c.decided_on, c.case_id), reverse=True)[:5]
    f: Fact = {
        "_type": "process", "_id": p.process_id, "_agency": agency_id, "_params": params,
        "_name": p.name, "_work_manual": p.work_manual, "_manual_reviewed_on": reviewed,
        "_citizen_manual_url": p.citizen_manual_url, "_it_system": p.it_system,
        "_latest_case_ids": [c.case_id for c in latest],
        "discretionary": p.discretionary,
        "has_manual": p.work_manual is not None,
        "discretionary_decided_cases": len(decided),
        "manual_outdated": p.work_manual is not None and (
            reviewed is None or days(reviewed, as_of) > v["manual_max_age_days"]),
        "public_service": p.public_service,
        "has_citizen_manual_url": p.citizen_manual_url is not None,
        "citizen_manual_at_office": bool(p.citizen_manual_at_office),
        "has_it_system": p.it_system is not None,
        "has_it_exempt_reason": p.it_exempt_reason is not None,
        "review_sampled": p.review_sample_percent is not None,
        "review_sample_short": False,
    }
    if reviewed is not None:
        f["_manual_age_days"] = days(reviewed, as_of)
    if p.review_sample_percent is not None:
        cal, within, window = index.calendar, v["review_within_days"], v["review_sample_window_days"]
        sample = [c for c in decided if index.officers[c.officer_id].supervisor_id is not None
                  and days(c.decided_on, as_of) <= window
                  and as_of > cal.deadline(c.decided_on, within, "working")]
        done = sum(1 for c in sample if c.reviewed_on is not None and c.reviewed_on <= as_of)
        f["review_sample_short"] = bool(sample) and 100 * done < p.review_sample_percent * len(sample)
        f["_sample_size"], f["_sample_reviewed"], f["_sample_percent"] = len(sample), done, p.review_sample_percent
    return f


def decided_with_discretion(index: Index, officer_id: str, as_of: dt.date) -> list[Case]:
    """The officer's cases that exist at ``as_of``, used discretion and were decided by then."""
    return [c for c in index.cases_by_officer.get(officer_id, ())
            if c.discretion_used and c.decided_on is not None and c.decided_on <= as_of and c.received_on <= as_of]


def officer_fact(index: Index, o: Officer, decided: list[Case], as_of: dt.date) -> Fact:
    params = index.resolver.values(o.agency_id)
    f: Fact = {"_type": "officer", "_id": o.officer_id, "_agency": o.agency_id, "_name": o.name, "_params": params,
               "_in_position_since": o.in_position_since, "_position": o.position,
               "rotation_post": bool(o.rotation_post),
               "rotation_years_reached": o.in_position_since is not None and add_years(
                   o.in_position_since, params["rotation_years"].value) <= as_of}
    # the latest decision; of several that day the first by case id (never the dataset's order,
    # which the columnar reader changes: it makes cases agency by agency)
    latest = min(decided, key=lambda c: (-c.decided_on.toordinal(), c.case_id), default=None)
    if latest is not None:
        f["days_since_last_discretionary_decision"] = days(latest.decided_on, as_of)
        f["_last_case_id"] = latest.case_id
        f["_last_decided_on"] = latest.decided_on
    if o.in_position_since is not None:
        f["_rotation_due_on"] = add_years(o.in_position_since, params["rotation_years"].value)
    return f


def officer_applicant_facts(index: Index, o: Officer, decided: list[Case], as_of: dt.date) -> Iterator[Fact]:
    params = index.resolver.values(o.agency_id)
    window, threshold = params["repeat_window_days"].value, params["repeat_applicant_threshold"].value
    recent: dict[str, list[Case]] = defaultdict(list)
    for c in decided:
        # juristic persons (companies, employers) file repeatedly by their nature
        if c.applicant_id is not None and c.applicant_kind != "juristic" and days(c.decided_on, as_of) < window:
            recent[c.applicant_id].append(c)
    for applicant, cases in recent.items():
        yield {"_type": "officer_applicant", "_id": o.officer_id, "_agency": o.agency_id, "_params": params,
               "_applicant": applicant, "_name": o.name,
               "_case_ids": sorted(c.case_id for c in cases),
               "recent_discretionary_decisions": len(cases),
               "repeat_threshold_reached": len(cases) >= threshold}


def limit_day(index: Index, c: Case, p: Process, as_of: dt.date) -> dt.date | None:
    """SPEC §3 a case's limit day: deadline(start, standard_days, day_basis); None before the clock starts."""
    start = c.start_on
    if p.standard_days is None or start > as_of:
        return None
    return index.calendar.deadline(start, p.standard_days, p.basis)


def missed_delay_notice(index: Index, limit: dt.date, end: dt.date, notices: list[dt.date], every: int) -> dt.date | None:
    """SPEC §3 1.6-delay-not-notified: the first notice due day with no notice, or None."""
    p = limit
    while True:
        due = index.calendar.deadline(p, every, "calendar")
        if due >= end:
            return None
        given = [n for n in notices if p < n <= due]
        if not given:
            return due
        p = min(given)


@lru_cache(maxsize=4096)
def _approved(outcome: str) -> bool:
    return outcome.strip().lower() == "approved"


def case_fact(index: Index, c: Case, agency_id: str, as_of: dt.date) -> Fact:
    p = index.processes[c.process_id]
    officer = index.officers[c.officer_id]
    params, v = index.case_values(agency_id, p.process_id, officer.agency_id)
    cal = index.calendar
    decided_on = _on_or_before(c.decided_on, as_of)
    reviewed_on = _on_or_before(c.reviewed_on, as_of)
    reviewer = c.reviewed_by if reviewed_on is not None else None
    chain = index.chain(c.officer_id)
    f: Fact = {
        "_type": "case", "_id": c.case_id, "_agency": agency_id, "_params": params,
        "_process_id": p.process_id, "_process_name": p.name, "_officer_id": c.officer_id,
        "_received_on": c.received_on, "_complete_on": c.complete_on, "_decided_on": decided_on,
        "_reviewed_on": reviewed_on, "_reviewed_by": reviewer, "_deviation": c.deviation,
        "_applicant_id": c.applicant_id, "_it_system": p.it_system, "_standard_days": p.standard_days,
        "_event_date": c.decided_on or c.received_on,  # the date the review queue files it under
        "_day_basis": p.basis, "_chain": chain, "_outcome": c.outcome, "_coi_permitted_by": c.coi_permitted_by,
        "discretion_used": c.discretion_used,
        "decided": decided_on is not None,
        "reviewed": reviewed_on is not None,
        "supervised": officer.supervisor_id is not None,
        "review_sampled": p.review_sample_percent is not None,
        "self_reviewed": reviewer is not None and reviewer == c.officer_id,
        "reviewer_in_chain": reviewer is not None and reviewer in chain,
        "has_legal_basis": c.legal_basis is not None,
        "outcome_approved": c.outcome is not None and _approved(c.outcome),
        "public_service": p.public_service,
        "licensing": p.is_licensing,
        "process_has_it_system": p.it_system is not None,
        "bypassed_it_system": c.via_it_system is False,
        "has_override_reason": c.override_reason is not None,
        "applicant_related": bool(c.applicant_related),
        "coi_declared": bool(c.coi_declared),
        "coi_permitted_in_chain": c.coi_permitted_by is not None and c.coi_permitted_by in chain,
    }
    # 1.1: the review period counts working days from the decision
    review_deadline = cal.deadline(c.decided_on, v["review_within_days"], "working") if c.decided_on else None
    f["_review_deadline"] = review_deadline
    f["review_deadline_passed"] = decided_on is not None and as_of > review_deadline
    f["reviewed_late"] = reviewed_on is not None and review_deadline is not None and reviewed_on > review_deadline
    # 1.3: a deviation is a decided case whose deviation is recorded
    deviates = decided_on is not None and c.deviation is not None
    f["deviates"] = deviates
    f["escalation_deadline_passed"] = False
    if deviates:
        f["_escalation_deadline"] = cal.deadline(decided_on, v["escalation_within_days"], "working")
        f["escalation_deadline_passed"] = as_of > f["_escalation_deadline"]
    reported = index.escalations_by_case.get(c.case_id)
    escalations = [e for e in reported if e.reported_on <= as_of] if reported else ()
    f["escalated"] = bool(escalations)
    outside: list[tuple[Any, ...]] = []
    late: list[tuple[Any, ...]] = []
    without: list[tuple[Any, ...]] = []
    for e in escalations:
        reporter = index.officers[e.reported_by]
        if reporter.supervisor_id is not None and e.reported_to not in index.chain(e.reported_by):
            outside.append((e.report_id, e.reported_by, e.reported_to, reporter.supervisor_id))
        due = cal.deadline(e.reported_on, v["investigation_within_days"], "calendar")
        closed = _on_or_before(e.investigated_on, as_of)
        if (closed is not None and closed > due) or (closed is None and as_of > due):
            late.append((e.report_id, e.reported_on, due, closed))
        if closed is not None and (e.finding is None or e.corrective_action is None):
            without.append((e.report_id, closed, e.finding is not None, e.corrective_action is not None))
    f["escalations_outside_chain"] = len(outside)
    f["escalations_investigated_late"] = len(late)
    f["escalations_without_finding"] = len(without)
    f["_outside"], f["_late_investigations"], f["_without_finding"] = outside, late, without
    # 1.5
    ack = _on_or_before(officer.ethics_acknowledged_on, as_of)
    f["_ethics_acknowledged_on"] = ack
    f["ethics_ack_valid"] = (decided_on is not None and ack is not None and ack <= decided_on
                             and days(ack, decided_on) <= v["ethics_ack_valid_days"])
    # 1.6: the clock starts at complete_on; the limit day rolls to a working day (APA s.64)
    limit = limit_day(index, c, p, as_of)
    end = decided_on if decided_on is not None else as_of
    f["_limit_day"], f["_end"] = limit, end
    f["overdue"] = limit is not None and end > limit
    if limit is not None:
        f["_elapsed_on"] = (cal, c.start_on, end, p.basis)  # counted when a message quotes it (flags.py)
    given = index.notices_by_case.get(c.case_id)
    notices = [n for n in given if n.notified_on <= as_of] if given else ()
    not_copied = [n.notice_id for n in notices if not n.opdc_copied] if notices else []
    on = sorted(n.notified_on for n in notices) if notices else []
    f["notices_not_copied"] = len(not_copied)
    f["_notices_not_copied"] = not_copied
    missed = None
    if f["overdue"] and p.is_licensing:
        missed = missed_delay_notice(index, limit, end, on, v["delay_notice_every_days"])
    f["delay_notice_missed"] = missed is not None
    f["_missed_due"] = missed
    f["_notices"] = on
    return f
