"""The store under rule catalogue v2: new columns and files round-trip, runs record parameter
sources and their catalogue, 1.8-corrective-action-overdue reads the review workflow, and the
flags of the removed rule 1.2-decision-without-manual are cleared by data, never deleted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select

from engine.evaluation.flags import make_flag_id
from engine.ingest.loader import load_dataset
from engine.store.data import case_record, import_dataset, load_from_db
from engine.store.db import session_factory, transaction
from engine.store.review import act, history
from engine.store.runs import corrective_actions_overdue, run_evaluation
from engine.store.schema import EvaluationRun, FlagRow
from engine.store.scope import SYSTEM, Scope

AS_OF = dt.date(2024, 4, 20)
V2_DATA = {
    "processes": [{"process_id": "PL", "agency_id": "A1", "name": "อนุญาต", "discretionary": "true",
                   "public_service": "true", "work_manual": "คู่มือ", "work_manual_reviewed_on": "2024-01-01",
                   "citizen_manual_url": "https://a1.example.go.th/pl", "citizen_manual_at_office": "true",
                   "standard_days": "5", "it_system": "ระบบ", "licensing": "true", "review_sample_percent": "30",
                   "it_exempt_reason": "ดุลพินิจตามกฎหมาย"}],
    "officers": [{"officer_id": "ROT", "agency_id": "A1", "name": "หมุนเวียน", "supervisor_id": "SUP",
                  "rotation_post": "true", "in_position_since": "2019-01-01", "ethics_acknowledged_on": "2024-01-01"}],
    "cases": [{"case_id": "L1", "process_id": "PL", "officer_id": "OFF1", "received_on": "2024-03-01",
               "complete_on": "2024-03-04", "discretion_used": "true", "applicant_kind": "juristic",
               "applicant_related": "true", "coi_declared": "true", "coi_permitted_by": "SUP"}],
    "delay_notices": [{"notice_id": "N1", "case_id": "L1", "notified_on": "2024-03-20", "opdc_copied": "false"}],
    "parameters": [{"agency_id": "A1", "process_id": "PL", "name": "review_within_days", "value": "3",
                    "source": "คำสั่งสำนักงานทดสอบ ที่ 5/2567"}],
    "acknowledgements": [{"agency_id": "A1", "staff_total": "10", "staff_acknowledged": "10",
                          "published_url": "https://a1.example.go.th/o48", "reported_on": "2024-01-10",
                          "fiscal_year": "2567"}],
}


def _import(url, ds, source="fixture"):
    with transaction(url) as s:
        import_dataset(s, SYSTEM, ds, source)


def test_v2_columns_and_files_round_trip_through_the_store(db_url, dataset_dir):
    ds = load_dataset(dataset_dir(V2_DATA))
    _import(db_url, ds)
    with transaction(db_url) as s:
        back = load_from_db(s, SYSTEM)
    for name in ("processes", "officers", "cases", "delay_notices", "parameters", "acknowledgements"):
        assert sorted(map(repr, getattr(back, name))) == sorted(map(repr, getattr(ds, name))), name
    with transaction(db_url) as s:
        record = case_record(s, SYSTEM, "L1")
    assert record["complete_on"] == dt.date(2024, 3, 4) and record["coi_permitted_by"] == "SUP"
    assert [n["notice_id"] for n in record["delay_notices"]] == ["N1"] and record["delay_notices"][0]["agency_id"] == "A1"


def test_a_run_records_its_catalogue_and_every_parameter_with_its_source(db_url, dataset_dir):
    _import(db_url, load_dataset(dataset_dir(V2_DATA)))
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF, overrides={"escalation_within_days": "9"})
    with transaction(db_url) as s:
        run = s.scalars(select(EvaluationRun)).one()
        assert run.catalogue == "3"
        values = run.parameters["values"]
        assert values["escalation_within_days"]["value"] == 9 and values["escalation_within_days"]["from"] == "set"
        assert values["delay_notice_every_days"]["source_en"] == "Licensing Facilitation Act B.E. 2558, s. 10"
        assert values["acknowledgement_deadlines"]["value"] == {"2562": "2019-06-20"}
        assert run.parameters["overrides"] == [{"process_id": "PL", "name": "review_within_days", "value": 3,
                                                "source": "คำสั่งสำนักงานทดสอบ ที่ 5/2567"}]


def test_corrective_action_overdue_is_raised_in_store_runs_from_confirmed_flags(db_url, dataset_dir):
    _import(db_url, load_dataset(dataset_dir({"cases": [
        {"case_id": "X1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
         "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1"}]})))
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    rule = "1.8-corrective-action-overdue"
    with transaction(db_url) as s:
        assert corrective_actions_overdue(s, SYSTEM, AS_OF) == {}
        fid = s.scalar(select(FlagRow.flag_id).where(FlagRow.subject_id == "X1"))
        act(s, Scope("sup.a1", "supervisor", "A1"), fid, "confirm", corrective_action="ทบทวนย้อนหลัง",
            due_date=dt.date(2024, 4, 25), today=dt.date(2024, 4, 21))
    later = dt.date(2024, 4, 26)
    with transaction(db_url) as s:
        assert corrective_actions_overdue(s, SYSTEM, dt.date(2024, 4, 25)) == {}  # due that day: not yet overdue
        assert corrective_actions_overdue(s, SYSTEM, later) == {"A1": (1, dt.date(2024, 4, 25))}
    run_evaluation(session_factory(db_url), SYSTEM, later)
    with transaction(db_url) as s:
        row = s.scalars(select(FlagRow).where(FlagRow.rule_id == rule)).one()
        assert (row.subject_id, row.severity, row.status) == ("A1", "medium", "open")
        assert row.evidence["corrective_actions_overdue"] == 1 and row.evidence["oldest_due_date"] == "2024-04-25"


def test_first_v2_run_clears_decision_without_manual_flags_and_keeps_other_ids(db_url, dataset_dir):
    cases = [{"case_id": "X1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
              "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1"}]
    _import(db_url, load_dataset(dataset_dir({"cases": cases})))
    old_rule = "1.2-decision-without-manual"
    v1_removed = make_flag_id(old_rule, "case", "X1")
    v1_kept = make_flag_id("1.1-unreviewed", "case", "X1")
    with transaction(db_url) as s:  # what a catalogue-v1 run left in the store
        run = EvaluationRun(as_of=AS_OF, parameters={}, kb_version="2562.1", rules_version="v1", agencies=[],
                            triggered_by="system", status="succeeded", catalogue="1")
        s.add(run)
        s.flush()
        common = {"measure": "1.2", "severity": "medium", "subject_type": "case", "subject_id": "X1", "agency_id": "A1",
                  "status": "open", "message_th": "v1", "message_en": "v1", "evidence": {"decided_on": "2024-04-02"},
                  "evidence_key": "v1", "as_of": AS_OF, "first_run_id": run.id, "last_run_id": run.id, "version": 1}
        s.execute(insert(FlagRow), [{**common, "flag_id": v1_removed, "rule_id": old_rule},
                                    {**common, "flag_id": v1_kept, "rule_id": "1.1-unreviewed", "measure": "1.1",
                                     "severity": "high"}])
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    with transaction(db_url) as s:
        removed = s.get(FlagRow, v1_removed)
        assert removed.status == "cleared_by_data"
        assert [e.action for e in history(s, SYSTEM, v1_removed)] == ["cleared_by_data"]
        assert s.get(FlagRow, v1_kept).status == "open"  # the v2 rule fired on the same id
        assert s.scalar(select(func.count()).select_from(FlagRow).where(FlagRow.subject_id == "X1",
                                                                         FlagRow.rule_id == "1.1-unreviewed")) == 1
        assert [r.catalogue for r in s.scalars(select(EvaluationRun).order_by(EvaluationRun.id))] == ["1", "3"]


def test_a_dismissed_process_flag_stays_dismissed_as_decisions_accumulate(db_url, dataset_dir):
    process = {"process_id": "PM", "agency_id": "A1", "name": "ไม่มีคู่มือ", "discretionary": "true",
               "public_service": "false", "it_system": "ระบบ"}
    case = {"process_id": "PM", "officer_id": "OFF1", "received_on": "2024-04-01", "decided_on": "2024-04-02",
            "discretion_used": "true", "legal_basis": "ม. 1", "reviewed_by": "SUP", "reviewed_on": "2024-04-03"}
    _import(db_url, load_dataset(dataset_dir({"processes": [process], "cases": [{**case, "case_id": "M1"}]})))
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    fid = make_flag_id("1.2-process-without-manual", "process", "PM")
    with transaction(db_url) as s:
        act(s, Scope("sup.a1", "supervisor", "A1"), fid, "dismiss", reason="คู่มืออยู่ระหว่างจัดทำ")
    more = [{**case, "case_id": "M1"}, {**case, "case_id": "M2", "decided_on": "2024-04-05", "reviewed_on": "2024-04-08"}]
    _import(db_url, load_dataset(dataset_dir({"processes": [process], "cases": more}, name="more")))
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    with transaction(db_url) as s:
        row = s.get(FlagRow, fid)
        assert row.status == "dismissed" and row.evidence["discretionary_decided_cases"] == 2


def test_a_run_counts_working_days_on_the_calendar_it_is_given(db_url, dataset_dir):
    from engine.domain.calendar import CalendarEntry
    from engine.kb.knowledge import government_calendar

    _import(db_url, load_dataset(dataset_dir({"cases": [
        {"case_id": "X1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
         "decided_on": "2024-04-04", "discretion_used": "true", "legal_basis": "ม. 1"}]})))
    day_off = CalendarEntry(dt.date(2024, 4, 18), "add", "วันหยุดราชการเป็นกรณีพิเศษ", "Special day off", "มติ ครม. (ทดสอบ)")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF, calendar=government_calendar(extra=[day_off]))
    fid = make_flag_id("1.1-unreviewed", "case", "X1")
    with transaction(db_url) as s:
        assert s.get(FlagRow, fid) is None  # 7 working days now end on Monday 22 April
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF)
    with transaction(db_url) as s:
        assert s.get(FlagRow, fid).evidence["review_deadline"] == "2024-04-19"
