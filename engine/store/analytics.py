"""Risk analysis for the ethics committee (measure 1.4): where flags concentrate, how they
trend by fiscal year, which processes deviate, and officers whose approval rates stand out.
Signals here are numbers for people to weigh, not flags."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from engine.domain.calendar import fiscal_year, today
from engine.domain.errors import UsageError
from engine.domain.thai import MONTHS_TH_ABBR
from engine.rules.context import RunContext
from engine.store import stored_terms
from engine.store.schema import CaseRow, FlagRow, RiskAnalysisRow
from engine.store.scope import READ, RISK, Scope

ACTIVE = ("open", "needs_info", "confirmed")


def fiscal_months(fy: int) -> list[tuple[int, int]]:
    """(year, month) of the twelve months of fiscal year ``fy`` (BE), October first."""
    start = fy - 543 - 1
    return [(start, m) for m in range(10, 13)] + [(start + 1, m) for m in range(1, 10)]


def month_label(year: int, month: int) -> str:
    return f"{MONTHS_TH_ABBR[month - 1]} {str(year + 543)[-2:]}"


def _scoped(scope: Scope, stmt, column):
    scope.require(READ)
    return stmt.where(column == scope.agency_filter()) if scope.agency_filter() else stmt


def heatmap(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Active flags per agency × measure: case-level flags (``level`` "case") per 100 cases; flags of
    process-, officer- and agency-level rules (``level`` "other") as counts — a rate per case means nothing there."""
    cases = dict(session.execute(_scoped(scope, select(CaseRow.agency_id, func.count()).group_by(CaseRow.agency_id),
                                         CaseRow.agency_id)).all())
    level = case((FlagRow.subject_type == "case", "case"), else_="other")
    stmt = _scoped(scope, select(FlagRow.agency_id, FlagRow.measure, level, func.count())
                   .where(FlagRow.status.in_(ACTIVE)).group_by(FlagRow.agency_id, FlagRow.measure, level),
                   FlagRow.agency_id)
    return [{"agency_id": a, "measure": m, "level": lv, "flags": n, "cases": cases.get(a, 0),
             "per_100_cases": round(100 * n / cases[a], 2) if lv == "case" and cases.get(a) else None}
            for a, m, lv, n in session.execute(stmt)]


def monthly_trend(session: Session, scope: Scope, fy: int) -> list[dict[str, Any]]:
    """Flags per month of a fiscal year (by the date of the decision or request), per measure."""
    months = fiscal_months(fy)
    first, last = dt.date(*months[0], 1), dt.date(months[-1][0], 9, 30)
    # counted per day by the database (a few thousand rows, not one per flag: 1M cases' flags
    # for a provincial officer 1.4 -> 0.5 s on SQLite), then per month here, in any dialect
    stmt = _scoped(scope, select(FlagRow.event_date, FlagRow.measure, func.count()).where(
        FlagRow.event_date >= first, FlagRow.event_date <= last, FlagRow.status != "cleared_by_data")
        .group_by(FlagRow.event_date, FlagRow.measure), FlagRow.agency_id)
    counts: dict[tuple[int, int, str], int] = defaultdict(int)
    for day, measure, n in session.execute(stmt):
        counts[(day.year, day.month, measure)] += n
    measures = sorted({k[2] for k in counts})
    return [{"month": month_label(y, m), "order": i, "measure": measure, "flags": counts.get((y, m, measure), 0)}
            for i, (y, m) in enumerate(months) for measure in measures]


def fiscal_years(session: Session, scope: Scope) -> list[int]:
    days = session.execute(_scoped(scope, select(func.min(FlagRow.event_date), func.max(FlagRow.event_date)),
                                   FlagRow.agency_id)).one()
    if days[0] is None:
        return [fiscal_year(today())]
    return list(range(fiscal_year(days[1]), fiscal_year(days[0]) - 1, -1))


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def case_signals(session: Session, scope: Scope, as_of: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The cases' risk signals at ``as_of`` in the user's scope — ``processes``: the process
    ranking (``process_ranking``), ``outliers``: officers whose approval rates stand out
    (``approval_outliers``) — from one count of the cases by the database (``count_cases``)."""
    run = stored_terms.context(session, scope, as_of)
    counted = count_cases(session, scope, run)
    return {"processes": process_ranking(run, counted), "outliers": approval_outliers(run, counted)}


# one row per process, officer and outcome as written: the cases that exist at as_of, those of them
# that deviate, those overdue, and the decided discretionary cases
Counted = list[tuple[str, str, str | None, int, int, int, int]]


def count_cases(session: Session, scope: Scope, run: RunContext) -> Counted:
    """The stored cases the user sees, counted by the database per process, officer and outcome
    as written (``Counted``) at ``run.as_of``: the case terms ``deviates`` and ``overdue`` as SQL,
    each case's limit day worked out by the term itself (``stored_terms.limit_days``).
    ``run``: ``stored_terms.context``."""
    as_of = run.as_of
    exists = stored_terms.exists(as_of)
    with stored_terms.limit_days(session, scope, run) as limits:
        return [tuple(r) for r in session.execute(_scoped(scope, select(
            CaseRow.process_id, CaseRow.officer_id, CaseRow.outcome, _count(exists),
            _count(and_(exists, stored_terms.deviates(as_of))), _count(and_(exists, stored_terms.overdue(as_of, limits))),
            _count(and_(CaseRow.discretion_used.is_(True), stored_terms.decided(as_of))))
            .outerjoin(limits, and_(limits.c.process_id == CaseRow.process_id,
                                    limits.c.start_on == stored_terms.start_on()))
            .group_by(CaseRow.process_id, CaseRow.officer_id, CaseRow.outcome), CaseRow.agency_id))]


def process_ranking(run: RunContext, counted: Counted) -> list[dict[str, Any]]:
    """Processes by their share of deviating and of overdue cases (the case terms ``deviates`` and
    ``overdue``, engine/rules/terms/case.py) among their cases that exist at as_of."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for process_id, _, _, n, deviating, overdue, _ in counted:
        t = totals[process_id]
        t[0], t[1], t[2] = t[0] + n, t[1] + deviating, t[2] + overdue
    rows = []
    for process_id, (n, deviating, overdue) in totals.items():
        if not n:
            continue
        p = run.processes[process_id]
        rows.append({"process_id": process_id, "agency_id": p.agency_id, "name": p.name, "cases": n,
                     "deviating": deviating, "deviation_rate": round(deviating / n, 4),
                     "overdue": overdue, "overdue_rate": round(overdue / n, 4)})
    return sorted(rows, key=lambda r: (-r["deviation_rate"], -r["overdue_rate"], r["process_id"]))


@dataclass(frozen=True)
class Fence:
    q1: float
    q3: float
    low: float
    high: float


def iqr_fence(values: list[float], k: float = 1.5) -> Fence:
    """Tukey's fences: [Q1 − k·IQR, Q3 + k·IQR], quartiles by the inclusive method
    (``statistics.quantiles(method="inclusive")``, the same as Excel's QUARTILE.INC)."""
    if len(values) < 2:
        raise ValueError("a fence needs at least two values")
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    iqr = q3 - q1
    return Fence(q1, q3, q1 - k * iqr, q3 + k * iqr)


MIN_DECISIONS = 5  # an officer with fewer discretionary decisions in a process is not compared
MIN_PEERS = 4      # a process needs this many comparable officers for a fence


def approval_outliers(run: RunContext, counted: Counted) -> list[dict[str, Any]]:
    """Per process, officers whose approval rate of decided discretionary cases lies outside
    the IQR fence of their peers in the same process. Risk signals, with the numbers. Whether an
    outcome as written is an approval is the case term ``outcome_approved``'s answer."""
    approval: dict[tuple[str, str | None], bool] = {}
    tally: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for process_id, officer_id, outcome, _, _, _, decided in counted:
        if decided:
            t = tally[process_id][officer_id]
            t[0] += decided
            if (process_id, outcome) not in approval:
                approval[process_id, outcome] = stored_terms.facts(run, process_id, outcome=outcome).outcome_approved
            if approval[process_id, outcome]:
                t[1] += decided
    out = []
    for process_id, officers in tally.items():
        rates = {o: a / n for o, (n, a) in officers.items() if n >= MIN_DECISIONS}
        if len(rates) < MIN_PEERS:
            continue
        fence = iqr_fence(list(rates.values()))
        for officer, rate in rates.items():
            if rate < fence.low or rate > fence.high:
                n, approved = officers[officer]
                out.append({"process_id": process_id, "agency_id": run.processes[process_id].agency_id,
                            "officer_id": officer, "decisions": n, "approved": approved,
                            "approval_rate": round(rate, 4),
                            "direction": "high" if rate > fence.high else "low", "peers": len(rates),
                            "q1": round(fence.q1, 4), "q3": round(fence.q3, 4),
                            "fence_low": round(fence.low, 4), "fence_high": round(fence.high, 4)})
    return sorted(out, key=lambda r: (r["process_id"], -r["approval_rate"], r["officer_id"]))


def flags_of_rule(session: Session, scope: Scope, rule_id: str) -> list[dict[str, Any]]:
    stmt = _scoped(scope, select(FlagRow).where(FlagRow.rule_id == rule_id, FlagRow.status != "cleared_by_data")
                   .order_by(FlagRow.agency_id, FlagRow.subject_id), FlagRow.agency_id)
    return [{"agency_id": f.agency_id, "officer_id": f.subject_id, "applicant": f.applicant, "status": f.status,
             "evidence": f.evidence} for f in session.scalars(stmt)]


def record_analysis(session: Session, scope: Scope, agency_id: str, analysed_on: dt.date, ethics_committee: bool,
                    participants: str, risks: str, rotation_plan: str | None, controls: str | None,
                    notes: str | None = None) -> RiskAnalysisRow:
    """A joint analysis by the head and the ethics committee; rule 1.4-no-risk-analysis reads it."""
    scope.require(RISK, agency_id)
    participants, risks = (participants or "").strip(), (risks or "").strip()
    if not participants or not risks:
        raise UsageError("an analysis names its participants and the risks found")
    if analysed_on > today():
        raise UsageError("an analysis cannot be dated in the future")
    row = RiskAnalysisRow(agency_id=agency_id, analysed_on=analysed_on, ethics_committee=ethics_committee,
                          rotation_considered=bool((rotation_plan or "").strip()), notes=notes, source="app",
                          participants=participants, risks=risks, rotation_plan=(rotation_plan or "").strip() or None,
                          controls=(controls or "").strip() or None, recorded_by=scope.username)
    session.add(row)
    session.flush()
    return row


def analyses(session: Session, scope: Scope) -> list[dict[str, Any]]:
    stmt = _scoped(scope, select(RiskAnalysisRow).order_by(RiskAnalysisRow.analysed_on.desc()), RiskAnalysisRow.agency_id)
    return [{c.name: getattr(r, c.name) for c in RiskAnalysisRow.__table__.columns} for r in session.scalars(stmt)]
