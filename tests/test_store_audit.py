"""The audit trails cannot be rewritten around the triggers, and what is rewritten anyway
(by someone who drops the triggers) is found by ``audit verify`` (issue 8, item 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from engine.cli import main
from engine.ingest.loader import load_dataset
from engine.store import assessment as sa
from engine.store import audit, replay
from engine.store.access import add_user
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.keys import audit_keys
from engine.store.review import act
from engine.store.runs import run_evaluation
from engine.store.schema import FlagEvent, FlagRow, LoginAttempt, UserEvent
from engine.store.scope import SYSTEM, Scope

AS_OF = dt.date(2024, 4, 20)
SUP = Scope("sup.a1", "supervisor", "A1")
UNREVIEWED = {"cases": [
    {"case_id": f"U{i}", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
     "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "มาตรา 1", "via_it_system": "true"}
    for i in range(3)]}
TABLES = ("flag_events", "assessment_events", "user_events", "login_attempts")


@pytest.fixture
def trail(db_url, dataset_dir):
    """Events in every audit table: a run, decisions, a user event, login attempts."""
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(UNREVIEWED)), "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF, jobs=1)
    with transaction(db_url) as s:
        ids = sorted(s.scalars(select(FlagRow.flag_id)))
    for fid, action in zip(ids, ("dismiss", "request_info", "dismiss")):
        with transaction(db_url) as s:
            act(s, SUP, fid, action, reason="ตรวจแล้ว")
    with transaction(db_url) as s:
        campaign = sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30))
        sa.assessment(s, Scope("head.a1", "agency_head", "A1"), campaign.id, "A1")
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "somchai", "Udon-jasmine-ledger-2569", "supervisor", "A1")
        s.add(LoginAttempt(username="somchai", at=dt.datetime(2024, 4, 20, 9), success=False))
    return db_url


def _dialect(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def test_replace_upsert_truncate_update_and_delete_are_refused_on_every_audit_table(trail):
    with transaction(trail) as s:
        first = {t: s.scalar(text(f"SELECT min(id) FROM {t}")) for t in TABLES}
    attempts = []
    for t in TABLES:
        attempts += [f"UPDATE {t} SET at = at", f"DELETE FROM {t} WHERE id = {first[t]}"]
        if _dialect(trail) == "sqlite":  # REPLACE deletes the old row without firing delete triggers
            attempts.append(f"INSERT OR REPLACE INTO {t} SELECT * FROM {t} WHERE id = {first[t]}")
            attempts.append(f"INSERT INTO {t} SELECT * FROM {t} WHERE id = {first[t]} "
                            "ON CONFLICT (id) DO UPDATE SET at = excluded.at")
        else:
            attempts.append(f"TRUNCATE {t}")
            attempts.append(f"INSERT INTO {t} SELECT * FROM {t} WHERE id = {first[t]} "
                            "ON CONFLICT (id) DO UPDATE SET at = excluded.at")
    for sql in attempts:
        with pytest.raises(Exception, match="append-only"):
            with transaction(trail) as s:
                s.execute(text(sql))
    assert main(["audit", "verify", "--db", trail]) == 0


def test_each_row_hashes_the_same_on_both_databases(trail):
    at = dt.datetime(2024, 4, 20, 9, 30, 15, 123456)
    content = {"at": at, "actor": "ผู้ดูแล", "action": "role_changed", "username": "somchai",
               "details": {"to": "agency_head", "from": "supervisor", "when": dt.date(2024, 4, 20), "n": 1.5}}
    with transaction(trail) as s:
        prev = s.scalar(select(UserEvent.row_hash).order_by(UserEvent.id.desc()).limit(1))
        audit.append(s, UserEvent, [content])
    with transaction(trail) as s:
        stored = s.scalars(select(UserEvent).order_by(UserEvent.id.desc()).limit(1)).one()
    assert stored.prev_hash == prev
    key_id, key = audit_keys().current
    assert stored.key_id == key_id >= 1  # keyed (migration 0017): an HMAC under the key kept outside the store
    assert stored.row_hash == audit.row_hash(prev, "user_events", content, key)  # computed before it was stored
    assert audit.canonical("user_events", content) == (
        '{"action":"role_changed","actor":"ผู้ดูแล","at":"2024-04-20T09:30:15.123456","details":{"from":'
        '"supervisor","n":1.5,"to":"agency_head","when":"2024-04-20"},"table":"user_events","username":"somchai"}')


def _drop_row_triggers(s, table: str) -> None:
    if s.bind.dialect.name == "postgresql":
        s.execute(text(f"DROP TRIGGER {table}_no_change ON {table}"))
    else:
        s.execute(text(f"DROP TRIGGER {table}_no_update"))
        s.execute(text(f"DROP TRIGGER {table}_no_delete"))


def test_verify_reports_ok_then_the_first_changed_or_removed_event(trail, capsys):
    assert main(["audit", "verify", "--db", trail]) == 0
    out = capsys.readouterr().out
    assert "audit trail OK" in out and "flag_events" in out and "user_events 1" in out
    with transaction(trail) as s:
        ids = list(s.scalars(select(FlagEvent.id).where(FlagEvent.action == "request_info")))
        _drop_row_triggers(s, "flag_events")  # someone with the database's owner rights
        s.execute(text(f"UPDATE flag_events SET reason = 'ไม่มีอะไร' WHERE id = {ids[0]}"))
    assert main(["audit", "verify", "--db", trail]) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if f"flag_events event #{ids[0]}: " in x)  # Thai, then English
    assert "its content no longer matches its hash" in line and "ไม่มีอะไร" in line
    with transaction(trail) as s:  # put it back, then remove an event instead
        s.execute(text(f"UPDATE flag_events SET reason = 'ตรวจแล้ว' WHERE id = {ids[0]}"))
    assert main(["audit", "verify", "--db", trail]) == 0
    capsys.readouterr()
    with transaction(trail) as s:
        s.execute(text(f"DELETE FROM flag_events WHERE id = {ids[0]}"))
        after = s.scalar(select(FlagEvent.id).where(FlagEvent.id > ids[0]).order_by(FlagEvent.id).limit(1))
    assert main(["audit", "verify", "--db", trail]) == 1
    line = next(x for x in capsys.readouterr().err.splitlines() if f"flag_events event #{after}: " in x)
    assert "prev_hash" in line and "is not the previous event's hash" in line


def test_the_migration_hashes_events_written_before_it(trail):
    from alembic import command

    from engine.store.migrate import alembic_config

    with transaction(trail) as s:
        before = {t: s.scalar(text(f"SELECT count(*) FROM {t}")) for t in ("flag_events", "assessment_events")}
    command.downgrade(alembic_config(trail), "0003")
    command.upgrade(alembic_config(trail), "head")
    with transaction(trail) as s:
        counts, broken = replay.verify(s, SYSTEM)
        assert s.scalar(select(FlagEvent.row_hash).order_by(FlagEvent.id).limit(1)) is not None
    assert broken == [] and counts["flag_events"] == before["flag_events"] > 0


@pytest.mark.parametrize("viewer", [Scope("p", "provincial", None), Scope("e", "ethics_committee", "A1")])
def test_a_read_only_user_opening_a_self_assessment_writes_nothing(db_url, dataset_dir, viewer):
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(UNREVIEWED)), "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF, jobs=1)
    with transaction(db_url) as s:
        campaign_id = sa.create_campaign(s, SYSTEM, 2567, dt.date(2024, 9, 30)).id

    def snapshot() -> dict[str, int]:
        with transaction(db_url) as s:
            return {t: s.scalar(text(f"SELECT count(*) FROM {t}"))
                    for t in ("assessments", "assessment_items", "assessment_events")}

    before = snapshot()
    with transaction(db_url) as s:
        a = sa.assessment(s, viewer, campaign_id, "A1")
        rows = sa.items(s, viewer, a)
        assert a.id is None and a.status == "not_started"
        assert [r.measure_id for r in rows][:3] == ["1.1", "1.2", "1.3"]
        assert {r.measure_id: r.proposed_status for r in rows}["1.1"] == "non_compliant"  # three unreviewed flags, high severity
        overview = {r["agency_id"]: r for r in sa.overview(s, viewer, campaign_id)}
        assert overview["A1"]["status"] == "not_started"
    assert snapshot() == before == {"assessments": 0, "assessment_items": 0, "assessment_events": 0}


def test_a_runs_flag_events_hash_as_each_alone_would():
    """append encodes the text around a flag id once per kind of event: the same text as
    canonical() for every row, whatever the id holds (quotes, Thai, the marker's own text)."""
    at = dt.datetime(2025, 6, 30, 8, 0, 0, 1)
    canon = audit.FlagEventCanon()
    ids = ["Fd166fde667b698a8007b", 'F"quoted"', "เรื่อง\\ที่ 1", audit.MARK, "", "F\u2028x", "F\tx\n", "รหัส๑", "\x7f"]
    rows = [{"flag_id": i, "at": at, "actor": actor, "action": action, "from_status": before, "to_status": after,
             "reason": reason, "details": details, "run_id": run}
            for i in ids
            for actor, action, before, after, reason, details, run in [
                ("system", "created", None, "open", None, None, 7),
                ("system", "cleared_by_data", "confirmed", "cleared_by_data", None, None, 8),
                ("หัวหน้า", "dismiss", "open", "dismissed", "ไม่ใช่ \"ดุลพินิจ\"", None, None),
                ("system", "evidence_changed", "open", "open", None, {"changed": ["x"], "before": {"x": 1}}, 7)]]
    for row in rows + rows:  # the second time from what it remembered
        assert canon(row) == audit.canonical("flag_events", row)
