"""Reliability of the store under concurrency (issue 8): decisions are never lost, the audit
trail always chains, and bulk writers do not disturb what they did not change."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import live_threads
from sqlalchemy import select

from engine.ingest.loader import load_dataset
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.runs import run_evaluation
from engine.store.schema import FlagEvent, FlagRow
from engine.store.scope import SYSTEM

WORKERS = Path(__file__).parent / "reliability_workers.py"
AS_OF = dt.date(2024, 4, 20)
# twelve discretionary decisions nobody reviewed: rule 1.1-unreviewed fires on each at AS_OF
UNREVIEWED = {"cases": [
    {"case_id": f"U{i:02d}", "process_id": "P1", "officer_id": "OFF1", "applicant_id": f"Y{i}",
     "received_on": "2024-04-01", "decided_on": "2024-04-02", "discretion_used": "true",
     "legal_basis": "มาตรา 1", "via_it_system": "true"} for i in range(12)]}


def _stored(db_url: str, dataset_dir, extra=None) -> str:
    ds = load_dataset(dataset_dir(extra or UNREVIEWED))
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, ds, "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF, jobs=1)
    return db_url


def trail_problems(url: str) -> tuple[list[str], list[str]]:
    """(lost decisions, broken chains): a flag whose status is not its last event's
    to_status, and an event whose from_status is not the previous event's to_status."""
    lost, broken = [], []
    with transaction(url) as s:
        status = dict(s.execute(select(FlagRow.flag_id, FlagRow.status)).all())
        last: dict[str, str | None] = {}
        for e in s.scalars(select(FlagEvent).order_by(FlagEvent.id)):
            if e.from_status != last.get(e.flag_id):
                broken.append(f"{e.flag_id} #{e.id} {e.action}: from {e.from_status}, previous to {last.get(e.flag_id)}")
            last[e.flag_id] = e.to_status
    lost = [f"{f}: status {st}, last event to {last.get(f)}" for f, st in status.items() if last.get(f) != st]
    return lost, broken


def test_runs_during_500_reviewer_actions_lose_no_decision_and_keep_every_chain(db_url, dataset_dir, tmp_path):
    url = _stored(db_url, dataset_dir)
    out, done = tmp_path / "reviewer.json", tmp_path / "done"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    runner = subprocess.Popen([sys.executable, str(WORKERS), "runner", url, str(done)], env=env,
                              stderr=subprocess.PIPE, text=True)
    reviewer = subprocess.Popen([sys.executable, str(WORKERS), "reviewer", url, str(out), str(done), "500", "4"],
                                env=env, stderr=subprocess.PIPE, text=True)
    try:
        _, reviewer_err = reviewer.communicate(timeout=120)
        _, runner_err = runner.communicate(timeout=120)
    finally:
        for p in (runner, reviewer):
            if p.poll() is None:
                p.kill()
    assert reviewer.returncode == 0, reviewer_err
    assert runner.returncode == 0, runner_err
    result = json.loads(out.read_text(encoding="utf-8"))
    committed = result["committed"]
    assert len(committed) >= 500, result["refused"]
    lost, broken = trail_problems(url)
    assert lost == [] and broken == [], (len(lost), len(broken), lost[:5], broken[:5])
    with transaction(url) as s:
        events = {e.id: e for e in s.scalars(select(FlagEvent))}
        runs_events = [e for e in events.values() if e.actor == "system" and e.run_id is not None
                       and e.action in ("cleared_by_data", "fired_again", "evidence_changed")]
    # the runs really changed statuses while the reviewer worked
    assert len(runs_events) > 10
    for d in committed:  # every decision the reviewer saw succeed is in the trail as it was made
        e = events.get(d["event_id"])
        assert e is not None and (e.flag_id, e.action, e.actor, e.from_status, e.to_status) == (
            d["flag_id"], d["action"], "reviewer", d["from_status"], d["to_status"])


def test_a_run_with_nothing_new_changes_no_flag_version(db_url, dataset_dir):
    url = _stored(db_url, dataset_dir)
    with transaction(url) as s:
        before = dict(s.execute(select(FlagRow.flag_id, FlagRow.version)).all())
    run_evaluation(session_factory(url), SYSTEM, AS_OF, jobs=1)
    run_evaluation(session_factory(url), SYSTEM, AS_OF + dt.timedelta(days=3), jobs=1)  # only day counts move
    with transaction(url) as s:
        after = dict(s.execute(select(FlagRow.flag_id, FlagRow.version)).all())
        last_runs = set(s.scalars(select(FlagRow.last_run_id)))
    assert before and after == before
    assert len(last_runs) == 1  # the flags were refreshed by the last run all the same
    run_evaluation(session_factory(url), SYSTEM, AS_OF, {"review_within_days": "10"}, jobs=1)
    with transaction(url) as s:
        changed = {f: v for f, v in s.execute(select(FlagRow.flag_id, FlagRow.version)) if v != before[f]}
        rules = set(s.scalars(select(FlagRow.rule_id).where(FlagRow.flag_id.in_(changed))))
    assert changed and set(changed.values()) == {2} and rules == {"1.1-unreviewed"}


def test_a_stale_bulk_dismiss_saves_nothing_and_says_who_changed(db_url, dataset_dir):
    from engine.store.review import StaleFlag, act, bulk_act, get_flag
    from engine.store.scope import Scope

    url = _stored(db_url, dataset_dir)
    first, second = Scope("first", "supervisor", "A1"), Scope("second", "supervisor", "A1")
    with transaction(url) as s:
        ids = sorted(s.scalars(select(FlagRow.flag_id).where(FlagRow.rule_id == "1.1-unreviewed")))[:3]
        seen = {i: get_flag(s, first, i).version for i in ids}  # the first user's queue page
    with transaction(url) as s:
        act(s, second, ids[1], "request_info", reason="ขอเอกสารเพิ่ม")
    with pytest.raises(StaleFlag, match=f"(?s)nothing was saved; 1 of 3 .*{ids[1]}"):
        with transaction(url) as s:
            bulk_act(s, first, ids, "dismiss", expected_versions=seen, reason="ตรวจแล้วทั้งชุด")
    with transaction(url) as s:
        assert [get_flag(s, first, i).status for i in ids] == ["open", "needs_info", "open"]
        assert s.scalar(select(FlagEvent.id).where(FlagEvent.action == "dismiss")) is None
    with transaction(url) as s:  # with the versions seen now, the bulk goes through
        seen = {i: get_flag(s, first, i).version for i in ids}
        assert len(bulk_act(s, first, ids, "dismiss", expected_versions=seen, reason="ตรวจแล้วทั้งชุด")) == 3


@pytest.mark.parametrize("fails", ["the evaluation", "the writing"])
@pytest.mark.parametrize("before", ["nothing stored", "a run stored"])
def test_a_run_failing_after_its_first_agencies_were_written_keeps_nothing_of_it(
        db_url, tmp_path, monkeypatch, before, fails):
    """A run writes each agency's new flags while the workers evaluate the next ones: when the
    evaluation (or the writing) fails after some were written, the run's transaction keeps none
    of them (nor their events), the flags stored before are as they were, the run is marked
    failed, and the evaluation's workers, threads and collector state are gone."""
    import gc
    import multiprocessing

    from sqlalchemy import func

    from engine.demo.generate import generate
    from engine.evaluation.flags import LINE_FLAG_ID
    from engine.store import runs, sync
    from engine.store.schema import EvaluationRun

    generate(tmp_path / "demo", cases=600, seed=3, as_of=AS_OF)
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(tmp_path / "demo"), "demo")
    factory = session_factory(db_url)
    if before == "a run stored":
        run_evaluation(factory, SYSTEM, AS_OF)
    later = AS_OF + dt.timedelta(days=120)  # time-bound rules fire on more: new flags beside known ones

    def snapshot():
        with transaction(db_url) as s:
            return (sorted(s.execute(select(FlagRow.flag_id, FlagRow.status, FlagRow.version, FlagRow.as_of,
                                            FlagRow.last_run_id)).all()),
                    s.scalar(select(func.count()).select_from(FlagEvent)))
    stored = snapshot()
    known = {f.flag_id for f in stored[0]}
    real = runs.iter_partitions
    new: list[int] = []  # per agency handed over, its flags not stored before

    def failing_evaluation(*args, **kwargs):
        for agency_id, partition, kinds in real(*args, **kwargs):
            yield agency_id, partition, kinds
            new.append(sum(r[LINE_FLAG_ID] not in known for r in partition))
            if sum(new) >= 8 and fails == "the evaluation":
                raise RuntimeError("a worker was lost")
    monkeypatch.setattr(runs, "iter_partitions", failing_evaluation)
    keyed: list[int] = []
    if fails == "the writing":
        real_key = sync.evidence_key

        def failing_key(evidence):  # made for each new flag as it is written
            keyed.append(1)
            if len(keyed) > 8:
                raise RuntimeError("a worker was lost")
            return real_key(evidence)
        monkeypatch.setattr(sync, "evidence_key", failing_key)
    monkeypatch.setattr(sync, "WRITE_BATCH", 2)  # batches in the writing thread before the failure
    with pytest.raises(RuntimeError, match="a worker was lost") as failure:
        run_evaluation(factory, SYSTEM, later)
    # new flags were handed over, and (batches of 2) written, before the failure
    assert len(keyed) > 8 if fails == "the writing" else sum(new) >= 8
    assert snapshot() == stored
    with transaction(db_url) as s:
        run = s.scalars(select(EvaluationRun).order_by(EvaluationRun.id.desc())).first()
        assert (run.status, run.error) == ("failed", "a worker was lost")
    assert live_threads("write-behind", "adbc-fetch") == [] and multiprocessing.active_children() == []
    # the evaluation was closed, not left paused for as long as its error is kept (here: failure)
    assert gc.get_freeze_count() == 0 and failure.traceback
    monkeypatch.undo()
    run_evaluation(factory, SYSTEM, later)  # and the next run goes through
    flags, events = snapshot()
    assert len(flags) >= len(stored[0]) + 8 and events >= len(flags)
