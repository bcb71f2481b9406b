"""An independent evaluator of the rule catalogue, written straight from SPEC §3.

Plain Python over the loaded dataset; it shares nothing with the engine's fact builder,
day counting or rules (only the loader's models, which are input, not logic). Tests
require the engine to agree with it flag for flag.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import holidays

_TH = holidays.country_holidays("TH")


def _days(a: dt.date, b: dt.date) -> int:
    return (b - a).days


def _elapsed(a: dt.date, b: dt.date, basis: str) -> int:
    if basis == "calendar":
        return _days(a, b)
    n = 0
    d = a + dt.timedelta(days=1)
    while d <= b:
        if d.weekday() < 5 and d not in _TH:
            n += 1
        d += dt.timedelta(days=1)
    return n


def _first_overdue_day(received: dt.date, limit: int, basis: str) -> dt.date:
    d = received
    while _elapsed(received, d, basis) <= limit:
        d += dt.timedelta(days=1)
    return d


def _plus_years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


def evaluate(ds, as_of: dt.date, p: dict) -> set[tuple]:
    """Return {(rule_id, subject_type, subject_id, applicant or None, severity)}."""
    out: set[tuple] = set()
    procs = {x.process_id: x for x in ds.processes}
    offs = {x.officer_id: x for x in ds.officers}

    def done(d):  # a dated fact after as_of counts as not done
        return d is not None and d <= as_of

    def flag(rule, kind, sid, sev, applicant=None):
        out.add((rule, kind, sid, applicant, sev))

    cases = [c for c in ds.cases if c.received_on <= as_of]
    case_ids = {c.case_id for c in cases}
    escs = defaultdict(list)
    for e in ds.escalations:
        if e.case_id in case_ids and e.reported_on <= as_of:
            escs[e.case_id].append(e)

    for c in cases:
        pr = procs[c.process_id]
        basis = pr.day_basis or "working"
        decided = done(c.decided_on)
        reviewed = done(c.reviewed_on)
        if c.discretion_used and decided and not reviewed and _days(c.decided_on, as_of) > p["review_within_days"]:
            flag("1.1-unreviewed", "case", c.case_id, "high")
        if c.discretion_used and reviewed and c.decided_on is not None and decided \
                and _days(c.decided_on, c.reviewed_on) > p["review_within_days"]:
            flag("1.1-late-review", "case", c.case_id, "medium")
        if reviewed and c.reviewed_by == c.officer_id:
            flag("1.1-self-review", "case", c.case_id, "high")
        if reviewed and c.reviewed_by != c.officer_id:
            chain, boss = [], offs[c.officer_id].supervisor_id
            while boss is not None and boss not in chain:
                chain.append(boss)
                boss = offs[boss].supervisor_id
            if c.reviewed_by not in chain:
                flag("1.1-reviewer-outside-chain", "case", c.case_id, "medium")
        if c.discretion_used and decided and not c.legal_basis:
            flag("1.1-no-legal-basis", "case", c.case_id, "medium")
        if c.discretion_used and decided and not pr.work_manual:
            flag("1.2-decision-without-manual", "case", c.case_id, "medium")
        overdue = False
        if pr.standard_days is not None:
            end = c.decided_on if decided else as_of
            overdue = _elapsed(c.received_on, end, basis) > pr.standard_days
        deviates = (decided and bool(c.deviation)) or overdue
        if deviates:
            dev_date = c.decided_on if decided else _first_overdue_day(c.received_on, pr.standard_days, basis)
            if not escs[c.case_id] and _days(dev_date, as_of) > p["escalation_within_days"]:
                flag("1.3-unreported-deviation", "case", c.case_id, "high")
        for e in escs[c.case_id]:
            if e.reported_to != offs[e.reported_by].supervisor_id:
                flag("1.3-report-outside-chain", "case", c.case_id, "medium")
            if done(e.investigated_on):
                late = _days(e.reported_on, e.investigated_on) > p["investigation_within_days"]
            else:
                late = _days(e.reported_on, as_of) > p["investigation_within_days"]
            if late:
                flag("1.3-uninvestigated", "case", c.case_id, "medium")
        if c.discretion_used and decided:
            ack = offs[c.officer_id].ethics_acknowledged_on
            if not done(ack) or ack > c.decided_on or _days(ack, c.decided_on) > p["ethics_ack_valid_days"]:
                flag("1.5-ethics-not-acknowledged", "case", c.case_id, "low")
        if c.applicant_related:
            flag("1.5-conflict-of-interest", "case", c.case_id, "medium" if c.coi_declared else "high")
        if pr.public_service and overdue:
            flag("1.6-time-limit-exceeded", "case", c.case_id, "medium")
        if pr.it_system and c.via_it_system is False and not c.override_reason:
            flag("1.7-it-bypassed", "case", c.case_id, "medium")

    for pr in ds.processes:
        if pr.discretionary and not pr.work_manual:
            flag("1.2-process-without-manual", "process", pr.process_id, "high")
        if pr.work_manual and (not done(pr.work_manual_reviewed_on)
                               or _days(pr.work_manual_reviewed_on, as_of) > p["manual_max_age_days"]):
            flag("1.2-manual-outdated", "process", pr.process_id, "low")
        if pr.public_service and (not pr.citizen_manual_url or not pr.citizen_manual_at_office):
            flag("1.6-manual-not-published", "process", pr.process_id, "medium")
        if pr.discretionary and not pr.it_system:
            flag("1.7-no-it-system", "process", pr.process_id, "low")

    for o in ds.officers:
        mine = [c for c in cases if c.officer_id == o.officer_id and c.discretion_used and done(c.decided_on)]
        if o.in_position_since is not None and _plus_years(o.in_position_since, p["rotation_years"]) <= as_of \
                and any(0 <= _days(c.decided_on, as_of) < 365 for c in mine):
            flag("1.4-rotation-due", "officer", o.officer_id, "medium")
        per_applicant = defaultdict(int)
        for c in mine:
            if c.applicant_id and _days(c.decided_on, as_of) < p["repeat_window_days"]:
                per_applicant[c.applicant_id] += 1
        for applicant, n in per_applicant.items():
            if n >= p["repeat_applicant_threshold"]:
                flag("1.4-repeat-applicant", "officer", o.officer_id, "medium", applicant)

    for a in ds.agencies:
        mine = [x for x in ds.processes if x.agency_id == a.agency_id]
        if any(x.discretionary for x in mine) and not any(
                r.agency_id == a.agency_id and r.ethics_committee and r.analysed_on <= as_of
                and _days(r.analysed_on, as_of) < p["risk_analysis_interval_days"] for r in ds.risk_analyses):
            flag("1.4-no-risk-analysis", "agency", a.agency_id, "medium")
        if mine and not any(m.agency_id == a.agency_id and m.reported_on <= as_of
                            and _days(m.reported_on, as_of) < p["monitoring_interval_days"]
                            for m in ds.monitoring_reports):
            flag("1.8-no-monitoring", "agency", a.agency_id, "medium")
        rows = [r for r in ds.acknowledgements if r.agency_id == a.agency_id
                and (r.reported_on is None or r.reported_on <= as_of)]
        if any(r.staff_acknowledged < r.staff_total for r in rows):
            flag("2.1-staff-not-informed", "agency", a.agency_id, "low")
        if any(not r.published_url for r in rows):
            flag("2.2-not-published", "agency", a.agency_id, "low")
        reported = sorted(r.reported_on for r in rows if r.reported_on is not None)
        deadline = p["acknowledgement_deadline"]
        if (as_of > deadline and not reported) or (reported and reported[0] > deadline):
            flag("2.3-not-reported", "agency", a.agency_id, "medium")
    return out
