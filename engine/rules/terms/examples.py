"""A small dataset for the terms' examples (their docstrings), changed by keyword arguments.

Agency A1 (สำนักงานที่ดินจังหวัดขอนแก่น) with its head H1 and officers O1 and O2 (both supervised
by H1); process P1, a discretionary public service with a work manual reviewed on 1 January
2024, its citizen manual on the web and at the office, 15 working days, IT system "e-Service";
case C1 of O1 for applicant X1, received Wednesday 1 May 2024, decided Monday 20 May 2024
("approved", citing "ข้อ 5", through the IT system) and reviewed by H1 on 22 May 2024; a risk
analysis with the ethics committee on 15 January 2024 and a monitoring report on 1 March 2024;
an acknowledgement round for fiscal year 2567 due on 20 December 2023. Everything is seen at
Friday 28 June 2024 unless ``as_of`` says otherwise. Dates may be written as ISO text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.domain import models
from engine.kb.knowledge import load_kb
from engine.rules.context import CorrectiveAction, RunContext
from engine.rules.terms.agency import AgencyFacts
from engine.rules.terms.case import CaseFacts
from engine.rules.terms.officer import OfficerFacts
from engine.rules.terms.process import ProcessFacts

AS_OF = "2024-06-28"
AGENCY = {"agency_id": "A1", "name": "สำนักงานที่ดินจังหวัดขอนแก่น", "serves_public": True}
PROCESS = {"process_id": "P1", "agency_id": "A1", "name": "ขออนุญาตก่อสร้างอาคาร", "discretionary": True,
           "public_service": True, "work_manual": "คู่มือ P1", "work_manual_reviewed_on": "2024-01-01",
           "citizen_manual_url": "https://a1.go.th/p1", "citizen_manual_at_office": True, "standard_days": 15,
           "it_system": "e-Service"}
HEAD = {"officer_id": "H1", "agency_id": "A1", "name": "นางหัวหน้า ดีงาม", "position": "เจ้าพนักงานที่ดินจังหวัด"}
OFFICER = {"officer_id": "O1", "agency_id": "A1", "name": "นายหนึ่ง ใจดี", "position": "นักวิชาการ",
           "supervisor_id": "H1", "in_position_since": "2019-10-01", "rotation_post": True,
           "ethics_acknowledged_on": "2024-01-10"}
COLLEAGUE = {"officer_id": "O2", "agency_id": "A1", "name": "นายสอง ใจงาม", "supervisor_id": "H1"}
CASE = {"case_id": "C1", "process_id": "P1", "officer_id": "O1", "applicant_id": "X1", "received_on": "2024-05-01",
        "decided_on": "2024-05-20", "outcome": "approved", "discretion_used": True, "legal_basis": "ข้อ 5",
        "reviewed_by": "H1", "reviewed_on": "2024-05-22", "via_it_system": True}
ESCALATION = {"report_id": "R1", "case_id": "C1", "reported_by": "O1", "reported_to": "H1",
              "reported_on": "2024-05-21"}
NOTICE = {"notice_id": "N1", "case_id": "C1", "notified_on": "2024-05-31", "opdc_copied": True}
ACKNOWLEDGEMENT = {"agency_id": "A1", "staff_total": 30, "staff_acknowledged": 30,
                   "published_url": "https://a1.go.th/ita", "reported_on": "2023-12-15", "fiscal_year": 2567}
ROUNDS = {2567: dt.date(2023, 12, 20)}


def _rows(model: type, base: dict[str, Any], changes: list[dict[str, Any]], key: str | None) -> list[Any]:
    out = []
    for i, change in enumerate(changes, start=1):
        row = {**base, **change}
        if key is not None and key not in change:
            row[key] = f"{base[key][0]}{i}"
        out.append(model(**row))
    return out


def context(as_of: str = AS_OF, process: dict[str, Any] | None = None, officer: dict[str, Any] | None = None,
            case: dict[str, Any] | None = None, escalations: list[dict[str, Any]] = (),
            notices: list[dict[str, Any]] = (), acknowledgements: list[dict[str, Any]] = (),
            parameters: dict[str, Any] | None = None,
            corrective: dict[str, tuple[int, str]] | None = None,
            corrective_actions: dict[str, list[tuple[str, str]]] | None = None) -> RunContext:
    """The example dataset's run context, with the given changes (``corrective_actions``: per
    agency, its confirmed flags' ids and corrective-action due dates)."""
    ds = models.Dataset(
        agencies=[models.Agency(**AGENCY)],
        processes=[models.Process(**{**PROCESS, **(process or {})})],
        officers=[models.Officer(**HEAD), models.Officer(**{**OFFICER, **(officer or {})}),
                  models.Officer(**COLLEAGUE)],
        cases=[models.Case(**{**CASE, **(case or {})})],
        escalations=_rows(models.Escalation, ESCALATION, list(escalations), "report_id"),
        delay_notices=_rows(models.DelayNotice, NOTICE, list(notices), "notice_id"),
        risk_analyses=[models.RiskAnalysis(agency_id="A1", analysed_on="2024-01-15", ethics_committee=True)],
        monitoring_reports=[models.MonitoringReport(agency_id="A1", reported_on="2024-03-01")],
        acknowledgements=_rows(models.Acknowledgement, ACKNOWLEDGEMENT, list(acknowledgements), None))
    params = {**load_kb().defaults(), "acknowledgement_deadlines": ROUNDS, **(parameters or {})}
    dues = {agency: (n, dt.date.fromisoformat(day)) for agency, (n, day) in corrective.items()} if corrective else None
    actions = {agency: [CorrectiveAction(flag_id, dt.date.fromisoformat(day), "1.1-unreviewed", "case", "C1")
                        for flag_id, day in listed] for agency, listed in corrective_actions.items()} \
        if corrective_actions is not None else None
    return RunContext.build(ds, dt.date.fromisoformat(as_of), params, corrective=dues, corrective_actions=actions)


def case(as_of: str = AS_OF, process: dict[str, Any] | None = None, officer: dict[str, Any] | None = None,
         escalations: list[dict[str, Any]] = (), notices: list[dict[str, Any]] = (),
         parameters: dict[str, Any] | None = None, **fields: Any) -> CaseFacts:
    """Case C1 at ``as_of``, its fields changed by ``fields``."""
    run = context(as_of, process, officer, fields, escalations, notices, parameters=parameters)
    return CaseFacts(run, run.dataset.cases[0], "A1")


def process(as_of: str = AS_OF, case: dict[str, Any] | None = None, parameters: dict[str, Any] | None = None,
            **fields: Any) -> ProcessFacts:
    """Process P1 at ``as_of``, its fields changed by ``fields`` (case C1's by ``case``)."""
    run = context(as_of, fields, case=case, parameters=parameters)
    return ProcessFacts(run, run.dataset.processes[0], "A1")


def officer(as_of: str = AS_OF, case: dict[str, Any] | None = None, parameters: dict[str, Any] | None = None,
            **fields: Any) -> OfficerFacts:
    """Officer O1 at ``as_of``, their fields changed by ``fields`` (case C1's by ``case``)."""
    run = context(as_of, officer=fields, case=case, parameters=parameters)
    return OfficerFacts(run, run.dataset.officers[1])


def agency(as_of: str = AS_OF, process: dict[str, Any] | None = None, acknowledgements: list[dict[str, Any]] = (),
           corrective: dict[str, tuple[int, str]] | None = None,
           parameters: dict[str, Any] | None = None,
           corrective_actions: dict[str, list[tuple[str, str]]] | None = None) -> AgencyFacts:
    """Agency A1 at ``as_of`` (its acknowledgement rows: ``acknowledgements``, each changing the default row)."""
    run = context(as_of, process, acknowledgements=acknowledgements, parameters=parameters, corrective=corrective,
                  corrective_actions=corrective_actions)
    return AgencyFacts(run, "A1")
