"""A trail the app's own database rights cannot rewrite (issue 24 item 4, issue 21 item 4): the
chains are keyed with a key kept outside the database, ``audit verify`` replays every flag's and
user's trail against its row, keys rotate with a recorded key id, an existing store is brought
along by the upgrade, and anchors kept outside the store catch a trail cut short or rewritten
whole. Each test runs on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import stat

import pytest
from sqlalchemy import select, text

from engine.cli import main
from engine.ingest.loader import load_dataset
from engine.store import audit
from engine.store.access import add_user, set_active, update_user
from engine.store.data import import_dataset
from engine.store.db import session_factory, transaction
from engine.store.keys import AuditKeyError, audit_keys
from engine.store.review import act
from engine.store.runs import run_evaluation
from engine.store.schema import FlagEvent, FlagRow, UserEvent
from engine.store.scope import SYSTEM, Scope

AS_OF = dt.date(2024, 4, 20)
SUP = Scope("sup.a1", "supervisor", "A1")
UNREVIEWED = {"cases": [
    {"case_id": f"U{i}", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
     "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "มาตรา 1", "via_it_system": "true"}
    for i in range(4)]}

PASSWORD = "Udon-jasmine-ledger-2569"  # not the demo's published one, which only demo users may have


@pytest.fixture
def own_keys(tmp_path, monkeypatch):
    """An audit key file of the test's own (requested before ``db_url``: the store is sealed with it)."""
    path = tmp_path / "keys" / "audit-keys"
    monkeypatch.setenv("DISCRETION_AUDIT_KEY_FILE", str(path))
    return path


@pytest.fixture
def store(db_url, dataset_dir):
    """Four flags: one confirmed (corrective action, due date), one waived, one dismissed, one open;
    users added, one made agency head, one disabled."""
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(UNREVIEWED)), "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF, jobs=1)
    flags = _flag_ids(db_url)
    decisions = [("confirm", {"corrective_action": "อบรมเจ้าหน้าที่", "due_date": dt.date(2099, 1, 31)}),
                 ("waive", {"reason": "รอระบบใหม่", "approver": "นายอำเภอ", "expires_on": dt.date(2099, 6, 30)}),
                 ("dismiss", {"reason": "ตรวจแล้ว"})]
    for fid, (action, fields) in zip(flags, decisions):
        with transaction(db_url) as s:
            act(s, SUP, fid, action, **fields)
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "admin.a", PASSWORD, "admin", None)
        add_user(s, SYSTEM, "sup.a1", PASSWORD, "supervisor", "A1")
        add_user(s, SYSTEM, "head.a1", PASSWORD, "supervisor", "A1")
        add_user(s, SYSTEM, "gone.a1", PASSWORD, "supervisor", "A1")
    with transaction(db_url) as s:
        update_user(s, SYSTEM, "head.a1", role="agency_head")
        set_active(s, SYSTEM, "gone.a1", False)
    return db_url


def _flag_ids(url: str) -> list[str]:
    with transaction(url) as s:
        return sorted(s.scalars(select(FlagRow.flag_id).where(FlagRow.subject_id.like("U%"))))


def _verify(url: str, capsys, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["audit", "verify", "--db", url, *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def _lines(report: str, start: str) -> list[str]:
    return [line.strip() for line in report.splitlines() if line.strip().startswith(start)]


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


def _owner_rights(s, table: str) -> None:
    """Switch a trail's row triggers off (what the tables' owner can do, and the app's role cannot:
    test_app_role_on_postgresql)."""
    if _is_postgres(str(s.bind.url)):
        s.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    else:
        s.execute(text(f"DROP TRIGGER {table}_no_update"))
        s.execute(text(f"DROP TRIGGER {table}_no_delete"))


def _forge_event(s, flag_id: str, action: str, to_status: str, key: bytes | None, key_id: int | None) -> None:
    """Append a flag event by SQL, with a correct link to the chain's head: its hash a SHA-256 (as
    the chain hashed before keys) or, with ``key``, the HMAC under it."""
    last = s.execute(select(FlagEvent.row_hash, FlagEvent.to_status).where(FlagEvent.flag_id == flag_id)
                     .order_by(FlagEvent.id.desc()).limit(1)).one()
    prev = s.scalar(select(FlagEvent.row_hash).order_by(FlagEvent.id.desc()).limit(1))
    content = {"flag_id": flag_id, "at": dt.datetime(2024, 4, 21, 9), "actor": "sup.a1", "action": action,
               "from_status": last.to_status, "to_status": to_status, "reason": "ไม่ต้องดำเนินการ",
               "details": None, "run_id": None}
    data = f"{prev}\n{audit.canonical('flag_events', content)}".encode()
    digest = hmac.digest(key, data, "sha256").hex() if key else hashlib.sha256(data).hexdigest()
    row = {**content, "prev_hash": prev, "row_hash": digest}
    if key_id is not None:
        row["key_id"] = key_id
    s.execute(FlagEvent.__table__.insert(), [row])
    s.execute(text("UPDATE flags SET status = :st, version = version + 1 WHERE flag_id = :f"),
              {"st": to_status, "f": flag_id})


@pytest.mark.parametrize("claimed_key", [None, "current id"])
def test_an_event_inserted_by_sql_with_a_correct_sha256_link_is_found(store, capsys, claimed_key):
    """Today's hash has no key: whoever can INSERT appends an event with a correct hash and moves
    the flag, and verify passed. Keyed, it is found, whatever key id the row claims."""
    flag = _flag_ids(store)[3]  # the open one
    with transaction(store) as s:
        key_id = audit_keys().current[0] if claimed_key else None
        _forge_event(s, flag, "dismiss", "dismissed", None, key_id)
        forged = s.scalar(select(FlagEvent.id).order_by(FlagEvent.id.desc()).limit(1))
    code, report = _verify(store, capsys)
    assert code == 1
    [line] = _lines(report, f"flag_events event #{forged}:")
    if claimed_key:
        assert "its content no longer matches its hash" in line and "written without the key" in line
    else:
        assert "keyed with key id 0" in line and "sealed for key id 1 or later" in line and "ผู้เขียนไม่มีกุญแจ" in line


def test_a_flag_changed_by_sql_without_its_event_is_named_field_by_field(store, capsys):
    confirmed, waived, dismissed, open_ = _flag_ids(store)
    assert _verify(store, capsys)[0] == 0
    changes = {
        confirmed: ("corrective_action = 'ไม่มี', due_date = '2099-12-31'", ["corrective action", "due date"]),
        waived: ("waiver_approver = 'ใครก็ได้', waiver_expires_on = '2100-01-01'", ["waiver approver", "waiver expiry"]),
        dismissed: ("status = 'open'", ["status is 'open' but its events say 'dismissed'"]),
        open_: ("version = version + 5", ["version is 6 but its events say 1"]),
    }
    with transaction(store) as s:
        for flag_id, (sets, _) in changes.items():
            s.execute(text(f"UPDATE flags SET {sets} WHERE flag_id = :f"), {"f": flag_id})
    code, report = _verify(store, capsys)
    assert code == 1
    for flag_id, (_, said) in changes.items():
        [line] = _lines(report, f"flags {flag_id}:")
        assert "ข้อสังเกตถูกแก้ไขโดยไม่มีเหตุการณ์ในประวัติ" in line and "was changed without an event in its trail" in line
        assert all(words in line for words in said), line
    assert "flags 4" in report  # every flag compared
    with transaction(store) as s:  # a flag added by SQL, without its created event
        s.execute(text("INSERT INTO flags (flag_id, rule_id, measure, severity, subject_type, subject_id, agency_id, "
                       "status, message_th, message_en, evidence, evidence_key, as_of, first_run_id, last_run_id, "
                       "created_at, updated_at, version) SELECT 'FFORGED', rule_id, measure, severity, subject_type, "
                       "'X', agency_id, status, message_th, message_en, evidence, evidence_key, as_of, first_run_id, "
                       "last_run_id, created_at, updated_at, 1 FROM flags WHERE flag_id = :f"), {"f": open_})
    code, report = _verify(store, capsys)
    [line] = _lines(report, "flags FFORGED:")
    assert code == 1 and "no event in its trail" in line


def test_a_users_role_agency_or_active_flag_changed_by_sql_is_named(store, capsys):
    with transaction(store) as s:  # what an administrator does is in the trail: as its events say
        update_user(s, SYSTEM, "head.a1", role="supervisor")
        update_user(s, SYSTEM, "head.a1", role="agency_head")
        set_active(s, SYSTEM, "gone.a1", True)
        set_active(s, SYSTEM, "gone.a1", False)
    code, report = _verify(store, capsys)
    assert code == 0 and "users 4" in report, report
    with transaction(store) as s:
        s.execute(text("UPDATE users SET role = 'admin', agency_id = NULL WHERE username = 'sup.a1'"))
        s.execute(text("UPDATE users SET agency_id = 'A2' WHERE username = 'head.a1'"))
        s.execute(text("UPDATE users SET active = :t WHERE username = 'gone.a1'"), {"t": True})
        s.execute(text("INSERT INTO users (username, display_name, password_hash, role, agency_id, active, "
                       "created_at) SELECT 'mallory', 'M', password_hash, 'admin', NULL, active, created_at "
                       "FROM users WHERE username = 'admin.a'"))
    code, report = _verify(store, capsys)
    assert code == 1
    [sup] = _lines(report, "users sup.a1:")
    assert "role is 'admin' but its events say 'supervisor'" in sup and "agency is (none) but its events say 'A1'" in sup
    assert "บทบาท ในตารางคือ 'admin' แต่ประวัติบอกว่า 'supervisor'" in sup
    [head] = _lines(report, "users head.a1:")
    assert "agency is 'A2' but its events say 'A1'" in head and "role" not in head.split("/ ")[1]
    [gone] = _lines(report, "users gone.a1:")
    assert "active is True but its events say False" in gone
    [mallory] = _lines(report, "users mallory:")
    assert "the account was added without the trail" in mallory
    assert len(_lines(report, "users ")) == 4  # admin.a, as its events say, is not named


def test_a_severity_change_by_a_run_is_an_event_and_every_version_replays(db_url, dataset_dir, capsys):
    """1.2-process-without-manual turns high once a discretionary decision is made in the process:
    a run moves the flag's version then (its facts are the same), and wrote no event for it."""
    later = {"processes": [{"process_id": "M9", "agency_id": "A1", "name": "ไม่มีคู่มือ", "discretionary": "true",
                            "public_service": "false", "it_system": "ระบบ"}],
             "cases": [{"case_id": "K9", "process_id": "M9", "officer_id": "OFF1", "received_on": "2024-04-01",
                        "decided_on": "2024-04-22", "discretion_used": "true", "legal_basis": "มาตรา 1",
                        "via_it_system": "true", "reviewed_by": "SUP", "reviewed_on": "2024-04-22"}]}
    with transaction(db_url) as s:
        import_dataset(s, SYSTEM, load_dataset(dataset_dir(later)), "fixture")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF, jobs=1)
    with transaction(db_url) as s:
        flag = s.scalars(select(FlagRow).where(FlagRow.rule_id == "1.2-process-without-manual",
                                               FlagRow.subject_id == "M9")).one()
        assert (flag.severity, flag.version) == ("medium", 1)
        act(s, SUP, flag.flag_id, "request_info", reason="มีคู่มือฉบับร่างหรือไม่")
    run_evaluation(session_factory(db_url), SYSTEM, AS_OF + dt.timedelta(days=3), jobs=1)
    with transaction(db_url) as s:
        flag = s.get(FlagRow, flag.flag_id)
        events = s.scalars(select(FlagEvent).where(FlagEvent.flag_id == flag.flag_id).order_by(FlagEvent.id)).all()
        assert (flag.severity, flag.status, flag.version) == ("high", "needs_info", 3)
        assert [(e.action, e.from_status, e.to_status) for e in events] == [
            ("created", None, "open"), ("request_info", "open", "needs_info"),
            ("severity_changed", "needs_info", "needs_info")]
        assert events[-1].details == {"before": "medium", "after": "high"} and events[-1].actor == "system"
    code, report = _verify(db_url, capsys)
    assert code == 0, report


def test_a_rotated_key_still_verifies_older_events_and_the_older_key_cannot_write_again(own_keys, store, capsys):
    confirmed, waived, dismissed, open_ = _flag_ids(store)
    first = audit_keys().keys[1]
    capsys.readouterr()
    assert main(["audit", "rotate-key", "--db", store]) == 0
    assert "audit key id 2 keys every event from now on" in capsys.readouterr().out
    assert stat.S_IMODE(os.stat(own_keys).st_mode) == 0o600 and audit_keys().keys[1] == first  # kept, whole
    with transaction(store) as s:
        act(s, SUP, open_, "request_info", reason="ขอเอกสาร")
    with transaction(store) as s:
        ids = dict(s.execute(select(FlagEvent.key_id, FlagEvent.id).order_by(FlagEvent.id)).all())
        assert set(ids) == {1, 2}  # events before the rotation under key 1, the new one under key 2
    code, report = _verify(store, capsys)
    assert code == 0 and "key ids 1, 2" in report, report
    with transaction(store) as s:  # someone who kept the first key appends with it
        _forge_event(s, dismissed, "reopen", "open", first, 1)
        forged = s.scalar(select(FlagEvent.id).order_by(FlagEvent.id.desc()).limit(1))
    code, report = _verify(store, capsys)
    [line] = _lines(report, f"flag_events event #{forged}:")
    assert code == 1 and "keyed with key id 1 (an older key) after the trail was sealed for key id 2" in line


def test_a_key_file_that_is_not_the_stores_refuses_to_write(own_keys, store, tmp_path, monkeypatch):
    flag = _flag_ids(store)[3]
    monkeypatch.setenv("DISCRETION_AUDIT_KEY_FILE", str(tmp_path / "elsewhere" / "audit-keys"))  # made anew
    with pytest.raises(AuditKeyError, match="is not the key this store was sealed with"):
        with transaction(store) as s:
            act(s, SUP, flag, "dismiss", reason="ตรวจแล้ว")
    own_keys.with_name("old-copy").write_text(own_keys.read_text())
    monkeypatch.setenv("DISCRETION_AUDIT_KEY_FILE", str(own_keys))
    assert main(["audit", "rotate-key", "--db", store]) == 0
    monkeypatch.setenv("DISCRETION_AUDIT_KEY_FILE", str(own_keys.with_name("old-copy")))  # a backup from before
    with pytest.raises(AuditKeyError, match="holds keys up to id 1, but the store was sealed with key id 2"):
        with transaction(store) as s:
            act(s, SUP, flag, "dismiss", reason="ตรวจแล้ว")
    with transaction(store) as s:
        assert s.get(FlagRow, flag).status == "open"  # nothing was written


def test_an_existing_store_is_brought_along_and_its_older_events_stay_verifiable(store, capsys):
    """A store from before keys (0016): its events keep their SHA-256 hashes (key id 0); a flag
    version a run moved without an event and an account made without one are recorded once; from
    the upgrade on, an unkeyed event is refused and rewriting an older one breaks the seal."""
    from alembic import command

    from engine.store.migrate import alembic_config

    confirmed, waived, dismissed, open_ = _flag_ids(store)
    command.downgrade(alembic_config(store), "0016")
    with transaction(store) as s:  # what releases before keys did, or left
        old = s.execute(text("SELECT count(*), max(id) FROM flag_events")).one()
        s.execute(text("UPDATE flags SET version = version + 1 WHERE flag_id = :f"), {"f": open_})  # severity moved
        s.execute(text("INSERT INTO users (username, display_name, password_hash, role, agency_id, active, "
                       "created_at) SELECT 'early', 'E', password_hash, 'supervisor', 'A1', active, created_at "
                       "FROM users WHERE username = 'admin.a'"))  # an account from before user events
    command.upgrade(alembic_config(store), "head")
    code, report = _verify(store, capsys)
    assert code == 0 and "key ids 0, 1" in report, report
    with transaction(store) as s:
        keyed = dict(s.execute(select(FlagEvent.id, FlagEvent.key_id)).all())
        assert [keyed[i] for i in sorted(keyed) if i <= old[1]] == [0] * old[0]  # kept as they were
        recorded = s.scalars(select(FlagEvent).where(FlagEvent.action == "state_recorded")).all()
        assert [(e.flag_id, e.details["version"], e.details["differed"], e.key_id) for e in recorded] == [
            (open_, 2, ["version"], 1)]
        [user] = s.scalars(select(UserEvent).where(UserEvent.action == "state_recorded")).all()
        assert (user.username, user.details["role"], user.details["differed"]) == ("early", "supervisor", ["events"])
    with transaction(store) as s:  # after the upgrade, an event hashed the old way is refused
        _forge_event(s, confirmed, "resolve", "resolved", None, None)
        forged = s.scalar(select(FlagEvent.id).order_by(FlagEvent.id.desc()).limit(1))
    code, report = _verify(store, capsys)
    assert code == 1 and "keyed with key id 0" in _lines(report, f"flag_events event #{forged}:")[0]
    with transaction(store) as s:  # the tables' owner takes it out again: all as it was
        _owner_rights(s, "flag_events")
        s.execute(text(f"DELETE FROM flag_events WHERE id = {forged}"))
        s.execute(text("UPDATE flags SET status = 'confirmed', version = version - 1 WHERE flag_id = :f"),
                  {"f": confirmed})
    assert _verify(store, capsys)[0] == 0
    with transaction(store) as s:  # an older event rewritten, and the unkeyed chain hashed again up to the seal
        first = s.scalar(text("SELECT min(id) FROM flag_events WHERE reason IS NOT NULL"))
        s.execute(text(f"UPDATE flag_events SET reason = 'แก้ไข' WHERE id = {first}"))
        prev = audit.GENESIS
        for row_id, _, _, key_id, content in list(audit.chain_rows(s, "flag_events", with_key=True)):
            if key_id:
                break
            digest = audit.row_hash(prev, "flag_events", content)
            s.execute(text("UPDATE flag_events SET prev_hash = :p, row_hash = :h WHERE id = :i"),
                      {"p": prev, "h": digest, "i": row_id})
            prev = digest
    code, report = _verify(store, capsys)
    [line] = _lines(report, f"flag_events event #{old[1]}:")
    assert code == 1 and "no longer passes through its seal" in line


def _rehash_from(s, first: int) -> None:
    """Every flag event from ``first`` on hashed again under its own key: what someone who holds
    the key file and the tables' owner rights can do."""
    keys = audit_keys()
    prev = s.scalar(text(f"SELECT prev_hash FROM flag_events WHERE id = {first}"))
    for row_id, _, _, key_id, content in list(audit.chain_rows(s, "flag_events", with_key=True)):
        if row_id < first:
            continue
        digest = audit.row_hash(prev, "flag_events", content, keys.get(key_id) if key_id else None)
        s.execute(text("UPDATE flag_events SET prev_hash = :p, row_hash = :h WHERE id = :i"),
                  {"p": prev, "h": digest, "i": row_id})
        prev = digest


def test_anchors_find_a_trail_cut_short_or_rewritten_whole(store, tmp_path, capsys, monkeypatch):
    confirmed, waived, dismissed, open_ = _flag_ids(store)
    early, late = tmp_path / "province" / "early.jsonl", tmp_path / "province" / "late.jsonl"
    capsys.readouterr()
    assert main(["audit", "anchor", "--db", store, "--file", str(early)]) == 0
    lines = [json.loads(x) for x in early.read_text().splitlines()]
    assert [a["chain"] for a in lines] == list(audit.CHAINED) and lines[0]["chain"] == "flag_events"
    anchored = lines[0]["last_id"]
    with transaction(store) as s:
        assert (anchored, lines[0]["key_id"]) == s.execute(select(FlagEvent.id, FlagEvent.key_id)
                                                            .order_by(FlagEvent.id.desc()).limit(1)).one()
    capsys.readouterr()
    assert main(["audit", "anchor", "--db", store]) == 0  # printed, for the province to keep
    assert [json.loads(x) for x in capsys.readouterr().out.splitlines()][0]["row_hash"] == lines[0]["row_hash"]
    monkeypatch.setenv("DISCRETION_AUDIT_ANCHORS", str(late))  # every run appends its own
    run_evaluation(session_factory(store), SYSTEM, AS_OF, jobs=1)
    assert len(late.read_text().splitlines()) == len(audit.CHAINED)
    with transaction(store) as s:
        act(s, SUP, open_, "dismiss", reason="ตรวจแล้ว")
        decision = s.scalar(select(FlagEvent.id).order_by(FlagEvent.id.desc()).limit(1))
    assert main(["audit", "anchor", "--db", store]) == 0  # to DISCRETION_AUDIT_ANCHORS
    code, report = _verify(store, capsys, "--anchors", str(late))
    assert code == 0 and f"extends the {2 * len(audit.CHAINED)} anchors" in report, report
    # cut short: the last decision and its event removed, the flag put back as it was
    with transaction(store) as s:
        _owner_rights(s, "flag_events")
        s.execute(text(f"DELETE FROM flag_events WHERE id = {decision}"))
        s.execute(text("UPDATE flags SET status = 'open', version = version - 1 WHERE flag_id = :f"), {"f": open_})
    assert _verify(store, capsys)[0] == 0  # the chain and the rows agree: only an anchor can tell
    code, report = _verify(store, capsys, "--anchors", str(late))
    [line] = _lines(report, f"flag_events event #{decision}:")
    assert code == 1 and f"the event anchored at line {len(audit.CHAINED) + 1} " in line and "is gone" in line
    assert _verify(store, capsys, "--anchors", str(early))[0] == 0
    # rewritten whole by someone who holds the key too: the chain verifies, the early anchor does not
    with transaction(store) as s:
        s.execute(text(f"UPDATE flag_events SET reason = 'ไม่มีอะไรผิด' WHERE id = {anchored}"))
        _rehash_from(s, anchored)
    assert _verify(store, capsys)[0] == 0
    code, report = _verify(store, capsys, "--anchors", str(early))
    [line] = _lines(report, f"flag_events event #{anchored}:")
    assert code == 1 and "no longer extends its anchor (line 1," in line and "was rewritten" in line


def test_an_anchors_file_that_is_not_one_is_refused_naming_its_line(store, tmp_path, capsys):
    bad = tmp_path / "anchors.jsonl"
    bad.write_text('{"at": "x", "chain": "flag_events", "last_id": 1, "row_hash": "' + "0" * 64 + '", "key_id": 1}\n'
                   "not json\n")
    capsys.readouterr()
    assert main(["audit", "verify", "--db", store, "--anchors", str(bad)]) == 2
    assert "line 2: not an anchor" in capsys.readouterr().err


def test_the_audit_key_file_is_made_whole_and_private_and_a_bad_one_is_refused(own_keys, db_url):
    assert stat.S_IMODE(os.stat(own_keys).st_mode) == 0o600
    keys = audit_keys()
    assert list(keys.keys) == [1] and len(keys.keys[1]) >= 32
    assert not [p for p in own_keys.parent.iterdir() if p.name.endswith(".part")]
    own_keys.write_text(own_keys.read_text() + "2 short\n")
    with pytest.raises(AuditKeyError, match="line 5: key 2 is 5 bytes; at least 32"):
        audit_keys()
    own_keys.write_text(own_keys.read_text().replace("2 short", "x " + "k" * 40))
    with pytest.raises(AuditKeyError, match=r'line 5: expected "<id> <key>"') as err:
        audit_keys()
    assert "kkkk" not in str(err.value)  # a key is never shown


def test_the_new_events_read_in_thai_in_a_flags_history():
    """A severity a run changed, and the state the upgrade recorded, as the flag's page words them
    (the page is Thai: no English word on it)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "ui"))
    import present

    assert present.history_sentence({"action": "severity_changed",
                                     "details": {"before": "medium", "after": "high"}}) == "เดิม ปานกลาง; ใหม่ สูง"
    recorded = present.history_sentence({"action": "state_recorded", "details": {
        "status": "confirmed", "version": 3, "corrective_action": "อบรมเจ้าหน้าที่", "due_date": "2026-01-31",
        "waiver_approver": None, "waiver_expires_on": None, "differed": ["version"]}})
    assert recorded == ("สถานะ ยืนยันว่าไม่เป็นไปตามหลักเกณฑ์; เลขรุ่น 3; การแก้ไข อบรมเจ้าหน้าที่; กำหนดแล้วเสร็จ "
                        "31 ม.ค. 2569; ที่ประวัติเดิมไม่ได้บอก: เลขรุ่น")
