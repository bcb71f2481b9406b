"""The independent evaluator (tests/oracle.py) at every boundary catalogue v3 moved, against flag
sets worked out by hand from SPEC §2–§3 (the working is in the comments). The engine is not used:
these tests say what the oracle must say, so that the oracle can judge the engine.

Days off used below (the `holidays` library's Thailand calendar, public and government): 2024 —
Mon 3 June (Queen Suthida's birthday); 2025 — Thu 1 May (National Labour Day: a working day),
Sun 4 May and Mon 5 May (Coronation Day and its day in lieu); 2027 — Sat 1 May (Labour Day) and
Mon 3 May (its day in lieu: a working day), Tue 4 May (Coronation Day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import oracle
import pytest
from conftest import write_dataset

from engine.domain.models import Dataset, ParameterOverride
from engine.ingest.loader import load_dataset

D = dt.date
AS_OF = D(2024, 6, 28)  # a Friday
# SPEC §3's parameters table (v3 values), the run's values unless a test says otherwise
PARAMS: dict[str, Any] = {
    "review_within_days": 7, "review_sample_window_days": 90, "manual_max_age_days": 730,
    "escalation_within_days": 7, "investigation_within_days": 30, "decision_within_days": 30,
    "delay_notice_every_days": 7, "rotation_years": 4, "active_officer_window_days": 365,
    "repeat_applicant_threshold": 5, "repeat_applicant_threshold_juristic": 15, "repeat_window_days": 180,
    "risk_analysis_interval_days": 365, "ethics_ack_valid_days": 365, "monitoring_interval_days": 183,
    "acknowledgement_deadlines": {2562: D(2019, 6, 20)},
}
ORDER = "คำสั่งหน่วยงาน ที่ 1/2567"


def base(as_of: dt.date) -> dict[str, list[dict[str, Any]]]:
    """An agency on which no rule fires at ``as_of`` (checked by the first test), and a second agency
    with no process. Officers: HEAD ← SUP ← OFF1, OFF2; HEAD ← SUP2 ← OFF3 (another branch)."""
    ack = as_of - dt.timedelta(days=300)
    officers = [("HEAD", None), ("SUP", "HEAD"), ("SUP2", "HEAD"), ("OFF1", "SUP"), ("OFF2", "SUP"), ("OFF3", "SUP2")]
    return {
        "agencies": [{"agency_id": "A1", "name": "สำนักงานทดสอบ", "serves_public": True},
                     {"agency_id": "A2", "name": "สำนักงานที่สอง", "serves_public": False}],
        "processes": [
            public("P1", standard_days=5, day_basis="working"),
            {"process_id": "P2", "agency_id": "A1", "name": "งานภายใน", "discretionary": False, "public_service": False,
             "work_manual": "คู่มือ P2", "work_manual_reviewed_on": as_of - dt.timedelta(days=100), "it_system": "ระบบ"}],
        "officers": [{"officer_id": o, "agency_id": "A1", "name": f"เจ้าหน้าที่ {o}", "supervisor_id": boss,
                      "in_position_since": D(2020, 1, 1), "ethics_acknowledged_on": ack} for o, boss in officers],
        "cases": [],
        "escalations": [],
        "risk_analyses": [{"agency_id": "A1", "analysed_on": as_of - dt.timedelta(days=30), "ethics_committee": True}],
        "monitoring_reports": [{"agency_id": "A1", "reported_on": as_of - dt.timedelta(days=30)}],
        "acknowledgements": [],
        "delay_notices": [],
        "parameters": [],
    }


def public(pid: str, **over: Any) -> dict[str, Any]:
    """A discretionary public service of A1 with its manuals published and an IT system."""
    return {"process_id": pid, "agency_id": "A1", "name": f"งาน {pid}", "discretionary": True, "public_service": True,
            "work_manual": f"คู่มือ {pid}",
            "citizen_manual_url": f"https://a1.example.go.th/{pid}", "citizen_manual_at_office": True,
            "it_system": "ระบบ", **over}


def case(cid: str, decided: dt.date | None, **over: Any) -> dict[str, Any]:
    """A clean decision of OFF1 in P1: received the day before, reviewed the same day by SUP, with a
    legal basis, through the IT system, granted in full."""
    received = over.pop("received_on", (decided or AS_OF) - dt.timedelta(days=1))
    return {"case_id": cid, "process_id": "P1", "officer_id": "OFF1", "applicant_id": cid, "received_on": received,
            "decided_on": decided, "discretion_used": True, "legal_basis": "มาตรา ๑", "outcome": "approved",
            "reviewed_by": "SUP" if decided else None, "reviewed_on": decided, "via_it_system": True, **over}


def load(tmp_path, as_of: dt.date, replace: tuple[str, ...] = (), **tables: list[dict[str, Any]]) -> Dataset:
    """The base at ``as_of`` with rows added (processes and officers replace the base's of the same id;
    the tables named in ``replace`` are replaced whole). A manual's review date is 100 days before as_of."""
    t = base(as_of)
    for name, rows in tables.items():
        key = {"processes": "process_id", "officers": "officer_id"}.get(name)
        ids = {r[key] for r in rows} if key else set()
        t[name] = [r for r in t[name] if name not in replace and (not key or r[key] not in ids)] + rows
    for p in t["processes"]:
        p.setdefault("work_manual_reviewed_on", as_of - dt.timedelta(days=100))
    return load_dataset(write_dataset(tmp_path / f"ds{len(list(tmp_path.iterdir()))}", t))


def flags(ds: Dataset, as_of: dt.date = AS_OF, **params: Any) -> set[tuple]:
    return oracle.evaluate(ds, as_of, {**PARAMS, **params})


def on_cases(rule: str, severity: str, *ids: str) -> set[tuple]:
    return {(rule, "case", i, None, severity) for i in ids}


def order(name: str, value: int, effective_from: dt.date | None = None, agency: str = "A1",
          process: str | None = None) -> dict[str, Any]:
    return {"agency_id": agency, "process_id": process, "name": name, "value": value, "source": ORDER,
            "effective_from": effective_from}


# -- the base ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("as_of", [AS_OF, D(2025, 5, 30), D(2027, 5, 14)])
def test_the_base_agency_raises_nothing(tmp_path, as_of):
    # one clean decision a week before as_of: reviewed at once, a legal basis, within P1's 5 working days
    ds = load(tmp_path, as_of, cases=[case("C", as_of - dt.timedelta(days=7))])
    assert flags(ds, as_of) == set()


# -- 1.5-conflict-of-interest: APA ss.13, 16 and 18 ---------------------------------------------------

# OFF1's chain is SUP, HEAD; SUP2 heads another branch. Working (SPEC §3): s13 (also an empty ground)
# → high whatever was declared or permitted; s16 not declared → high; s16 declared and permitted by
# someone outside the chain or by nobody → medium; s16 declared and permitted in the chain → no flag.
# Any flag becomes low when coi_exception gives an s.18 reason; the s16 "no flag" stays no flag.
COI = [  # (coi_ground, coi_declared, coi_permitted_by, coi_exception) → severity or None
    ("", False, "", "", "high"), ("", False, "", "ด่วน", "low"),
    ("", False, "SUP", "", "high"), ("", False, "SUP", "ด่วน", "low"),
    ("", False, "SUP2", "", "high"), ("", False, "SUP2", "ด่วน", "low"),
    ("", True, "", "", "high"), ("", True, "", "ด่วน", "low"),
    ("", True, "SUP", "", "high"), ("", True, "SUP", "ด่วน", "low"),
    ("", True, "SUP2", "", "high"), ("", True, "SUP2", "ด่วน", "low"),
    ("s13", False, "", "", "high"), ("s13", False, "", "ด่วน", "low"),
    ("s13", False, "SUP", "", "high"), ("s13", False, "SUP", "ด่วน", "low"),
    ("s13", False, "SUP2", "", "high"), ("s13", False, "SUP2", "ด่วน", "low"),
    ("s13", True, "", "", "high"), ("s13", True, "", "ด่วน", "low"),
    ("s13", True, "SUP", "", "high"), ("s13", True, "SUP", "ด่วน", "low"),
    ("s13", True, "SUP2", "", "high"), ("s13", True, "SUP2", "ด่วน", "low"),
    ("s16", False, "", "", "high"), ("s16", False, "", "ด่วน", "low"),
    ("s16", False, "SUP", "", "high"), ("s16", False, "SUP", "ด่วน", "low"),
    ("s16", False, "SUP2", "", "high"), ("s16", False, "SUP2", "ด่วน", "low"),
    ("s16", True, "", "", "medium"), ("s16", True, "", "ด่วน", "low"),
    ("s16", True, "SUP", "", None), ("s16", True, "SUP", "ด่วน", None),
    ("s16", True, "SUP2", "", "medium"), ("s16", True, "SUP2", "ด่วน", "low"),
    # the head, two levels up, is in the chain; the official cannot permit themselves
    ("s16", True, "HEAD", "", None), ("s16", True, "OFF1", "", "medium"),
]


def test_conflict_of_interest_by_ground_declaration_permission_and_exception(tmp_path):
    rows = [case(f"K{n}", D(2024, 6, 10), applicant_related=True, coi_ground=g, coi_declared=d, coi_permitted_by=by,
                 coi_exception=why) for n, (g, d, by, why, _) in enumerate(COI)]
    # not related to the applicant: no conflict, whatever else was recorded; coi_declared empty = false
    rows += [case("KN", D(2024, 6, 10), applicant_related=False, coi_declared=True, coi_permitted_by="SUP2"),
             case("KE", D(2024, 6, 10), applicant_related=True, coi_ground="s16", coi_permitted_by="SUP")]
    # SPEC asks no decision: KP, pending (received 2 days before as_of, within its limit), empty ground → high
    rows.append(case("KP", None, received_on=D(2024, 6, 26), applicant_related=True))
    expected = {("1.5-conflict-of-interest", "case", f"K{n}", None, sev) for n, (*_, sev) in enumerate(COI) if sev}
    expected.add(("1.5-conflict-of-interest", "case", "KE", None, "high"))  # s16, declaration empty = not declared
    expected.add(("1.5-conflict-of-interest", "case", "KP", None, "high"))
    assert flags(load(tmp_path, AS_OF, cases=rows)) == expected



# -- 1.1-no-legal-basis: APA s.37 para 3 (1) and the outcome words ------------------------------------

# Working: a decided case that used discretion and cites no legal basis is flagged unless its outcome
# reads `approved` AND its process is not affects_others (empty = false). The words are SPEC §2 v3's,
# any case; anything else (partial, denied, other text, empty) is not `approved`.
OUTCOMES = [  # (outcome, flagged in a process with affects_others true, false, empty)
    ("approved", True, False, False), ("Approved", True, False, False), ("APPROVED", True, False, False),
    ("อนุมัติ", True, False, False), ("อนุญาต", True, False, False), ("ให้ตามคำขอ", True, False, False),
    ("เห็นชอบ", True, False, False),
    ("partial", True, True, True), ("Partial", True, True, True), ("อนุมัติบางส่วน", True, True, True),
    ("อนุญาตบางส่วน", True, True, True),
    ("denied", True, True, True), ("refused", True, True, True), ("ไม่อนุมัติ", True, True, True),
    ("ไม่อนุญาต", True, True, True), ("ยกคำขอ", True, True, True), ("ปฏิเสธ", True, True, True),
    ("approved in part", True, True, True), ("อนุมัติแล้ว", True, True, True), ("granted", True, True, True),
    ("", True, True, True),
]


def test_no_legal_basis_reads_the_outcome_words_and_affects_others(tmp_path):
    processes = [public("PT", standard_days=5, affects_others=True), public("PF", standard_days=5, affects_others=False),
                 public("PE", standard_days=5)]
    rows, expected = [], set()
    for n, (outcome, *flagged) in enumerate(OUTCOMES):
        for process, flag in zip(("PT", "PF", "PE"), flagged, strict=True):
            cid = f"O{n}{process}"
            rows.append(case(cid, D(2024, 6, 10), process_id=process, outcome=outcome, legal_basis=None))
            if flag:
                expected.add(("1.1-no-legal-basis", "case", cid, None, "medium"))
    # not flagged: a legal basis cited (G1), no discretion used (G2), decided after as_of (G3: received two days
    # before as_of, so within its limit)
    rows += [case("G1", D(2024, 6, 10), process_id="PT", outcome="ไม่อนุมัติ"),
             case("G2", D(2024, 6, 10), process_id="PT", outcome="ไม่อนุมัติ", legal_basis=None, discretion_used=False),
             case("G3", D(2024, 7, 1), received_on=D(2024, 6, 26), process_id="PT", outcome="ไม่อนุมัติ",
                  legal_basis=None, reviewed_by=None, reviewed_on=None)]
    assert flags(load(tmp_path, AS_OF, processes=processes, cases=rows)) == expected


def test_the_outcome_words_ignore_case_and_surrounding_space():
    # the loader strips cells; the reading itself must too (SPEC §2 v3), and keeps other text as written
    assert [oracle.outcome_read(w) for w in (" Approved ", "\tอนุญาต\n", "REFUSED", " อนุญาตบางส่วน", "ok", None)] \
        == ["approved", "approved", "denied", "partial", None, None]


# -- 1.1-self-review and 1.1-reviewer-outside-chain need discretion used --------------------------------

def test_review_rules_concern_decisions_that_used_discretion(tmp_path):
    # decided Mon 10 June 2024, reviewed the same day (in time). Working:
    # R1 OFF1 reviews themselves, discretion used → self-review high (not outside-chain: reviewer = officer)
    # R2 the same without discretion → nothing (v3)
    # R3 OFF3 (another branch) reviews, discretion used → outside-chain medium; R4 without discretion → nothing
    # R5 HEAD reviews (skipping a level, in the chain) → nothing; R6 HEAD decides and reviews: not supervised
    # R7 OFF2, a peer, reviews → outside-chain medium
    # R8 OFF1 reviews themselves on 1 July, after as_of: not reviewed yet, and its review is not late yet
    #    (deadline(Thu 27 June, 7 working) = Mon 8 July ≥ as_of) → nothing
    d = D(2024, 6, 10)
    rows = [case("R1", d, reviewed_by="OFF1"), case("R2", d, reviewed_by="OFF1", discretion_used=False),
            case("R3", d, reviewed_by="OFF3"), case("R4", d, reviewed_by="OFF3", discretion_used=False),
            case("R5", d, reviewed_by="HEAD"), case("R6", d, officer_id="HEAD", reviewed_by="HEAD"),
            case("R7", d, reviewed_by="OFF2"),
            case("R8", D(2024, 6, 27), reviewed_by="OFF1", reviewed_on=D(2024, 7, 1))]
    assert flags(load(tmp_path, AS_OF, cases=rows)) == (
        on_cases("1.1-self-review", "high", "R1") | on_cases("1.1-reviewer-outside-chain", "medium", "R3", "R7"))


# -- 1.3-report-outside-chain is low --------------------------------------------------------------------

def test_a_report_outside_the_chain_is_low(tmp_path):
    # deviations decided Mon 10 June; reports on Tue 11 June, investigated on Fri 14 June with a finding and
    # an action (in time). X1 OFF1 → SUP2 (not in OFF1's chain) → low; X2 OFF1 → HEAD (skips a level) →
    # nothing; X3 HEAD, who has no supervisor, → OFF1 → nothing; X4 OFF1 → SUP2 but on 29 June, after
    # as_of: no report yet, and deadline(10 June, 7 working) = Wed 19 June < as_of → unreported, high
    d = D(2024, 6, 10)
    rows = [case(f"X{n}", d, deviation="ข้ามขั้นตอน") for n in (1, 2, 3, 4)]
    done = {"investigated_on": D(2024, 6, 14), "finding": "พบจริง", "corrective_action": "ตักเตือน"}
    escalations = [
        {"report_id": "E1", "case_id": "X1", "reported_by": "OFF1", "reported_to": "SUP2", "reported_on": D(2024, 6, 11), **done},
        {"report_id": "E2", "case_id": "X2", "reported_by": "OFF1", "reported_to": "HEAD", "reported_on": D(2024, 6, 11), **done},
        {"report_id": "E3", "case_id": "X3", "reported_by": "HEAD", "reported_to": "OFF1", "reported_on": D(2024, 6, 11), **done},
        {"report_id": "E4", "case_id": "X4", "reported_by": "OFF1", "reported_to": "SUP2", "reported_on": D(2024, 6, 29)}]
    assert flags(load(tmp_path, AS_OF, cases=rows, escalations=escalations)) == (
        on_cases("1.3-report-outside-chain", "low", "X1") | on_cases("1.3-unreported-deviation", "high", "X4"))


# -- parameters in force at the reference date -----------------------------------------------------------

# C decided Mon 10 June 2024 and reviewed Wed 12 June. With review_within_days 1: deadline(10 June, 1
# working) = Tue 11 June < 12 June → 1.1-late-review. With 7 (the default): Wed 19 June → in time.
LATE = on_cases("1.1-late-review", "medium", "C")


@pytest.mark.parametrize(("orders", "sets", "expected"), [
    ([order("review_within_days", 1, D(2024, 6, 11))], {}, set()),  # effective the day after: not in force
    ([order("review_within_days", 1, D(2024, 6, 10))], {}, LATE),  # effective on the decision day
    ([order("review_within_days", 1, D(2024, 6, 9))], {}, LATE),  # the day before
    ([order("review_within_days", 1)], {}, LATE),  # no effective_from: always
    # the latest in force wins; an empty effective_from is the earliest; one after the decision is ignored
    ([order("review_within_days", 1), order("review_within_days", 7, D(2024, 6, 1))], {}, set()),
    ([order("review_within_days", 7), order("review_within_days", 1, D(2024, 6, 1))], {}, LATE),
    ([order("review_within_days", 1, D(2024, 6, 1)), order("review_within_days", 7, D(2024, 6, 11))], {}, LATE),
    # the process's row over the agency's, when in force
    ([order("review_within_days", 1), order("review_within_days", 7, D(2024, 6, 10), process="P1")], {}, set()),
    ([order("review_within_days", 1), order("review_within_days", 7, D(2024, 6, 11), process="P1")], {}, LATE),
    # rows over the run's --set, when in force
    ([order("review_within_days", 7, D(2024, 6, 10))], {"review_within_days": 1}, set()),
    ([order("review_within_days", 7, D(2024, 6, 11))], {"review_within_days": 1}, LATE),
    # another agency's order, another process's order: not this case's
    ([order("review_within_days", 1, agency="A2")], {}, set()),
    ([order("review_within_days", 1, process="P2")], {}, set()),
])
def test_an_order_applies_to_a_decision_from_its_effective_date(tmp_path, orders, sets, expected):
    ds = load(tmp_path, AS_OF, cases=[case("C", D(2024, 6, 10), reviewed_on=D(2024, 6, 12))], parameters=orders)
    assert flags(ds, **sets) == expected


# A report made Mon 10 June 2024 is not investigated by as_of (Fri 28 June). With the default 30 days its
# deadline is Wed 10 July (in time); with an order of 10 days, deadline(10 June, 10 calendar) = Thu 20 June
# < as_of → 1.3-uninvestigated. The order takes effect on 20 June (or on 7 June).
# - a pending case: reference date as_of → the order is in force → flagged
# - a case decided Fri 7 June: reference date 7 June → an order effective 20 June is not in force → not
#   flagged; one effective 7 June is → flagged
# - a case decided 1 July, after as_of: not decided, so the reference date is as_of → flagged
# (P2 is not a public service and has no standard_days: no limit day, no other flag)
@pytest.mark.parametrize(("decided", "effective", "flagged"), [
    (None, D(2024, 6, 20), True), (D(2024, 6, 7), D(2024, 6, 20), False), (D(2024, 6, 7), D(2024, 6, 7), True),
    (D(2024, 7, 1), D(2024, 6, 20), True), (None, D(2024, 6, 29), False),
])
def test_a_case_not_yet_decided_takes_the_orders_in_force_at_as_of(tmp_path, decided, effective, flagged):
    c = case("C", decided, process_id="P2", received_on=D(2024, 6, 3), discretion_used=False, deviation="ข้ามขั้นตอน",
             reviewed_by=None, reviewed_on=None)
    escalation = {"report_id": "E", "case_id": "C", "reported_by": "OFF1", "reported_to": "SUP", "reported_on": D(2024, 6, 10)}
    ds = load(tmp_path, AS_OF, cases=[c], escalations=[escalation],
              parameters=[order("investigation_within_days", 10, effective)])
    assert flags(ds) == (on_cases("1.3-uninvestigated", "medium", "C") if flagged else set())


# Agency rules read the orders in force at as_of. SPEC's default monitoring interval is 183 days: a report
# of Fri 29 Dec 2023 is 182 days before as_of (in time), one of Thu 28 Dec 2023 is 183 (not < 183 → flag).
# An order of 365 days in force at as_of makes the 183-day-old report good enough; one from the day after
# as_of does not apply.
@pytest.mark.parametrize(("reported", "orders", "flagged"), [
    (D(2023, 12, 29), [], False), (D(2023, 12, 28), [], True),
    (D(2023, 12, 28), [order("monitoring_interval_days", 365, AS_OF)], False),
    (D(2023, 12, 28), [order("monitoring_interval_days", 365, AS_OF + dt.timedelta(days=1))], True),
])
def test_agency_rules_take_the_orders_in_force_at_as_of(tmp_path, reported, orders, flagged):
    ds = load(tmp_path, AS_OF, replace=("monitoring_reports",),
              monitoring_reports=[{"agency_id": "A1", "reported_on": reported}], parameters=orders)
    assert flags(ds) == ({("1.8-no-monitoring", "agency", "A1", None, "medium")} if flagged else set())


# Process rules read the orders in force at as_of too. P1's and P2's manuals were reviewed 100 days before
# as_of: an order of 90 days for P1 in force at as_of makes P1's outdated (low); one for all of A1 makes
# both outdated; one from the day after as_of does not apply; one for P2 is not P1's.
@pytest.mark.parametrize(("orders", "outdated"), [
    ([order("manual_max_age_days", 90, AS_OF, process="P1")], {"P1"}),
    ([order("manual_max_age_days", 90, AS_OF)], {"P1", "P2"}),
    ([order("manual_max_age_days", 90, AS_OF + dt.timedelta(days=1), process="P1")], set()),
    ([order("manual_max_age_days", 90, AS_OF, process="P2")], {"P2"}),
])
def test_process_rules_take_the_orders_in_force_at_as_of(tmp_path, orders, outdated):
    ds = load(tmp_path, AS_OF, parameters=orders)
    assert flags(ds) == {("1.2-manual-outdated", "process", p, None, "low") for p in outdated}


# 1.1-review-sample-short is a process rule, so its review deadline is counted with the value in force at
# as_of (the oracle's reading: SPEC names process rules among those that use as_of). PS samples 100%; C,
# decided Mon 10 June 2024 by OFF1, is not reviewed. With 7 working days its deadline is Wed 19 June < as_of:
# W = {C}, 0 reviewed of 1 → flag. An order of 20 days effective Thu 20 June (after the decision, in force
# at as_of): deadline(10 June, 20 working) = Mon 8 July ≥ as_of → W is empty → no flag.
@pytest.mark.parametrize(("orders", "flagged"), [
    ([], True), ([order("review_within_days", 20, D(2024, 6, 20))], False),
    ([order("review_within_days", 20, AS_OF + dt.timedelta(days=1))], True),
])
def test_a_sampled_review_is_measured_with_the_orders_in_force_at_as_of(tmp_path, orders, flagged):
    ds = load(tmp_path, AS_OF, processes=[public("PS", standard_days=5, review_sample_percent=100)],
              cases=[case("C", D(2024, 6, 10), process_id="PS", reviewed_by=None, reviewed_on=None)], parameters=orders)
    assert flags(ds) == ({("1.1-review-sample-short", "process", "PS", None, "medium")} if flagged else set())


# -- the calendar: National Labour Day and its day in lieu are working days ------------------------------

def test_labour_day_in_lieu_monday_3_may_2570_is_a_working_day(tmp_path):
    # PL: 2 working days. Received Fri 30 Apr 2027: the working days after it are Mon 3 May (Labour Day's
    # day in lieu: working) = 1, Tue 4 May (Coronation Day) off, Wed 5 May = 2 → limit Wed 5 May.
    # LD1 decided Wed 5 May → in time; LD2 decided Thu 6 May → 1.6-time-limit-exceeded (were 3 May a day
    # off, the limit would be Thu 6 May and LD2 in time).
    # LR1 decided Fri 30 Apr, reviewed Tue 4 May, with review_within_days 1: deadline = Mon 3 May → late;
    # LR2 reviewed Mon 3 May → in time.
    as_of = D(2027, 5, 14)
    pl = public("PL", standard_days=2, day_basis="working")
    rows = [case("LD1", D(2027, 5, 5), process_id="PL", received_on=D(2027, 4, 30)),
            case("LD2", D(2027, 5, 6), process_id="PL", received_on=D(2027, 4, 30)),
            case("LR1", D(2027, 4, 30), reviewed_on=D(2027, 5, 4)),
            case("LR2", D(2027, 4, 30), reviewed_on=D(2027, 5, 3))]
    assert flags(load(tmp_path, as_of, processes=[pl], cases=rows), as_of, review_within_days=1) == (
        on_cases("1.6-time-limit-exceeded", "medium", "LD2") | on_cases("1.1-late-review", "medium", "LR1"))

    # Labour Day on a weekday is a working day; other days in lieu are not.
    # PL: 1 working day. L1 received Wed 30 Apr 2025: the next working day is Thu 1 May (Labour Day) →
    # limit 1 May; decided Fri 2 May → late. L2 decided 1 May → in time.
    # L3 received Fri 2 May 2025: Sat, Sun, Mon 5 May (Coronation Day in lieu: off) → limit Tue 6 May;
    # decided Tue 6 May → in time. L4 the same, decided Wed 7 May → late.
    as_of = D(2025, 5, 30)
    pl = public("PL", standard_days=1, day_basis="working")
    rows = [case("L1", D(2025, 5, 2), process_id="PL", received_on=D(2025, 4, 30)),
            case("L2", D(2025, 5, 1), process_id="PL", received_on=D(2025, 4, 30)),
            case("L3", D(2025, 5, 6), process_id="PL", received_on=D(2025, 5, 2)),
            case("L4", D(2025, 5, 7), process_id="PL", received_on=D(2025, 5, 2))]
    assert flags(load(tmp_path, as_of, processes=[pl], cases=rows), as_of) == \
        on_cases("1.6-time-limit-exceeded", "medium", "L1", "L4")


def test_the_calendar_days_off_around_labour_day():
    assert [oracle.day_off(D(2027, 5, d)) for d in (1, 2, 3, 4, 5)] == [True, True, False, True, False]
    assert [oracle.day_off(D(2025, 5, d)) for d in (1, 2, 5, 6)] == [False, False, True, False]
    assert oracle.deadline(D(2027, 4, 30), 2, "working") == D(2027, 5, 5)


# -- APA s.39/1: 30 calendar days where the process sets no time -----------------------------------------

def test_a_public_service_without_standard_days_has_the_apa_30_day_limit(tmp_path):
    # PS: public service, no standard_days; PW: the same with day_basis working (ignored: the APA's days are
    # calendar days); P60: standard_days 60 calendar; PN: not a public service, no standard_days.
    # A1 PS received Fri 3 May 2024: 3 May + 30 = Sun 2 June → Mon 3 June (a day off) → limit Tue 4 June;
    #    decided Tue 4 June → in time. A2 decided Wed 5 June → 1.6-time-limit-exceeded. A3 the same in PW → too.
    # A4 PS received Wed 1 May, complete Fri 3 May, decided Tue 4 June → in time (from received_on the
    #    limit would be Fri 31 May)
    # A5 PS pending, received Mon 20 May: limit Wed 19 June < as_of → flagged (end = as_of)
    # A6 PS pending, received 20 May, complete Sat 29 June, after as_of: the clock has not started → nothing
    # A7 P60 received 3 May, decided 5 June: limit Tue 2 July → in time (standard_days wins)
    # A8 PN pending since 1 March: no limit day → nothing
    # A9 PSL (as PS, licensing) pending, received 3 May: limit 4 June, end = as_of 28 June;
    #    due = deadline(4 June, 7 calendar) = Tue 11 June < 28 June and no notice in (4, 11 June] →
    #    1.6-delay-not-notified as well
    processes = [public("PS"), public("PW", day_basis="working"), public("P60", standard_days=60, day_basis="calendar"),
                 public("PN", public_service=False, discretionary=False), public("PSL", licensing=True)]
    rows = [case("A1", D(2024, 6, 4), process_id="PS", received_on=D(2024, 5, 3)),
            case("A2", D(2024, 6, 5), process_id="PS", received_on=D(2024, 5, 3)),
            case("A3", D(2024, 6, 5), process_id="PW", received_on=D(2024, 5, 3)),
            case("A4", D(2024, 6, 4), process_id="PS", received_on=D(2024, 5, 1), complete_on=D(2024, 5, 3)),
            case("A5", None, process_id="PS", received_on=D(2024, 5, 20)),
            case("A6", None, process_id="PS", received_on=D(2024, 5, 20), complete_on=D(2024, 6, 29)),
            case("A7", D(2024, 6, 5), process_id="P60", received_on=D(2024, 5, 3)),
            case("A8", None, process_id="PN", received_on=D(2024, 3, 1), discretion_used=False),
            case("A9", None, process_id="PSL", received_on=D(2024, 5, 3))]
    ds = load(tmp_path, AS_OF, processes=processes, cases=rows)
    assert flags(ds) == (on_cases("1.6-time-limit-exceeded", "medium", "A2", "A3", "A5", "A9")
                         | on_cases("1.6-delay-not-notified", "medium", "A9"))
    # the run's value counts: with 33 days, A2 and A3's limit is Wed 5 June (in time); A5's is Sat 22 June →
    # Mon 24 June, still passed; A9's is Wed 5 June and its first notice was due Wed 12 June, still missing
    assert flags(ds, decision_within_days=33) == (on_cases("1.6-time-limit-exceeded", "medium", "A5", "A9")
                                                  | on_cases("1.6-delay-not-notified", "medium", "A9"))


# -- 1.6-delay-not-notified: licensing only, and empty = false (v3) -------------------------------------

def test_delay_notices_are_due_only_where_the_process_is_licensing(tmp_path):
    # Each process has 5 working days. A case received Tue 4 June 2024 and pending: the working days after it
    # are 5, 6, 7, 10, 11 June → limit Tue 11 June; end = as_of (28 June) → overdue. A notice was first due
    # by deadline(11 June, 7 calendar) = Tue 18 June.
    # CE licensing empty (v3: false): time limit only. CT licensing true: time limit and no notice.
    # CF licensing false: time limit only. CO licensing true, not a public service: no notice only.
    # CT2 (LT) notices Fri 14 June (in (11, 18]) then due Fri 21 June, notice 21 June, then due
    #     Fri 28 June ≥ end → notified in time: time limit only.
    # CT3 (LT) one notice 14 June, not copied to the OPDC: then due 21 June < end, none in (14, 21] →
    #     not notified, and not copied (low).
    processes = [public("LE", standard_days=5), public("LT", standard_days=5, licensing=True),
                 public("LF", standard_days=5, licensing=False),
                 public("LO", standard_days=5, licensing=True, public_service=False)]
    rows = [case(cid, None, process_id=p, received_on=D(2024, 6, 4))
            for cid, p in (("CE", "LE"), ("CT", "LT"), ("CF", "LF"), ("CO", "LO"), ("CT2", "LT"), ("CT3", "LT"))]
    notices = [{"notice_id": "N1", "case_id": "CT2", "notified_on": D(2024, 6, 14), "opdc_copied": True},
               {"notice_id": "N2", "case_id": "CT2", "notified_on": D(2024, 6, 21), "opdc_copied": True},
               {"notice_id": "N3", "case_id": "CT3", "notified_on": D(2024, 6, 14), "opdc_copied": False}]
    ds = load(tmp_path, AS_OF, processes=processes, cases=rows, delay_notices=notices)
    assert flags(ds) == (on_cases("1.6-time-limit-exceeded", "medium", "CE", "CT", "CF", "CT2", "CT3")
                         | on_cases("1.6-delay-not-notified", "medium", "CT", "CO", "CT3")
                         | on_cases("1.6-delay-notice-not-copied", "low", "CT3"))


# -- 1.4-repeat-applicant: per officer, applicant and kind ------------------------------------------------

def repeated(officer: str, applicant: str, n: int, kind: str | None, decided: dt.date = D(2024, 6, 10),
             discretion: bool = True) -> list[dict[str, Any]]:
    return [case(f"{officer}-{applicant}-{kind}-{decided}-{discretion}-{i}", decided, officer_id=officer, applicant_id=applicant,
                 applicant_kind=kind, discretion_used=discretion) for i in range(n)]


def test_repeat_applicant_counts_juristic_applicants_at_their_own_threshold(tmp_path):
    # thresholds 5 (person) and 15 (juristic), window 180 days: decided on or after 1 Jan 2024 (179 days
    # before as_of) counts, 31 Dec 2023 (180 days) does not.
    # OFF1: J14 juristic ×14 → no; J15 juristic ×15 → flag; P4 person ×4 → no; P5 person ×5 → flag;
    #   E5 kind empty (= person) ×5 → flag; M5 3 person + 2 juristic: both kinds, counted as a person (5) →
    #   one flag; M4 2 + 2 → 4 → no; W4 4 in the window + 1 on 31 Dec 2023 → 4 → no; W5 4 + 1 on 1 Jan 2024
    #   → 5 → flag; N4 4 with discretion + 1 without → 4 → no.
    # OFF2: P5 ×4 → no (counted per officer: OFF1's five are not OFF2's).
    rows = (repeated("OFF1", "J14", 14, "juristic") + repeated("OFF1", "J15", 15, "juristic")
            + repeated("OFF1", "P4", 4, "person") + repeated("OFF1", "P5", 5, "person") + repeated("OFF1", "E5", 5, None)
            + repeated("OFF1", "M5", 3, "person") + repeated("OFF1", "M5", 2, "juristic")
            + repeated("OFF1", "M4", 2, "person") + repeated("OFF1", "M4", 2, "juristic")
            + repeated("OFF1", "W4", 4, "person") + repeated("OFF1", "W4", 1, "person", D(2023, 12, 31))
            + repeated("OFF1", "W5", 4, "person") + repeated("OFF1", "W5", 1, "person", D(2024, 1, 1))
            + repeated("OFF1", "N4", 4, "person") + repeated("OFF1", "N4", 1, "person", discretion=False)
            + repeated("OFF2", "P5", 4, "person"))
    ds = load(tmp_path, AS_OF, cases=rows)
    assert flags(ds) == {("1.4-repeat-applicant", "officer", "OFF1", a, "medium") for a in ("J15", "P5", "E5", "M5", "W5")}
    # the agency's order lowers the juristic threshold to 14 (in force at as_of; one from the day after is
    # not): J14 is flagged too. (Added to the loaded rows: this branch's kb/measures.yaml may not know the name.)
    for effective, j14 in ((AS_OF, True), (AS_OF + dt.timedelta(days=1), False)):
        ds.parameters[:] = [ParameterOverride(agency_id="A1", name="repeat_applicant_threshold_juristic", value="14",
                                              source=ORDER, effective_from=effective)]
        got = {f[3] for f in flags(ds)}
        assert got == {"J15", "P5", "E5", "M5", "W5"} | ({"J14"} if j14 else set())


# -- 1.5-ethics-not-acknowledged: one flag per officer -----------------------------------------------------

def test_ethics_not_acknowledged_is_one_flag_per_officer(tmp_path):
    # Each officer (under SUP) decided discretionary cases; as_of Fri 28 June 2024, valid 365 days, window 365.
    # OK     ack 1 Jul 2023, decided 1 Jun 2024 (336 days) → no
    # V365   ack 2 Jun 2023, decided 1 Jun 2024: 365 days, not > 365 → no
    # V366   ack 1 Jun 2023: 366 days → flag
    # SAME   ack = decided 1 Jun 2024 → no (not after the decision)
    # AFTER  ack 2 Jun 2024, after the decision 1 Jun → flag
    # FUTURE ack 29 Jun 2024, after as_of: not done → flag
    # NONE   no ack → flag
    # TWO    decided 10 Jan and 1 Jun 2024, ack 1 Mar 2024: the January case was decided before it → one flag
    # OLD    no ack, decided only on 29 Jun 2023: 365 days before as_of, not < 365 → no
    # W364   no ack, decided 30 Jun 2023: 364 days → flag
    # NODISC no ack, decided 1 Jun 2024 without discretion → no
    # LATER  no ack, decided 1 July, after as_of (received 26 June): not decided → no
    people = {"OK": D(2023, 7, 1), "V365": D(2023, 6, 2), "V366": D(2023, 6, 1), "SAME": D(2024, 6, 1),
              "AFTER": D(2024, 6, 2), "FUTURE": D(2024, 6, 29), "NONE": None, "TWO": D(2024, 3, 1), "OLD": None,
              "W364": None, "NODISC": None, "LATER": None}
    officers = [{"officer_id": o, "agency_id": "A1", "name": o, "supervisor_id": "SUP", "in_position_since": D(2020, 1, 1),
                 "ethics_acknowledged_on": ack} for o, ack in people.items()]
    june = D(2024, 6, 1)
    rows = [case(f"C-{o}", june, officer_id=o) for o in ("OK", "V365", "V366", "SAME", "AFTER", "FUTURE", "NONE", "TWO")]
    rows += [case("C-TWO-JAN", D(2024, 1, 10), officer_id="TWO"), case("C-OLD", D(2023, 6, 29), officer_id="OLD"),
             case("C-W364", D(2023, 6, 30), officer_id="W364"),
             case("C-NODISC", june, officer_id="NODISC", discretion_used=False),
             case("C-LATER", D(2024, 7, 1), officer_id="LATER", received_on=D(2024, 6, 26), reviewed_by=None,
                  reviewed_on=None)]
    ds = load(tmp_path, AS_OF, officers=officers, cases=rows)
    assert flags(ds) == {("1.5-ethics-not-acknowledged", "officer", o, None, "low")
                         for o in ("V366", "AFTER", "FUTURE", "NONE", "TWO", "W364")}


# X, an officer of A2 heading no one, acknowledged on 1 May 2024 and decided a case of A1's process on
# 1 June 2024: 31 days. The officer's agency's order of 30 days, in force at as_of (officer rules use as_of,
# not the decision date), makes that acknowledgement too old → flag; an order from after as_of, or one of A1
# (the process's agency, not the officer's), does not apply.
@pytest.mark.parametrize(("orders", "flagged"), [
    ([order("ethics_ack_valid_days", 30, None, agency="A2")], True),
    ([order("ethics_ack_valid_days", 30, D(2024, 6, 10), agency="A2")], True),  # after the decision, before as_of
    ([order("ethics_ack_valid_days", 30, AS_OF, agency="A2")], True),
    ([order("ethics_ack_valid_days", 30, AS_OF + dt.timedelta(days=1), agency="A2")], False),
    ([order("ethics_ack_valid_days", 30, None, agency="A1")], False),
])
def test_ethics_validity_is_the_officers_agency_order_in_force_at_as_of(tmp_path, orders, flagged):
    x = {"officer_id": "X", "agency_id": "A2", "name": "X", "ethics_acknowledged_on": D(2024, 5, 1)}
    ds = load(tmp_path, AS_OF, officers=[x], cases=[case("C", D(2024, 6, 1), officer_id="X", reviewed_by=None,
                                                          reviewed_on=None)], parameters=orders)
    assert flags(ds) == ({("1.5-ethics-not-acknowledged", "officer", "X", None, "low")} if flagged else set())


# -- the run's values from a KB not yet at v3 -------------------------------------------------------------

def test_a_run_without_the_v3_parameters_takes_spec_defaults(tmp_path):
    # the oracle fills decision_within_days (30) and repeat_applicant_threshold_juristic (15) from SPEC's
    # table when the run's values lack them: A2 as in the APA test (received 3 May, decided 5 June) is late,
    # and 15 decisions for a juristic applicant are a repeat
    rows = [case("A2", D(2024, 6, 5), process_id="PS", received_on=D(2024, 5, 3))]
    rows += repeated("OFF1", "J15", 15, "juristic")
    ds = load(tmp_path, AS_OF, processes=[public("PS")], cases=rows)
    params = {k: v for k, v in PARAMS.items() if k not in oracle.V3_PARAMETERS}
    assert oracle.evaluate(ds, AS_OF, params) == (on_cases("1.6-time-limit-exceeded", "medium", "A2")
                                                  | {("1.4-repeat-applicant", "officer", "OFF1", "J15", "medium")})
