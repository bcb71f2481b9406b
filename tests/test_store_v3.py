"""A store of catalogue v2 upgrades to v3 with every decision kept: 1.5-ethics-not-acknowledged's
case flags are cleared by data (never deleted) and its officer flags are new; every other rule's
flags keep their ids, and a decided flag whose facts did not change stays decided although v3
words its messages and its parameters' sources anew. Flag ids are pinned to literal values."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib

import orjson
from sqlalchemy import insert, select

from engine.evaluation.flags import make_flag_id
from engine.ingest.loader import load_dataset
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.review import act, history
from engine.store.runs import run_evaluation
from engine.store.sync import VOLATILE_EVIDENCE
from engine.store.schema import EvaluationRun, FlagRow
from engine.store.scope import SYSTEM, Scope

AS_OF = dt.date(2024, 4, 20)
SUPERVISOR = Scope("sup.a1", "supervisor", "A1")
# OFF1 decided X1 with no review (1.1-unreviewed), OFF2 decided X2 without an acknowledgement of
# the code of ethics, for an applicant to whom OFF2 is related (1.5-conflict-of-interest)
DATA = {
    "officers": [{"officer_id": "OFF2", "agency_id": "A1", "name": "เจ้าหน้าที่ 2", "supervisor_id": "SUP",
                  "in_position_since": "2022-01-01"}],
    "cases": [{"case_id": "X1", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
               "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "ม. 1", "via_it_system": "true"},
              {"case_id": "X2", "process_id": "P1", "officer_id": "OFF2", "applicant_id": "Q9",
               "received_on": "2024-04-01", "decided_on": "2024-04-03", "discretion_used": "true", "legal_basis": "ม. 1",
               "reviewed_by": "SUP", "reviewed_on": "2024-04-04", "via_it_system": "true",
               "applicant_related": "true", "coi_declared": "true"}],
}
V2_SOURCE = ("ค่าเริ่มต้นของจังหวัด — หนังสือไม่ได้กำหนดตัวเลข", "province default — the letter sets no number")


def test_flag_ids_are_the_formula_every_stored_decision_is_keyed_by():
    """SHA-256 over rule, subject type, subject and applicant joined by U+001F: a changed formula
    would orphan every decision in every store."""
    assert make_flag_id("1.1-unreviewed", "case", "C0000001") == "F2da96403d6e1fa2998a1"
    assert make_flag_id("1.4-repeat-applicant", "officer", "OF00012", "AP-77") == "F1bfb98a2c08a326a00ee"
    assert make_flag_id("2.3-not-reported", "agency", "kk-land") == "F254bbb4ac1eab85430f9"


def _as_v2_stored_it(evidence: dict) -> tuple[dict, str]:
    """The evidence of a flag as a catalogue-v2 run stored it (its parameters' sources as v2 worded
    them, the keys v3 added empty absent) with v2's second kind of evidence key."""
    old = {k: v for k, v in copy.deepcopy(evidence).items() if v is not None}  # a new value: stored as changed
    for used in old.get("parameters", {}).values():
        if used.get("from") == "kb" and used["source_th"].startswith("ค่าที่ระบบตั้งไว้"):
            used["source_th"], used["source_en"] = V2_SOURCE
    stable = {k: v for k, v in old.items() if k not in VOLATILE_EVIDENCE}
    key = "2:" + hashlib.blake2b(orjson.dumps(stable, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()
    return old, key


def test_a_v2_store_upgrades_with_every_decision_kept(db_url, dataset_dir):
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(DATA)), "fixture")
    factory = session_factory(db_url)
    run_evaluation(factory, SYSTEM, AS_OF)
    unreviewed, coi = make_flag_id("1.1-unreviewed", "case", "X1"), make_flag_id("1.5-conflict-of-interest", "case", "X2")
    ethics_case = make_flag_id("1.5-ethics-not-acknowledged", "case", "X2")
    with transaction(db_url) as s:  # the store as catalogue v2 left it: its words, its keys, its case flag
        for row in s.scalars(select(FlagRow)):
            row.evidence, row.evidence_key = _as_v2_stored_it(row.evidence)
            row.content_key, row.message_th = None, "ข้อความของรุ่น 2"
        assert s.get(FlagRow, unreviewed).evidence["parameters"]["review_within_days"]["source_th"] == V2_SOURCE[0]
        s.get(FlagRow, coi).severity = "medium"  # v2: a declared conflict was medium
        run = s.scalars(select(EvaluationRun)).one()
        s.execute(insert(FlagRow), [{
            "flag_id": ethics_case, "rule_id": "1.5-ethics-not-acknowledged", "measure": "1.5", "severity": "low",
            "subject_type": "case", "subject_id": "X2", "agency_id": "A1", "status": "open", "message_th": "v2",
            "message_en": "v2", "evidence": {"officer_id": "OFF2", "decided_on": "2024-04-03"}, "evidence_key": "v2",
            "as_of": AS_OF, "first_run_id": run.id, "last_run_id": run.id, "version": 1}])
        act(s, SUPERVISOR, unreviewed, "confirm", corrective_action="สอบทานย้อนหลัง", due_date=dt.date(2024, 5, 31),
            today=AS_OF)
        act(s, SUPERVISOR, coi, "dismiss", reason="ผู้บังคับบัญชาอนุญาตด้วยวาจา", today=AS_OF)
        act(s, SUPERVISOR, ethics_case, "dismiss", reason="รับทราบแล้วแต่ไม่ได้บันทึก", today=AS_OF)
        history_before = {f: len(history(s, SYSTEM, f)) for f in (unreviewed, coi, ethics_case)}
    run_evaluation(factory, SYSTEM, AS_OF + dt.timedelta(days=1))  # the first run of catalogue v3
    with transaction(db_url) as s:
        kept, conflict, cleared = s.get(FlagRow, unreviewed), s.get(FlagRow, coi), s.get(FlagRow, ethics_case)
        # the same facts: the reviewer's decision stands, with no event, though words and sources changed
        assert (kept.status, kept.corrective_action) == ("confirmed", "สอบทานย้อนหลัง")
        assert len(history(s, SYSTEM, unreviewed)) == history_before[unreviewed]
        assert kept.message_th.startswith("เรื่อง X1") and kept.evidence_key.startswith("3:")
        # v3 reads the conflict by the law (s.13 by default: high), the decision on it stays
        assert (conflict.status, conflict.severity) == ("dismissed", "high")
        # the v2 case flag of ethics: cleared by data, its dismissal kept in its history
        assert cleared.status == "cleared_by_data"
        assert [e.action for e in history(s, SYSTEM, ethics_case)][-2:] == ["dismiss", "cleared_by_data"]
        officer = s.get(FlagRow, make_flag_id("1.5-ethics-not-acknowledged", "officer", "OFF2"))
        assert (officer.status, officer.subject_type, officer.evidence["unacknowledged_case_ids"]) == \
            ("open", "officer", ["X2"])
        assert s.scalars(select(EvaluationRun.catalogue).order_by(EvaluationRun.id.desc())).first() == "3"
