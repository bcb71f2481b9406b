"""The engine (durable-rules) agrees flag for flag with the independent evaluator in tests/oracle.py."""

from __future__ import annotations

import datetime as dt
import json

import oracle
from conftest import write_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_fixtures import load_scenarios

from engine.evaluation.run import evaluate
from engine.ingest.loader import load_dataset
from engine.kb.knowledge import load_kb

START = dt.date(2023, 12, 1)
# the dates of a dataset lie from one of these (2027: Labour Day's day in lieu, Mon 3 May, a working day)
STARTS = [START, dt.date(2027, 3, 1)]
# v3: the outcome words (SPEC §2), in Thai and English, and other text kept as written
OUTCOMES = ["approved", "Approved", "อนุมัติ", "อนุญาต", "ให้ตามคำขอ", "เห็นชอบ", "partial", "อนุมัติบางส่วน",
            "อนุญาตบางส่วน", "denied", "refused", "ไม่อนุมัติ", "ไม่อนุญาต", "ยกคำขอ", "ปฏิเสธ", "อนุมัติแล้ว", "granted"]


def engine_flags(ds, as_of, params, corrective=None) -> set[tuple]:
    return {(f.rule_id, f.subject_type, f.subject_id, f.evidence.get("applicant"), f.severity)
            for f in evaluate(ds, as_of, params, corrective=corrective).flags}


def day(draw, lo: int = 0, hi: int = 200) -> dt.date:
    return draw(st.shared(st.sampled_from(STARTS), key="start")) + dt.timedelta(days=draw(st.integers(lo, hi)))


def maybe(draw, value, p_none: float = 0.3):
    return None if draw(st.floats(0, 1)) < p_none else value


@st.composite
def datasets(draw):
    booleans = st.sampled_from(["true", "false", "ใช่", "ไม่ใช่", "1", "0"])
    n_agencies = draw(st.integers(1, 2))
    agencies = [{"agency_id": f"A{i}", "name": f"หน่วยงาน {i}", "serves_public": draw(booleans)} for i in range(n_agencies)]
    processes = []
    for i in range(draw(st.integers(1, 4))):
        processes.append({
            "process_id": f"P{i}", "agency_id": f"A{draw(st.integers(0, n_agencies - 1))}", "name": f"งาน {i}",
            "discretionary": draw(booleans), "public_service": draw(booleans),
            "work_manual": maybe(draw, "คู่มือ"), "work_manual_reviewed_on": maybe(draw, day(draw, -800, 250)),
            "citizen_manual_url": maybe(draw, "https://x.example.go.th/m"),
            "citizen_manual_at_office": maybe(draw, draw(booleans)),
            "standard_days": maybe(draw, draw(st.integers(0, 12))),
            "day_basis": maybe(draw, draw(st.sampled_from(["working", "calendar"]))),
            "it_system": maybe(draw, "ระบบ"),
            "licensing": maybe(draw, draw(booleans), 0.5), "review_sample_percent": maybe(draw, draw(st.integers(1, 100)), 0.7),
            "it_exempt_reason": maybe(draw, "ดุลพินิจตามกฎหมาย", 0.7),
            "affects_others": maybe(draw, draw(booleans), 0.5),
        })
    officers = []
    for i in range(draw(st.integers(1, 6))):
        officers.append({
            "officer_id": f"O{i}", "agency_id": f"A{draw(st.integers(0, n_agencies - 1))}", "name": f"เจ้าหน้าที่ {i}",
            "supervisor_id": maybe(draw, f"O{draw(st.integers(0, i - 1))}", 0.2) if i else None,
            "in_position_since": maybe(draw, day(draw, -2000, 200)),
            "ethics_acknowledged_on": maybe(draw, day(draw, -500, 220)),
            "rotation_post": maybe(draw, draw(booleans), 0.3),
        })
    officer_ids = [o["officer_id"] for o in officers]
    cases = []
    for i in range(draw(st.integers(0, 25))):
        received = day(draw, 0, 200)
        complete = maybe(draw, received + dt.timedelta(days=draw(st.integers(0, 10))), 0.5)
        decided = maybe(draw, (complete or received) + dt.timedelta(days=draw(st.integers(0, 30))), 0.25)
        reviewed = maybe(draw, (decided or received) + dt.timedelta(days=draw(st.integers(0, 15))), 0.4)
        related = maybe(draw, draw(st.booleans()), 0.5)  # the ground and exception only where related (SPEC §2 v3)
        related_text = None if related is None else draw(st.sampled_from(["true", "ใช่", "1"] if related else
                                                                         ["false", "ไม่ใช่", "0"]))
        cases.append({
            "case_id": f"C{i}", "process_id": f"P{draw(st.integers(0, len(processes) - 1))}",
            "officer_id": draw(st.sampled_from(officer_ids)), "applicant_id": maybe(draw, draw(st.sampled_from(["X", "Y"])), 0.1),
            "received_on": received, "decided_on": decided, "discretion_used": draw(booleans),
            "legal_basis": maybe(draw, "มาตรา ๑"),
            "reviewed_by": draw(st.sampled_from(officer_ids)) if reviewed else None, "reviewed_on": reviewed,
            "deviation": maybe(draw, "ข้ามขั้นตอน", 0.7), "via_it_system": maybe(draw, draw(booleans), 0.5),
            "override_reason": maybe(draw, "ระบบขัดข้อง", 0.7), "applicant_related": related_text,
            "coi_declared": maybe(draw, draw(booleans), 0.5), "complete_on": complete,
            "applicant_kind": maybe(draw, draw(st.sampled_from(["person", "juristic"])), 0.5),
            "coi_permitted_by": maybe(draw, draw(st.sampled_from(officer_ids)), 0.5),
            "outcome": maybe(draw, draw(st.sampled_from(OUTCOMES)), 0.3),
            "coi_ground": maybe(draw, draw(st.sampled_from(["s13", "s16"])), 0.4) if related else None,
            "coi_exception": maybe(draw, "ไม่มีเจ้าหน้าที่อื่นปฏิบัติหน้าที่แทน", 0.7) if related else None,
        })
    escalations = []
    if cases:
        for i in range(draw(st.integers(0, 6))):
            reported = day(draw, 0, 220)
            escalations.append({
                "report_id": f"R{i}", "case_id": f"C{draw(st.integers(0, len(cases) - 1))}",
                "reported_by": draw(st.sampled_from(officer_ids)), "reported_to": draw(st.sampled_from(officer_ids)),
                "reported_on": reported, "investigated_on": maybe(draw, reported + dt.timedelta(days=draw(st.integers(0, 60)))),
                "finding": maybe(draw, "พบจริง", 0.3), "corrective_action": maybe(draw, "ตักเตือน", 0.3),
            })
    notices = []
    for i in range(draw(st.integers(0, 8)) if cases else 0):
        case = cases[draw(st.integers(0, len(cases) - 1))]
        notices.append({"notice_id": f"N{i}", "case_id": case["case_id"],
                        "notified_on": case["received_on"] + dt.timedelta(days=draw(st.integers(0, 60))),
                        "opdc_copied": maybe(draw, draw(booleans), 0.3)})
    agency_ids = [a["agency_id"] for a in agencies]
    overrides, seen = [], set()
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.sampled_from(["review_within_days", "escalation_within_days", "investigation_within_days",
                                     "manual_max_age_days", "review_sample_window_days", "rotation_years",
                                     "repeat_applicant_threshold", "repeat_applicant_threshold_juristic",
                                     "repeat_window_days", "ethics_ack_valid_days", "risk_analysis_interval_days",
                                     "monitoring_interval_days"]))
        proc = draw(st.sampled_from(processes)) if oracle.overridable(name) == "process" and draw(st.booleans()) else None
        agency = proc["agency_id"] if proc else draw(st.sampled_from(agency_ids))
        effective = maybe(draw, day(draw, -30, 220), 0.4)  # v3: in force from this day (empty = always)
        key = (agency, proc and proc["process_id"], name, effective)
        if key in seen:
            continue
        seen.add(key)
        overrides.append({"agency_id": agency, "process_id": proc and proc["process_id"], "name": name,
                          "value": draw(st.integers(1 if name.startswith("repeat_applicant_threshold") else 0, 30)),
                          "source": "คำสั่งหน่วยงาน ที่ 1/2567", "effective_from": effective})
    risk = [{"agency_id": draw(st.sampled_from(agency_ids)), "analysed_on": day(draw, -400, 220),
             "ethics_committee": draw(booleans)} for _ in range(draw(st.integers(0, 3)))]
    monitoring = [{"agency_id": draw(st.sampled_from(agency_ids)), "reported_on": day(draw, -200, 220)}
                  for _ in range(draw(st.integers(0, 3)))]
    acks = []
    for _ in range(draw(st.integers(0, 3))):
        total = draw(st.integers(0, 5))
        acks.append({"agency_id": draw(st.sampled_from(agency_ids)), "staff_total": total,
                     "staff_acknowledged": draw(st.integers(0, total)), "published_url": maybe(draw, "https://x.example.go.th/o48"),
                     "reported_on": maybe(draw, draw(st.sampled_from([dt.date(2019, 6, 20), dt.date(2019, 6, 21), day(draw, 0, 220)]))),
                     "fiscal_year": maybe(draw, draw(st.sampled_from([2562, 2566, 2567, 2568])), 0.3)})
    tables = {"agencies": agencies, "processes": processes, "officers": officers, "cases": cases,
              "escalations": escalations, "risk_analyses": risk, "monitoring_reports": monitoring, "acknowledgements": acks,
              "delay_notices": notices, "parameters": overrides}
    as_of = day(draw, 0, 210)
    params = {
        "review_within_days": draw(st.integers(0, 10)), "escalation_within_days": draw(st.integers(0, 10)),
        "investigation_within_days": draw(st.integers(0, 40)), "rotation_years": draw(st.integers(0, 5)),
        "repeat_applicant_threshold": draw(st.integers(1, 3)), "repeat_window_days": draw(st.integers(1, 200)),
        "manual_max_age_days": draw(st.integers(0, 800)), "risk_analysis_interval_days": draw(st.integers(1, 400)),
        "ethics_ack_valid_days": draw(st.integers(0, 400)), "monitoring_interval_days": draw(st.integers(1, 200)),
        "review_sample_window_days": draw(st.integers(0, 120)), "delay_notice_every_days": draw(st.integers(1, 10)),
        "active_officer_window_days": draw(st.integers(1, 400)), "decision_within_days": draw(st.integers(0, 40)),
        "repeat_applicant_threshold_juristic": draw(st.integers(1, 5)),
    }
    deadlines = {}
    for year in draw(st.lists(st.sampled_from([2566, 2567, 2568]), max_size=2, unique=True)):
        deadlines[f"acknowledgement_deadlines.{year}"] = dt.date(year - 544, 12, 1) + dt.timedelta(days=draw(st.integers(0, 200)))
    params.update(deadlines)
    return tables, as_of, params


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(datasets())
def test_engine_agrees_with_oracle_on_generated_datasets(tmp_path_factory, example):
    tables, as_of, overrides = example
    ds = load_dataset(write_dataset(tmp_path_factory.mktemp("ds"), tables))
    params = load_kb().resolve_parameters({k: str(v) for k, v in overrides.items()})
    assert engine_flags(ds, as_of, params) == oracle.evaluate(ds, as_of, params)
    corrective = {a.agency_id: (n, as_of - dt.timedelta(days=3)) for n, a in enumerate(ds.agencies)}
    assert engine_flags(ds, as_of, params, corrective) == oracle.evaluate(ds, as_of, params, corrective)


def test_engine_agrees_with_oracle_on_every_rule_fixture(tmp_path):
    kb = load_kb()
    for n, scenario in enumerate(load_scenarios()):
        ds = load_dataset(scenario.write(tmp_path / f"s{n}"))
        params = kb.resolve_parameters(scenario.params)
        assert (engine_flags(ds, scenario.as_of, params, scenario.corrective)
                == oracle.evaluate(ds, scenario.as_of, params, scenario.corrective)), scenario.test_id


def test_engine_oracle_and_truth_agree_on_demo_data(tmp_path):
    from engine.demo.generate import generate

    for seed, as_of in [(1, dt.date(2026, 11, 25)), (7, dt.date(2024, 4, 20))]:
        out = tmp_path / f"demo{seed}"
        manifest = generate(out, cases=3000, seed=seed, as_of=as_of)
        ds = load_dataset(out)
        params = load_kb().resolve_parameters(manifest["set"])  # the demo's acknowledgement round
        truth = {(t["rule_id"], t["subject_type"], t["subject_id"], t["applicant"], t["severity"])
                 for t in map(json.loads, (out / "truth.jsonl").read_text(encoding="utf-8").splitlines())}
        got = engine_flags(ds, as_of, params)
        assert len(truth) == manifest["expected_flags"] > 300
        assert got == truth
        assert oracle.evaluate(ds, as_of, params) == truth
        assert {t[0] for t in truth} == {r for r, *_ in got} and len({t[0] for t in truth}) == 27
