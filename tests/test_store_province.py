"""What the administrator records for later runs (issue 7): cabinet-declared days off and
acknowledgement rounds, stored append-only and hash-chained; and the self-assessment's
"not assessed — no data" from the subjects each run evaluated per agency and rule."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from engine.domain.errors import UsageError
from engine.ingest.loader import load_dataset
from engine.rules.catalogue import default_catalogue
from engine.store import assessment as sa
from engine.store import province, replay
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.runs import run_evaluation
from engine.store.schema import EvaluationRun, FlagRow, RunAgencyRuleStat
from engine.store.scope import SYSTEM, PermissionDenied, Scope

ADMIN = Scope("admin", "admin", None)
PROVINCE = Scope("province", "provincial", None)
HEAD = Scope("head.a1", "agency_head", "A1")
# a discretionary decision on Monday 4 March 2024 that nobody reviewed: review_within_days is
# 7 working days, so the review was due on Wednesday 13 March (no day off in between)
UNREVIEWED = {"cases": [{"case_id": "C1", "process_id": "P1", "officer_id": "OFF1", "applicant_id": "X9",
                         "received_on": "2024-03-01", "decided_on": "2024-03-04", "discretion_used": "true",
                         "legal_basis": "มาตรา 1", "via_it_system": "true"}]}


def _store(url, dataset_dir, extra=None, replace=None):
    with transaction(url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(extra, replace)), "fixture")


def _flag(url, rule_id, subject_id):
    with transaction(url) as s:
        row = s.scalar(select(FlagRow).where(FlagRow.rule_id == rule_id, FlagRow.subject_id == subject_id))
        return (row.status, row.evidence) if row else None


def test_a_day_off_recorded_by_the_admin_rolls_a_deadline_in_later_runs(db_url, dataset_dir):
    _store(db_url, dataset_dir, UNREVIEWED)
    run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 3, 14))
    status, evidence = _flag(db_url, "1.1-unreviewed", "C1")
    assert status == "open" and evidence["review_deadline"] == "2024-03-13"
    with transaction(db_url) as s:
        province.add_calendar_entry(s, ADMIN, dt.date(2024, 3, 8), "add", "วันหยุดพิเศษ (ทดสอบ)",
                                    "Special day off (test)", "มติคณะรัฐมนตรี 27 ก.พ. 2567")
    run_id = run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 3, 14))
    assert _flag(db_url, "1.1-unreviewed", "C1")[0] == "cleared_by_data"  # now due on Thursday 14 March
    with transaction(db_url) as s:
        recorded = s.get(EvaluationRun, run_id).parameters["calendar"]
    assert recorded == [{"date": "2024-03-08", "kind": "add", "name_th": "วันหยุดพิเศษ (ทดสอบ)",
                         "name_en": "Special day off (test)", "source": "มติคณะรัฐมนตรี 27 ก.พ. 2567"}]
    run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 3, 15))
    status, evidence = _flag(db_url, "1.1-unreviewed", "C1")
    assert status == "open" and evidence["review_deadline"] == "2024-03-14"
    with transaction(db_url) as s:  # withdrawn by a newer entry for the date: the deadline is back
        province.add_calendar_entry(s, ADMIN, dt.date(2024, 3, 8), "remove", "ยกเลิกวันหยุดพิเศษ (ทดสอบ)",
                                    "Special day off withdrawn (test)", "มติคณะรัฐมนตรี 5 มี.ค. 2567")
        assert [e.kind for e in province.calendar_in_force(s, PROVINCE)] == ["remove"]
        assert len(province.calendar_entries(s, PROVINCE)) == 2
    run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 3, 15))
    assert _flag(db_url, "1.1-unreviewed", "C1")[1]["review_deadline"] == "2024-03-13"


def test_only_admins_write_and_every_entry_is_kept_in_a_hash_chain(db_url):
    friday = dt.date(2024, 3, 8)
    with transaction(db_url) as s:
        for who in (PROVINCE, HEAD, Scope("sup", "supervisor", "A1")):
            with pytest.raises(PermissionDenied, match="administrators only"):
                province.add_calendar_entry(s, who, friday, "add", "x", "x", "มติ ครม.")
            with pytest.raises(PermissionDenied, match="administrators only"):
                province.open_round(s, who, 2567, dt.date(2024, 1, 31), "หนังสือ ขก 0017/1")
        with pytest.raises(UsageError, match="ต้องระบุที่มา .* source is required"):
            province.add_calendar_entry(s, ADMIN, friday, "add", "วันหยุด", "Day off", "  ")
        with pytest.raises(UsageError, match="Saturday"):
            province.add_calendar_entry(s, ADMIN, dt.date(2024, 3, 9), "add", "วันหยุด", "Day off", "มติ ครม.")
        with pytest.raises(UsageError, match="kind must be add"):
            province.add_calendar_entry(s, ADMIN, friday, "holiday", "วันหยุด", "Day off", "มติ ครม.")
        with pytest.raises(UsageError, match="in fiscal year 2568, not 2567"):
            province.open_round(s, ADMIN, 2567, dt.date(2024, 10, 15), "หนังสือ ขก 0017/1")
        with pytest.raises(UsageError, match="Buddhist-Era"):
            province.open_round(s, ADMIN, 2024, dt.date(2024, 1, 31), "หนังสือ ขก 0017/1")
        province.add_calendar_entry(s, ADMIN, friday, "add", "วันหยุด", "Day off", "มติ ครม.")
        province.open_round(s, ADMIN, 2567, dt.date(2024, 1, 31), "หนังสือ ขก 0017/1")
        province.open_round(s, ADMIN, 2567, dt.date(2024, 2, 15), "หนังสือ ขก 0017/2 (แก้ไขกำหนด)")
        assert {y: (r.deadline, r.source, r.actor) for y, r in province.rounds_in_force(s, PROVINCE).items()} == {
            2567: (dt.date(2024, 2, 15), "หนังสือ ขก 0017/2 (แก้ไขกำหนด)", "admin")}
        counts, broken = replay.verify(s, SYSTEM)
        assert broken == [] and counts["calendar_entries"] == 1 and counts["acknowledgement_rounds"] == 2
    for statement in ("DELETE FROM calendar_entries", "UPDATE acknowledgement_rounds SET source = 'x'"):
        with pytest.raises(Exception, match="append-only"):
            with transaction(db_url) as s:
                s.execute(text(statement))


def test_an_opened_round_is_used_by_later_runs_between_the_kb_and_set(db_url, dataset_dir):
    _store(db_url, dataset_dir)
    as_of = dt.date(2024, 4, 20)  # fiscal year 2567; the KB's only round is 2562's: closed
    run_evaluation(session_factory(db_url), SYSTEM, as_of)
    assert _flag(db_url, "2.3-not-reported", "A1") is None
    with transaction(db_url) as s:
        province.open_round(s, ADMIN, 2567, dt.date(2024, 1, 31), "หนังสือจังหวัด ที่ ขก 0017.3/ว 123")
    run_id = run_evaluation(session_factory(db_url), SYSTEM, as_of)
    status, evidence = _flag(db_url, "2.3-not-reported", "A1")
    assert status == "open" and evidence["round"] == 2567 and evidence["round_deadline"] == "2024-01-31"
    with transaction(db_url) as s:
        used = s.get(EvaluationRun, run_id).parameters["values"]["acknowledgement_deadlines"]
        message = s.scalar(select(FlagRow.message_th).where(FlagRow.rule_id == "2.3-not-reported"))
    assert used["from"] == "store" and used["value"] == {"2562": "2019-06-20", "2567": "2024-01-31"}
    assert "ขก 0017.3/ว 123" in used["source_th"] and "ขก 0017.3/ว 123" in used["source_en"]
    assert "ขก 0017.3/ว 123" in message  # the flag names the letter that set the deadline
    # --set still has the last word for one run: the deadline moved past as_of, nothing is late
    run_id = run_evaluation(session_factory(db_url), SYSTEM, as_of,
                            overrides={"acknowledgement_deadlines.2567": "2024-05-31"})
    assert _flag(db_url, "2.3-not-reported", "A1")[0] == "cleared_by_data"
    with transaction(db_url) as s:
        assert s.get(EvaluationRun, run_id).parameters["values"]["acknowledgement_deadlines"]["from"] == "set"


def test_demo_setup_opens_its_round_in_the_store_and_a_plain_run_keeps_the_2x_flags(tmp_path):
    from engine.demo.store import setup_demo

    url, as_of = f"sqlite:///{tmp_path}/demo.db", dt.date(2026, 11, 25)
    list(setup_demo(url, cases=150, as_of=as_of))

    def open_2x() -> set[str]:
        with transaction(url) as s:
            return set(s.scalars(select(FlagRow.flag_id).where(FlagRow.measure.in_(("2.1", "2.2", "2.3")),
                                                               FlagRow.status == "open")))
    before = open_2x()
    assert before
    run_id = run_evaluation(session_factory(url), SYSTEM, as_of)
    assert open_2x() == before
    with transaction(url) as s:  # every flag's subject is one its rule counts as evaluated
        evaluated = {(r.agency_id, r.rule_id): r.evaluated for r in s.scalars(
            select(RunAgencyRuleStat).where(RunAgencyRuleStat.run_id == run_id))}
        flagged = s.execute(select(FlagRow.agency_id, FlagRow.rule_id, func.count()).where(
            FlagRow.last_run_id == run_id, FlagRow.status != "cleared_by_data").group_by(
            FlagRow.agency_id, FlagRow.rule_id)).all()
    assert len(flagged) > 20 and all(n <= evaluated[(a, r)] for a, r, n in flagged)
    with transaction(url) as s:
        assert list(province.rounds_in_force(s, SYSTEM)) == [2570]


def _case_only_measures() -> list[str]:
    kinds: dict[str, set[str]] = {}
    for rule in default_catalogue():
        kinds.setdefault(rule.measure, set()).add(rule.fact_kind)
    return [m for m, k in kinds.items() if k == {"case"}]


def test_no_data_for_what_no_run_evaluated_never_compliant_and_left_out_of_the_score(db_url, dataset_dir):
    assert _case_only_measures()  # 1.3 at least: otherwise this test would prove nothing
    _store(db_url, dataset_dir, {"cases": []}, replace=["cases"])
    with transaction(db_url) as s:
        campaign = sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30))
        assert set(dict(sa.propose(s, HEAD, "A1")).values()) == {  # no run has evaluated the agency yet
            ("no_data", "no evaluation run has evaluated this agency / ยังไม่มีการประมวลผลข้อมูลของหน่วยงานนี้")}
    run_id = run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 4, 20))
    with transaction(db_url) as s:
        stats = {r.rule_id: r.evaluated for r in s.scalars(select(RunAgencyRuleStat).where(
            RunAgencyRuleStat.run_id == run_id, RunAgencyRuleStat.agency_id == "A1"))}
        assert len(stats) == len(default_catalogue())
        assert stats["1.2-process-without-manual"] == 1  # P1; P2 is not discretionary (applies_to)
        assert stats["1.3-unreported-deviation"] == 0
        assert stats["2.1-staff-not-informed"] == stats["2.3-not-reported"] == 0  # no round open
        proposed = sa.propose(s, HEAD, "A1")
        for m in _case_only_measures() + ["2.1", "2.2", "2.3"]:
            assert proposed[m][0] == "no_data", m
        assert proposed["1.2"][0] == "compliant" and "run" in proposed["2.1"][1]
        a = sa.assessment(s, HEAD, campaign.id, "A1")
        rows = sa.items(s, HEAD, a.id)
        scored = [r for r in rows if r.status not in ("no_data", "not_applicable")]
        assert sa.score(rows) == sa.score(scored) == 100.0 and len(scored) < len(rows)
        sa.update_item(s, HEAD, next(r.id for r in rows if r.measure_id == "1.2"), "non_compliant",
                       override_reason="คู่มือยังไม่ได้ประกาศใช้")
        assert sa.score(sa.items(s, HEAD, a.id)) == round(100 * (len(scored) - 1) / len(scored), 1)
    with transaction(db_url) as s:  # a round opened: 2.x are evaluated again
        province.open_round(s, ADMIN, 2567, dt.date(2024, 1, 31), "หนังสือ ขก 0017/1")
    run_evaluation(session_factory(db_url), SYSTEM, dt.date(2024, 4, 20))
    with transaction(db_url) as s:
        proposed = sa.propose(s, HEAD, "A1")
    assert proposed["2.1"][0] == proposed["2.2"][0] == "compliant" and proposed["2.3"][0] == "partial"
