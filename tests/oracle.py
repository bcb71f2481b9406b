"""An independent evaluator of rule catalogue v3, written straight from SPEC §2 and §3.

Plain Python over the loaded dataset; it shares nothing with the engine's terms, calendar,
parameter resolution or rules (only the loader's models, which are input, not logic; the
outcome words are read here from SPEC §2's table, not by ``models.outcome_kind``). It reads
kb/calendar.yaml and the ``holidays`` library itself and walks day by day. Tests require the
engine to agree with it flag for flag; tests/test_oracle_v3.py checks it against scenarios
worked out by hand from SPEC.

Where SPEC leaves a choice, this evaluator takes the one written beside the code (``choice:``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import holidays
import yaml

_ONE = dt.timedelta(days=1)
_LIB = holidays.country_holidays("TH", categories=("public", "government"), language="en_US")
_KB = Path(__file__).resolve().parents[1] / "kb"
_ENTRIES = {e["date"]: e["kind"] for e in
            (yaml.safe_load((_KB / "calendar.yaml").read_text(encoding="utf-8")) or {}).get("entries") or []}
_OVERRIDABLE = {name: p["overridable"] for name, p in
                yaml.safe_load((_KB / "measures.yaml").read_text(encoding="utf-8"))["parameters"].items()}
# SPEC §3's parameters new in v3, with the table's default and overridability: used when the run's
# values (from a KB not yet at v3) lack them
V3_PARAMETERS = {"decision_within_days": (30, "no"), "repeat_applicant_threshold_juristic": (15, "agency")}
# National Labour Day is a working day for government offices, and so is the library's day in lieu of it
_LABOUR_DAY = "National Labor Day"
# SPEC §2 v3: the outcome words (any case, surrounding space ignored); any other text is neither
_APPROVED = {"approved", "อนุมัติ", "อนุญาต", "ให้ตามคำขอ", "เห็นชอบ"}
_PARTIAL = {"partial", "อนุมัติบางส่วน", "อนุญาตบางส่วน"}
_DENIED = {"denied", "refused", "ไม่อนุมัติ", "ไม่อนุญาต", "ยกคำขอ", "ปฏิเสธ"}


def day_off(d: dt.date) -> bool:
    if d.weekday() >= 5:
        return True
    if d in _ENTRIES:
        return _ENTRIES[d] == "add"
    names = [n for n in (_LIB.get(d) or "").split("; ") if n and not n.startswith(_LABOUR_DAY)]
    return bool(names)


def _days(a: dt.date, b: dt.date) -> int:
    return (b - a).days


def deadline(a: dt.date, n: int, basis: str) -> dt.date:
    if basis == "working" and n > 0:
        d, left = a, n
        while left:
            d += _ONE
            if not day_off(d):
                left -= 1
        return d
    d = a + dt.timedelta(days=n)
    while day_off(d):
        d += _ONE
    return d


def _plus_years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


def _fy(d: dt.date) -> int:
    return d.year + 543 + (1 if d.month >= 10 else 0)


def outcome_read(outcome: str | None) -> str | None:
    """``approved``, ``partial``, ``denied`` or None (empty, or another text kept as written)."""
    word = (outcome or "").strip().lower()
    for kind, words in (("approved", _APPROVED), ("partial", _PARTIAL), ("denied", _DENIED)):
        if word in words:
            return kind
    return None


def evaluate(ds, as_of: dt.date, p: dict, corrective: dict | None = None) -> set[tuple]:
    """Return {(rule_id, subject_type, subject_id, applicant or None, severity)}."""
    out: set[tuple] = set()
    p = {**{name: default for name, (default, _) in V3_PARAMETERS.items()}, **p}
    procs = {x.process_id: x for x in ds.processes}
    offs = {x.officer_id: x for x in ds.officers}
    rows_agency, rows_process = defaultdict(list), defaultdict(list)
    for r in ds.parameters:
        if r.process_id:
            rows_process[r.process_id, r.name].append(r)
        else:
            rows_agency[r.agency_id, r.name].append(r)

    def in_force(rows, on):
        """The row in force on ``on``: effective_from empty or ≤ on; the latest such (empty = earliest)."""
        rows = [r for r in rows if r.effective_from is None or r.effective_from <= on]
        return max(rows, key=lambda r: r.effective_from or dt.date.min, default=None)

    def param(name, agency, process, on):
        """KB default or the run's --set, then the agency's row in force on ``on``, then the process's."""
        value = p[name]
        for row in (in_force(rows_agency[agency, name], on),
                    in_force(rows_process[process, name], on) if process is not None else None):
            if row is not None:
                value = int(row.value)
        return value

    def done(d):  # a dated fact after as_of counts as not done
        return d is not None and d <= as_of

    def flag(rule, kind, sid, sev, applicant=None):
        out.add((rule, kind, sid, applicant, sev))

    def chain(officer_id):
        result, boss = [], offs[officer_id].supervisor_id
        while boss is not None and boss not in result:
            result.append(boss)
            boss = offs[boss].supervisor_id
        return result

    cases = [c for c in ds.cases if c.received_on <= as_of]
    case_ids = {c.case_id for c in cases}
    escs, notices = defaultdict(list), defaultdict(list)
    for e in ds.escalations:
        if e.case_id in case_ids and e.reported_on <= as_of:
            escs[e.case_id].append(e)
    for n in ds.delay_notices:
        if n.case_id in case_ids and n.notified_on <= as_of:
            notices[n.case_id].append(n)

    for c in cases:
        pr = procs[c.process_id]
        decided = done(c.decided_on)
        reviewed = done(c.reviewed_on)
        # the reference date of a case's rules: its decision, else as_of (an order made later does not
        # reach back). choice: it holds for every parameter of the case's rules, including
        # investigation_within_days of an escalation made after the decision
        on = c.decided_on if decided else as_of

        def v(name):
            return param(name, pr.agency_id, pr.process_id, on)  # noqa: B023 (used in this iteration only)
        supervised = offs[c.officer_id].supervisor_id is not None
        my_chain = chain(c.officer_id)
        if supervised and c.discretion_used and decided and pr.review_sample_percent is None and not reviewed \
                and as_of > deadline(c.decided_on, v("review_within_days"), "working"):
            flag("1.1-unreviewed", "case", c.case_id, "high")
        if supervised and c.discretion_used and reviewed and c.decided_on is not None \
                and c.reviewed_on > deadline(c.decided_on, v("review_within_days"), "working"):
            flag("1.1-late-review", "case", c.case_id, "medium")
        if supervised and c.discretion_used and reviewed and c.reviewed_by == c.officer_id:
            flag("1.1-self-review", "case", c.case_id, "high")
        if supervised and c.discretion_used and reviewed and c.reviewed_by != c.officer_id \
                and c.reviewed_by not in my_chain:
            flag("1.1-reviewer-outside-chain", "case", c.case_id, "medium")
        # APA s.37 para 3 (1): no stated reasons needed only for a request granted in full that affects no
        # other person
        if c.discretion_used and decided and not c.legal_basis \
                and not (outcome_read(c.outcome) == "approved" and not pr.affects_others):
            flag("1.1-no-legal-basis", "case", c.case_id, "medium")
        if decided and c.deviation and not escs[c.case_id] \
                and as_of > deadline(c.decided_on, v("escalation_within_days"), "working"):
            flag("1.3-unreported-deviation", "case", c.case_id, "high")
        for e in escs[c.case_id]:
            boss = offs[e.reported_by].supervisor_id
            if boss is not None and e.reported_to not in chain(e.reported_by):
                flag("1.3-report-outside-chain", "case", c.case_id, "low")
            due = deadline(e.reported_on, v("investigation_within_days"), "calendar")
            if (done(e.investigated_on) and e.investigated_on > due) or (not done(e.investigated_on) and as_of > due):
                flag("1.3-uninvestigated", "case", c.case_id, "medium")
            if done(e.investigated_on) and (not e.finding or not e.corrective_action):
                flag("1.3-no-finding", "case", c.case_id, "low")
        if c.applicant_related:
            ground = c.coi_ground or "s13"
            permitted = ground == "s16" and c.coi_declared and c.coi_permitted_by is not None \
                and c.coi_permitted_by in my_chain
            if not permitted:  # s.16 declared and permitted in the chain: no flag, exception or not
                if c.coi_exception:
                    flag("1.5-conflict-of-interest", "case", c.case_id, "low")  # s.18: the reason is checked
                elif ground == "s13" or not c.coi_declared:
                    flag("1.5-conflict-of-interest", "case", c.case_id, "high")
                else:
                    flag("1.5-conflict-of-interest", "case", c.case_id, "medium")
        start = c.complete_on or c.received_on
        limit = None
        if start <= as_of:  # a complete_on after as_of: the clock has not started
            if pr.standard_days is not None:
                limit = deadline(start, pr.standard_days, pr.day_basis or "working")
            elif pr.public_service:  # APA s.39/1, always on a calendar basis
                limit = deadline(start, v("decision_within_days"), "calendar")
        end = c.decided_on if decided else as_of
        overdue = limit is not None and end > limit
        if pr.public_service and overdue:
            flag("1.6-time-limit-exceeded", "case", c.case_id, "medium")
        if pr.licensing and overdue:  # v3: empty = not licensing
            dates = [n.notified_on for n in notices[c.case_id]]
            q = limit
            while True:
                due = deadline(q, v("delay_notice_every_days"), "calendar")
                if due >= end:
                    break
                given = [n for n in dates if q < n <= due]
                if not given:
                    flag("1.6-delay-not-notified", "case", c.case_id, "medium")
                    break
                q = min(given)
        if any(not n.opdc_copied for n in notices[c.case_id]):
            flag("1.6-delay-notice-not-copied", "case", c.case_id, "low")
        if pr.it_system and c.via_it_system is False and not c.override_reason:
            flag("1.7-it-bypassed", "case", c.case_id, "medium")

    # "a discretionary case" of the officer rules, as v2: a case whose discretion_used is true
    decided_with_discretion = [c for c in cases if c.discretion_used and done(c.decided_on)]
    by_process, by_officer = defaultdict(list), defaultdict(list)
    for c in decided_with_discretion:
        by_process[c.process_id].append(c)
        by_officer[c.officer_id].append(c)

    for pr in ds.processes:  # process rules: parameters in force at as_of
        ag = pr.agency_id

        def pv(name):
            return param(name, ag, pr.process_id, as_of)  # noqa: B023 (used in this iteration only)
        used = by_process[pr.process_id]
        if pr.discretionary and not pr.work_manual:
            flag("1.2-process-without-manual", "process", pr.process_id, "high" if used else "medium")
        if pr.work_manual and (not done(pr.work_manual_reviewed_on)
                               or _days(pr.work_manual_reviewed_on, as_of) > pv("manual_max_age_days")):
            flag("1.2-manual-outdated", "process", pr.process_id, "low")
        if pr.public_service and (not pr.citizen_manual_url or not pr.citizen_manual_at_office):
            flag("1.6-manual-not-published", "process", pr.process_id, "medium")
        if pr.discretionary and not pr.it_system and not pr.it_exempt_reason:
            flag("1.7-no-it-system", "process", pr.process_id, "low")
        if pr.review_sample_percent is not None:
            # choice: the review deadline of each case in W is also counted with the value in force at as_of
            # (a process rule), not at the case's decision as 1.1-unreviewed counts it
            window = [c for c in used if offs[c.officer_id].supervisor_id is not None
                      and _days(c.decided_on, as_of) <= pv("review_sample_window_days")
                      and as_of > deadline(c.decided_on, pv("review_within_days"), "working")]
            n_reviewed = sum(1 for c in window if done(c.reviewed_on))
            if window and 100 * n_reviewed < pr.review_sample_percent * len(window):
                flag("1.1-review-sample-short", "process", pr.process_id, "medium")

    for o in ds.officers:  # officer rules: the officer's agency, parameters in force at as_of
        ag = o.agency_id

        def ov(name):
            return param(name, ag, None, as_of)  # noqa: B023 (used in this iteration only)
        mine = by_officer[o.officer_id]
        active = [c for c in mine if 0 <= _days(c.decided_on, as_of) < ov("active_officer_window_days")]
        if o.rotation_post and o.in_position_since is not None \
                and _plus_years(o.in_position_since, ov("rotation_years")) <= as_of and active:
            flag("1.4-rotation-due", "officer", o.officer_id, "medium")
        ack = o.ethics_acknowledged_on
        if any(not done(ack) or ack > c.decided_on or _days(ack, c.decided_on) > ov("ethics_ack_valid_days")
               for c in active):
            flag("1.5-ethics-not-acknowledged", "officer", o.officer_id, "low")
        counted, kinds = defaultdict(int), defaultdict(set)
        for c in mine:
            if c.applicant_id and _days(c.decided_on, as_of) < ov("repeat_window_days"):
                counted[c.applicant_id] += 1
                kinds[c.applicant_id].add(c.applicant_kind or "person")
        for applicant, n in counted.items():
            # choice: an applicant whose counted cases are all juristic is juristic; one recorded with both
            # kinds (or with some kind left empty) is a person, all its cases counted together, so that one
            # officer and applicant make one flag at the lower threshold
            juristic = kinds[applicant] == {"juristic"}
            if n >= ov("repeat_applicant_threshold_juristic" if juristic else "repeat_applicant_threshold"):
                flag("1.4-repeat-applicant", "officer", o.officer_id, "medium", applicant)

    deadlines = p["acknowledgement_deadlines"]
    for a in ds.agencies:  # agency rules: parameters in force at as_of
        ag = a.agency_id

        def av(name):
            return param(name, ag, None, as_of)  # noqa: B023 (used in this iteration only)
        mine = [x for x in ds.processes if x.agency_id == ag]
        if any(x.discretionary for x in mine) and not any(
                r.agency_id == ag and r.ethics_committee and r.analysed_on <= as_of
                and _days(r.analysed_on, as_of) < av("risk_analysis_interval_days") for r in ds.risk_analyses):
            flag("1.4-no-risk-analysis", "agency", ag, "medium")
        if mine and not any(m.agency_id == ag and m.reported_on <= as_of
                            and _days(m.reported_on, as_of) < av("monitoring_interval_days")
                            for m in ds.monitoring_reports):
            flag("1.8-no-monitoring", "agency", ag, "medium")
        if corrective is not None and corrective.get(ag, (0, None))[0] > 0:
            flag("1.8-corrective-action-overdue", "agency", ag, "medium")
        rounds = [y for y in deadlines if y <= _fy(as_of)]
        if not rounds or _fy(as_of) > max(rounds) + 1:
            continue
        r = max(rounds)
        rows = [x for x in ds.acknowledgements if x.agency_id == ag and (x.fiscal_year or 2562) == r
                and (x.reported_on is None or x.reported_on <= as_of)]
        if any(x.staff_acknowledged < x.staff_total for x in rows):
            flag("2.1-staff-not-informed", "agency", ag, "low")
        if any(not x.published_url for x in rows):
            flag("2.2-not-published", "agency", ag, "low")
        reported = sorted(x.reported_on for x in rows if x.reported_on is not None)
        if (as_of > deadlines[r] and not reported) or (reported and reported[0] > deadlines[r]):
            flag("2.3-not-reported", "agency", ag, "medium")
    return out


def overridable(name: str) -> str:
    """How a parameter may be overridden, as kb/measures.yaml says, else SPEC §3's table (for generating test data)."""
    return _OVERRIDABLE[name] if name in _OVERRIDABLE else V3_PARAMETERS[name][1]
