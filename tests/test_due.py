"""Duties due soon: a warning and the flag it prevents use the same term, so they never disagree —
a duty listed as due on day d and left undone is a flag of its rule on the first day after d."""

from __future__ import annotations

import datetime as dt
import json

from conftest import write_dataset
from hypothesis import HealthCheck, given, settings
from test_oracle_agreement import datasets

from engine.cli import main
from engine.evaluation.run import evaluate, iter_partitions
from engine.ingest.loader import load_dataset
from engine.kb.knowledge import load_kb
from engine.rules.catalogue import default_catalogue
from engine.rules.context import CorrectiveAction

AS_OF = dt.date(2024, 4, 22)  # a Monday
# one open duty of each kind, each due within a few working days of AS_OF (the base data's A1:
# HEAD ← SUP ← OFF1; process P1: a public service of 5 working days)
OPEN_DUTIES = {
    "processes": [
        {"process_id": "PM", "agency_id": "A1", "name": "คู่มือใกล้ครบรอบ", "discretionary": "false",
         "public_service": "false", "work_manual": "คู่มือ PM", "work_manual_reviewed_on": "2022-04-24"},
        {"process_id": "PLIC", "agency_id": "A1", "name": "ใบอนุญาต", "discretionary": "true", "public_service": "true",
         "standard_days": "5", "licensing": "true", "work_manual": "คู่มือ", "work_manual_reviewed_on": "2024-01-01"}],
    "cases": [
        {"case_id": "UNREVIEWED", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-10",
         "decided_on": "2024-04-17", "discretion_used": "true", "legal_basis": "ม. 1"},
        {"case_id": "DEVIATED", "process_id": "P2", "officer_id": "OFF1", "received_on": "2024-04-10",
         "decided_on": "2024-04-18", "discretion_used": "false", "deviation": "ข้ามขั้นตอน"},
        {"case_id": "REPORTED", "process_id": "P2", "officer_id": "OFF1", "received_on": "2024-03-01",
         "decided_on": "2024-03-05", "discretion_used": "false", "deviation": "ข้ามขั้นตอน"},
        {"case_id": "PENDING", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-18",
         "discretion_used": "true"},
        {"case_id": "LATE", "process_id": "PLIC", "officer_id": "OFF1", "received_on": "2024-04-01",
         "discretion_used": "true"}],
    "escalations": [{"report_id": "ESC", "case_id": "REPORTED", "reported_by": "OFF1", "reported_to": "SUP",
                     "reported_on": "2024-03-25"}],
    "delay_notices": [{"notice_id": "N1", "case_id": "LATE", "notified_on": "2024-04-17", "opdc_copied": "true"}],
    "risk_analyses": [{"agency_id": "A1", "analysed_on": "2023-04-24", "ethics_committee": "true"}],
    "monitoring_reports": [{"agency_id": "A1", "reported_on": "2023-10-24"}],
    "acknowledgements": [{"agency_id": "A1", "staff_total": "10", "staff_acknowledged": "10",
                          "published_url": "https://a1.example.go.th/o48", "fiscal_year": "2567"}],
}
ROUND = ["acknowledgement_deadlines.2567=2024-04-25", "warn_within_working_days=5"]


def due_and_flags(ds, as_of, params):
    due: list[dict] = []
    for _ in iter_partitions(ds, as_of, params, due=due):
        pass
    return due


def test_each_kind_of_duty_is_listed_before_its_day_with_the_working_days_left(dataset_dir):
    ds = load_dataset(dataset_dir(OPEN_DUTIES, replace=["risk_analyses", "monitoring_reports", "acknowledgements"]))
    params = load_kb().resolve_parameters(ROUND)
    due = {(d["rule_id"], d["subject_id"]): d for d in due_and_flags(ds, AS_OF, params)}
    expected = {  # worked out by hand on the government calendar of April 2024
        ("1.1-unreviewed", "UNREVIEWED"): ("2024-04-26", 4),   # 7 working days from Wednesday 17 April
        ("1.3-unreported-deviation", "DEVIATED"): ("2024-04-29", 5),  # from Thursday 18 April
        ("1.3-uninvestigated", "REPORTED"): ("2024-04-24", 2),  # 30 days from 25 March
        ("1.6-time-limit-exceeded", "PENDING"): ("2024-04-25", 3),  # 5 working days from Thursday 18 April
        ("1.6-delay-not-notified", "LATE"): ("2024-04-24", 2),  # the next notice: 7 days after 17 April
        ("1.2-manual-outdated", "PM"): ("2024-04-23", 1),  # reviewed 24 April 2022 + 730 days
        ("1.4-no-risk-analysis", "A1"): ("2024-04-22", 0),  # 24 April 2023 + 365 − 1: today is the last day
        ("1.8-no-monitoring", "A1"): ("2024-04-23", 1),  # 24 October 2023 + 183 − 1
        ("2.3-not-reported", "A1"): ("2024-04-25", 3),
    }
    assert {k: (d["due_on"], d["working_days_left"]) for k, d in due.items()} == expected
    today = due[("1.4-no-risk-analysis", "A1")]
    assert "วันนี้เป็นวันสุดท้าย" in today["message_th"] and "today is the last day" in today["message_en"]
    assert due[("1.1-unreviewed", "UNREVIEWED")]["message_th"] == (
        "เรื่อง UNREVIEWED (อนุญาตทดสอบ) ผู้บังคับบัญชาต้องสอบทานภายใน 26 เม.ย. 2567 (อีก 4 วันทำการ)")
    # and none of them is a flag yet
    flagged = {(f.rule_id, f.subject_id) for f in evaluate(ds, AS_OF, params).flags}
    assert not flagged & set(expected)
    # with a shorter warning period, only the nearer duties
    near = due_and_flags(ds, AS_OF, load_kb().resolve_parameters([*ROUND, "warn_within_working_days=1"]))
    assert len(near) == 3
    assert load_kb().parameters["warn_within_working_days"].default == 3  # the product's default
    assert {(d["rule_id"], d["subject_id"]) for d in near} == {k for k, v in expected.items() if v[1] <= 1}


def test_a_duty_left_undone_is_a_flag_the_day_after_its_due_day(dataset_dir):
    ds = load_dataset(dataset_dir(OPEN_DUTIES, replace=["risk_analyses", "monitoring_reports", "acknowledgements"]))
    params = load_kb().resolve_parameters(ROUND)
    due = due_and_flags(ds, AS_OF, params)
    for day in sorted({d["due_on"] for d in due}):
        after = dt.date.fromisoformat(day) + dt.timedelta(days=1)
        flagged = {(f.rule_id, f.subject_id) for f in evaluate(ds, after, params).flags}
        for d in due:
            if d["due_on"] == day:
                assert (d["rule_id"], d["subject_id"]) in flagged, (d, after)


# the date that makes a row of each table an event; a row whose event is after as_of did not happen yet
EVENT_DATE = {"cases": "received_on", "escalations": "reported_on", "delay_notices": "notified_on",
              "risk_analyses": "analysed_on", "monitoring_reports": "reported_on", "parameters": "effective_from"}


def as_known_on(tables: dict, as_of: dt.date) -> dict:
    """The dataset as it stood on as_of, with nothing done after: rows whose event is later dropped
    (with a dropped case's reports and notices), later dates of a row emptied (a later review with its
    reviewer). A duty due on d in these records is left undone, so it must be a flag on d + 1."""
    out = {}
    for table, rows in tables.items():
        kept = []
        for row in rows:
            event = row.get(EVENT_DATE.get(table, ""))
            if isinstance(event, dt.date) and event > as_of:
                continue
            row = dict(row)
            for column, value in row.items():
                if isinstance(value, dt.date) and value > as_of:
                    row[column] = None
                    if column == "reviewed_on":
                        row["reviewed_by"] = None
            kept.append(row)
        out[table] = kept
    cases = {c["case_id"] for c in out["cases"]}
    for table in ("escalations", "delay_notices"):
        out[table] = [r for r in out[table] if r["case_id"] in cases]
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(datasets())
def test_on_random_datasets_every_duty_due_is_flagged_the_day_after_and_not_before(tmp_path_factory, example):
    tables, as_of, overrides = example
    ds = load_dataset(write_dataset(tmp_path_factory.mktemp("ds"), as_known_on(tables, as_of)))
    params = load_kb().resolve_parameters({**{k: str(v) for k, v in overrides.items()}, "warn_within_working_days": "40"})
    due = due_and_flags(ds, as_of, params)
    now = {(f.rule_id, f.subject_id, f.evidence.get("applicant")) for f in evaluate(ds, as_of, params).flags}
    assert not now & {(d["rule_id"], d["subject_id"], d["applicant"]) for d in due}  # not yet late
    for day in sorted({d["due_on"] for d in due}):
        after = dt.date.fromisoformat(day) + dt.timedelta(days=1)
        flagged = {(f.rule_id, f.subject_id, f.evidence.get("applicant")) for f in evaluate(ds, after, params).flags}
        for d in due:
            if d["due_on"] == day:
                assert (d["rule_id"], d["subject_id"], d["applicant"]) in flagged, (d, after)


def test_every_duty_is_the_duty_of_a_rule_that_counts_days(capsys):
    rules = [r for r in default_catalogue() if r.duty is not None]
    assert {r.rule_id for r in rules} == {
        "1.1-unreviewed", "1.3-unreported-deviation", "1.3-uninvestigated", "1.6-time-limit-exceeded",
        "1.6-delay-not-notified", "1.2-manual-outdated", "1.4-no-risk-analysis", "1.8-no-monitoring", "2.3-not-reported",
        "1.8-corrective-action-overdue"}


def test_the_due_command_lists_duties_soonest_first(dataset_dir, tmp_path, capsys):
    folder = dataset_dir(OPEN_DUTIES, replace=["risk_analyses", "monitoring_reports", "acknowledgements"])
    out = tmp_path / "due.jsonl"
    code = main(["due", str(folder), "--as-of", "22/4/2567", "--format", "jsonl", "--output", str(out),
                 *(a for s in ROUND for a in ("--set", s))])
    assert code == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 9 and [r["due_on"] for r in rows] == sorted(r["due_on"] for r in rows)
    assert "9 duties due" in capsys.readouterr().err
    assert main(["due", str(folder), "--as-of", "2024-04-22", "--format", "table", *(a for s in ROUND for a in ("--set", s))]) == 0
    table = capsys.readouterr().out
    assert "ครบกำหนด" in table and "22 เม.ย. 2567" in table and "ต้องสอบทานภายใน 26 เม.ย. 2567" in table


def test_a_confirmed_flags_corrective_action_is_a_duty_before_its_due_date_and_a_flag_the_day_after(dataset_dir):
    """Store runs (the review workflow's data): each confirmed flag's corrective action not yet late
    is a duty of 1.8-corrective-action-overdue, counted on the same calendar; on the first day after
    its due date the rule flags the agency. Without the review workflow (``check``) there is none."""
    ds = load_dataset(dataset_dir())
    params = load_kb().resolve_parameters([])
    actions = {"A1": [CorrectiveAction("F-NEAR", dt.date(2024, 4, 24), "1.1-unreviewed", "case", "C1"),
                      CorrectiveAction("F-TODAY", AS_OF, "1.3-no-finding", "case", "C2"),
                      CorrectiveAction("F-FAR", dt.date(2024, 5, 10), "1.2-process-without-manual", "process", "P1"),
                      CorrectiveAction("F-LATE", dt.date(2024, 4, 19), "1.1-unreviewed", "case", "C3")]}

    def duties(as_of, given=actions):
        due: list[dict] = []
        for _ in iter_partitions(ds, as_of, params, due=due, corrective_actions=given):
            pass
        return {d["flag_id"]: d for d in due if d["rule_id"] == "1.8-corrective-action-overdue"}

    found = duties(AS_OF)
    assert {k: (d["due_on"], d["working_days_left"], d["subject_id"]) for k, d in found.items()} == {
        "F-NEAR": ("2024-04-24", 2, "A1"), "F-TODAY": ("2024-04-22", 0, "A1")}  # F-FAR: 14 working days away
    assert found["F-NEAR"]["message_th"] == (
        "หน่วยงาน สำนักงานทดสอบ ต้องแก้ไขตามข้อสังเกตที่ยืนยันแล้วของเรื่อง C1 (1.1-unreviewed) ให้แล้วเสร็จภายใน "
        "24 เม.ย. 2567 (อีก 2 วันทำการ)")
    assert "case C1 (1.1-unreviewed) is due by 2024-04-24 (2 working days left)" in found["F-NEAR"]["message_en"]
    # the late one is the rule's flag already (1 action, due 19 April), not a warning
    flags = {f.rule_id: f for f in evaluate(ds, AS_OF, params, corrective_actions=actions).flags}
    assert flags["1.8-corrective-action-overdue"].evidence["corrective_actions_overdue"] == 1
    # left undone, each is late the day after its due date: two more overdue on 25 April
    after = evaluate(ds, dt.date(2024, 4, 25), params, corrective_actions=actions).flags
    assert [f.evidence["corrective_actions_overdue"] for f in after if f.rule_id == "1.8-corrective-action-overdue"] == [3]
    assert duties(dt.date(2024, 4, 25)) == {}  # F-FAR is 11 working days away then
    assert duties(AS_OF, None) == {}  # check: no review workflow, no such duty
