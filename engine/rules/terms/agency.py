"""The terms of an agency at ``as_of`` (SPEC §3): its risk analyses (1.4), the head's monitoring
(1.8), the review workflow's overdue corrective actions (1.8, store runs only) and the
acknowledgement round of guidelines 2.1–2.3.

An agency's parameters are its own ``parameters`` rows, else the run's. The examples build a
small dataset (``engine.rules.terms.examples``): agency A1 with one discretionary process P1,
a risk analysis with its ethics committee on 15 January 2024 and a monitoring report on
1 March 2024, seen at 28 June 2024, with an acknowledgement round for fiscal year 2567 due on
20 December 2023.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from engine.domain.calendar import days, fiscal_year
from engine.domain.thai import format_date
from engine.rules.context import CorrectiveAction, RunContext, corrective_action_late
from engine.rules.terms.registry import Subject, Terms

terms = Terms("agency")
term = terms.term


class AgencyFacts(Subject):
    """An agency at ``as_of``; ``records`` holds its risk analyses, monitoring reports and
    acknowledgement rows."""

    kind = "agency"
    terms = terms
    link = (None, None, None)

    def __init__(self, run: RunContext, agency_id: str):
        self.run, self.agency, self.id, self.as_of = run, agency_id, agency_id, run.as_of
        self.params, self.limits = run.parameters(agency_id)
        self.records: dict[str, list[Any]] = run.by_agency.get(agency_id, {})


def subjects(run: RunContext, agency_id: str) -> Iterator[AgencyFacts]:
    yield AgencyFacts(run, agency_id)


@term("ชื่อหน่วยงาน", "name")
def name(a: AgencyFacts) -> str:
    """The agency's name.

    >>> agency().name
    'สำนักงานที่ดินจังหวัดขอนแก่น'
    """
    return a.run.agency_names.get(a.id, a.id)


@term("กระบวนงาน", "processes")
def processes(a: AgencyFacts) -> list:
    """The agency's processes.

    >>> [p.process_id for p in agency().processes]
    ['P1']
    """
    return a.run.processes_by_agency.get(a.id, [])


@term("มีกระบวนงาน", "has a process")
def has_process(a: AgencyFacts) -> bool:
    """The agency has at least one process.

    >>> agency().has_process
    True
    """
    return bool(a.processes)


@term("มีกระบวนงานที่ใช้ดุลพินิจ", "has a discretionary process")
def has_discretionary_process(a: AgencyFacts) -> bool:
    """The agency has a discretionary process.

    >>> agency().has_discretionary_process, agency(process={"discretionary": False}).has_discretionary_process
    (True, False)
    """
    return any(p.discretionary for p in a.processes)


@term("กระบวนงานที่ใช้ดุลพินิจ", "discretionary processes")
def discretionary_processes(a: AgencyFacts) -> list[str]:
    """The ids of the agency's discretionary processes.

    >>> agency().discretionary_processes
    ['P1']
    """
    return [p.process_id for p in a.processes if p.discretionary]


# -- measure 1.4: the joint risk analysis --------------------------------------------------------

@term("การวิเคราะห์ร่วมกับคณะกรรมการจริยธรรม", "analyses with the ethics committee")
def committee_analyses(a: AgencyFacts) -> list[dt.date]:
    """The days of its risk analyses with the ethics committee, on or before as_of.

    >>> agency().committee_analyses
    [datetime.date(2024, 1, 15)]
    """
    return [r.analysed_on for r in a.records.get("risk_analyses", ())
            if r.ethics_committee and r.analysed_on <= a.as_of]


@term("วิเคราะห์ร่วมกับคณะกรรมการจริยธรรมภายในรอบ", "recent analysis with the committee")
def committee_analysis_recent(a: AgencyFacts) -> bool:
    """An analysis with the ethics committee with days(analysed_on, as_of) < risk_analysis_interval_days.

    >>> agency(as_of="2025-01-13").committee_analysis_recent, agency(as_of="2025-01-14").committee_analysis_recent
    (True, False)
    """
    return any(days(d, a.as_of) < a.limits["risk_analysis_interval_days"] for d in a.committee_analyses)


@term("ต้องวิเคราะห์ความเสี่ยงภายใน", "risk analysis due by")
def analysis_due(a: AgencyFacts) -> dt.date | None:
    """For an agency with a discretionary process and a recent analysis with the ethics committee:
    the last day that analysis counts, its analysed_on + risk_analysis_interval_days − 1; else
    None. The duty 1.4-no-risk-analysis flags the day after.

    >>> agency().analysis_due
    datetime.date(2025, 1, 13)
    """
    if not a.has_discretionary_process or not a.committee_analysis_recent:
        return None
    return max(a.committee_analyses) + dt.timedelta(days=a.limits["risk_analysis_interval_days"] - 1)


@term("วิเคราะห์ครั้งล่าสุด", "latest analysis")
def last_analysis_on(a: AgencyFacts) -> dt.date | None:
    """The latest analysis with the ethics committee on or before as_of, or None.

    >>> agency().last_analysis_on
    datetime.date(2024, 1, 15)
    """
    return max(a.committee_analyses, default=None)


# -- measure 1.8: the head's monitoring --------------------------------------------------------

@term("รายงานการกำกับติดตาม", "monitoring reports")
def monitoring_reports(a: AgencyFacts) -> list[dt.date]:
    """The days of its monitoring reports, on or before as_of.

    >>> agency().monitoring_reports
    [datetime.date(2024, 3, 1)]
    """
    return [m.reported_on for m in a.records.get("monitoring_reports", ()) if m.reported_on <= a.as_of]


@term("รายงานการกำกับติดตามภายในรอบ", "recent monitoring report")
def monitoring_recent(a: AgencyFacts) -> bool:
    """A monitoring report with days(reported_on, as_of) < monitoring_interval_days.

    >>> agency(as_of="2024-08-30").monitoring_recent, agency(as_of="2024-08-31").monitoring_recent
    (True, False)
    """
    return any(days(r, a.as_of) < a.limits["monitoring_interval_days"] for r in a.monitoring_reports)


@term("ต้องรายงานการกำกับติดตามภายใน", "monitoring report due by")
def monitoring_due(a: AgencyFacts) -> dt.date | None:
    """For an agency with a process and a recent monitoring report: the last day that report
    counts, its reported_on + monitoring_interval_days − 1; else None. The duty 1.8-no-monitoring
    flags the day after.

    >>> agency().monitoring_due
    datetime.date(2024, 8, 30)
    """
    if not a.has_process or not a.monitoring_recent:
        return None
    return max(a.monitoring_reports) + dt.timedelta(days=a.limits["monitoring_interval_days"] - 1)


@term("รายงานครั้งล่าสุด", "latest monitoring report")
def last_monitoring_on(a: AgencyFacts) -> dt.date | None:
    """The latest monitoring report on or before as_of, or None.

    >>> agency().last_monitoring_on
    datetime.date(2024, 3, 1)
    """
    return max(a.monitoring_reports, default=None)


@term("จำนวนการแก้ไขที่เลยกำหนด", "overdue corrective actions")
def corrective_actions_overdue(a: AgencyFacts) -> int | None:
    """Confirmed flags whose corrective-action due date < as_of (store runs only: None in ``check``).

    >>> agency().corrective_actions_overdue, agency(corrective={"A1": (2, "2024-06-01")}).corrective_actions_overdue
    (None, 2)
    """
    if a.run.corrective is None:
        return None
    return a.run.corrective.get(a.id, (0, None))[0]


@term("กำหนดเสร็จเก่าที่สุด", "oldest due date")
def oldest_due_date(a: AgencyFacts) -> dt.date | None:
    """The oldest corrective-action due date among them (store runs only), or None.

    >>> agency(corrective={"A1": (2, "2024-06-01")}).oldest_due_date
    datetime.date(2024, 6, 1)
    """
    if a.run.corrective is None:
        return None
    return a.run.corrective.get(a.id, (0, None))[1]


@term("การแก้ไขที่ยังไม่ถึงกำหนด", "corrective actions due")
def corrective_actions_due(a: AgencyFacts) -> list[CorrectiveAction] | None:
    """The agency's confirmed flags whose corrective action is not late yet (due on or after
    as_of: ``corrective_action_late``), soonest first (store runs only: None in ``check``). The
    duty 1.8-corrective-action-overdue flags the day after each one's due date.

    >>> [x.flag_id for x in agency(corrective_actions={"A1": [("F2", "2024-07-01"), ("F1", "2024-06-28"),
    ...                                                       ("F0", "2024-06-27")]}).corrective_actions_due]
    ['F1', 'F2']
    >>> agency().corrective_actions_due is None
    True
    """
    if a.run.corrective_actions is None:
        return None
    return sorted((x for x in a.run.corrective_actions.get(a.id, ()) if not corrective_action_late(x, a.as_of)),
                  key=lambda x: (x.due_date, x.flag_id))


# -- guidelines 2.1–2.3: the acknowledgement round -----------------------------------------------

def acknowledgement_round(deadlines: dict[int, dt.date], as_of: dt.date) -> tuple[int, dt.date] | None:
    """SPEC §3 round fiscal year R and its deadline: the latest round ≤ FY(as_of), while FY(as_of) ≤ R + 1."""
    fy = fiscal_year(as_of)
    rounds = [year for year in deadlines if year <= fy]
    if not rounds or fy > max(rounds) + 1:
        return None
    r = max(rounds)
    return r, deadlines[r]


@term("รอบปีงบประมาณ", "round", name="round")
def round_year(a: AgencyFacts) -> int | None:
    """The round fiscal year R: the latest fiscal year in acknowledgement_deadlines that is ≤
    FY(as_of), while FY(as_of) ≤ R + 1; None when no round applies.

    >>> agency().round, agency(as_of="2025-10-01").round
    (2567, None)
    """
    found = acknowledgement_round(a.limits["acknowledgement_deadlines"], a.as_of)
    return found[0] if found is not None else None


@term("กำหนดส่งแบบรายงาน", "round deadline")
def round_deadline(a: AgencyFacts) -> dt.date | None:
    """Round R's deadline, or None.

    >>> agency().round_deadline
    datetime.date(2023, 12, 20)
    """
    return a.limits["acknowledgement_deadlines"][a.round] if a.round is not None else None


@term("อยู่ในรอบการรายงานการรับทราบ", "round open")
def acknowledgement_round_open(a: AgencyFacts) -> bool:
    """A round fiscal year R applies at as_of (FY(as_of) ≤ R + 1).

    >>> agency().acknowledgement_round_open
    True
    """
    return a.round is not None


@term("แถวของรอบ", "the round's rows")
def round_rows(a: AgencyFacts) -> list:
    """Its acknowledgement rows of round R that exist at as_of (reported_on empty or on or before as_of).

    >>> len(agency(acknowledgements=[{"reported_on": "2023-12-19"}]).round_rows)
    1
    """
    if a.round is None:
        return []
    return [r for r in a.records.get("acknowledgements", ())
            if r.round == a.round and (r.reported_on is None or r.reported_on <= a.as_of)]


@term("วันที่รายงานครั้งแรก", "first reported on")
def first_reported_on_date(a: AgencyFacts) -> dt.date | None:
    """The earliest reported_on of its rows of round R, or None.

    >>> agency(acknowledgements=[{"reported_on": "2023-12-21"}]).first_reported_on_date
    datetime.date(2023, 12, 21)
    """
    return min((r.reported_on for r in a.round_rows if r.reported_on is not None), default=None)


@term("ไม่ได้รายงานการรับทราบภายในกำหนด", "acknowledgement late")
def acknowledgement_late(a: AgencyFacts) -> bool:
    """For R with deadline d: as_of > d and none of its rows for R has a reported_on; or the
    earliest reported_on of its rows for R is > d.

    >>> agency(acknowledgements=[{"reported_on": "2023-12-20"}]).acknowledgement_late
    False
    >>> agency(acknowledgements=[{"reported_on": "2023-12-21"}]).acknowledgement_late
    True
    """
    if a.round is None:
        return False
    first = a.first_reported_on_date
    return (a.as_of > a.round_deadline and first is None) or (first is not None and first > a.round_deadline)


@term("ต้องส่งแบบรายงานภายใน", "acknowledgement due by")
def acknowledgement_due(a: AgencyFacts) -> dt.date | None:
    """While round R is open and none of the agency's rows for R has been reported: R's deadline,
    if not passed; else None. The duty 2.3-not-reported flags the day after.

    >>> agency(as_of="2023-12-01").acknowledgement_due, agency().acknowledgement_due
    (datetime.date(2023, 12, 20), None)
    """
    if a.round is None or a.first_reported_on_date is not None or a.as_of > a.round_deadline:
        return None
    return a.round_deadline


@term("จำนวนแถวที่บุคลากรรับทราบไม่ครบ", "rows with staff not all informed")
def rows_staff_not_all_informed(a: AgencyFacts) -> int:
    """Rows of round R with staff_acknowledged < staff_total.

    >>> agency(acknowledgements=[{"staff_acknowledged": 29}]).rows_staff_not_all_informed
    1
    """
    return sum(r.staff_acknowledged < r.staff_total for r in a.round_rows)


@term("จำนวนแถวที่ไม่ระบุเว็บไซต์", "rows not published")
def rows_not_published(a: AgencyFacts) -> int:
    """Rows of round R with published_url empty.

    >>> agency(acknowledgements=[{"published_url": None}]).rows_not_published
    1
    """
    return sum(r.published_url is None for r in a.round_rows)


@term("รับทราบ/ทั้งหมด", "acknowledged/total")
def staff(a: AgencyFacts) -> list[str]:
    """Each row of round R as "acknowledged/total".

    >>> agency(acknowledgements=[{"staff_acknowledged": 29}]).staff
    ['29/30']
    """
    return [f"{r.staff_acknowledged}/{r.staff_total}" for r in a.round_rows]


@term("การรายงาน", "report")
def reported_th(a: AgencyFacts) -> str:
    """Whether and when the round's form was reported, in Thai words.

    >>> agency().reported_th
    'ยังไม่ได้รายงานการรับทราบมาตรการ'
    """
    if a.first_reported_on_date is None:
        return "ยังไม่ได้รายงานการรับทราบมาตรการ"
    return f"รายงานการรับทราบมาตรการเมื่อ {format_date(a.first_reported_on_date, 'th')} ล่าช้ากว่ากำหนด"


@term("report", "report")
def reported_en(a: AgencyFacts) -> str:
    """Whether and when the round's form was reported, in English words.

    >>> agency(acknowledgements=[{"reported_on": "2023-12-21"}]).reported_en
    'reported acknowledgement on 2023-12-21, after the deadline'
    """
    if a.first_reported_on_date is None:
        return "has not reported acknowledgement of the measures"
    return f"reported acknowledgement on {format_date(a.first_reported_on_date, 'en')}, after the deadline"
