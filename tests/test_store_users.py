"""User administration, login throttling and scope discipline of the store (issue 8, items 11
and 14, and the user administration API)."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import os
import pkgutil
import stat
import threading

import pytest
from sqlalchemy import func, select

import engine.store
from engine.cli import main
from engine.domain.errors import UsageError
from engine.store.access import (
    MAX_FAILURES,
    TooManyAttempts,
    add_user,
    authenticate,
    list_users,
    name_hash,
    reset_password,
    scope_of,
    set_active,
    update_user,
    user_events,
)
from engine.store.db import transaction
from engine.store.schema import LoginAttempt, User
from engine.store.scope import SYSTEM, PermissionDenied, Scope

STRONG, STRONGER = "korat-mango-lantern-2569", "ขอนแก่น-ทบทวน-บึงแก่นนคร"
ADMIN = Scope("root", "admin", None)


def test_only_an_admin_manages_users_and_every_change_is_recorded(db_url):
    head = Scope("head", "agency_head", "kk-land")
    with transaction(db_url) as s:
        for call in (lambda: add_user(s, head, "x", STRONG, "supervisor", "kk-land"),
                     lambda: set_active(s, head, "x", False), lambda: reset_password(s, head, "x", STRONG),
                     lambda: update_user(s, head, "x", role="admin"), lambda: list_users(s, head)):
            with pytest.raises(PermissionDenied, match="may not manage users"):
                call()
    with transaction(db_url) as s:
        add_user(s, ADMIN, "somchai", STRONG, "supervisor", "kk-land", "สมชาย ใจดี")
        add_user(s, ADMIN, "malee", STRONG, "provincial", "kk-land")  # a provincial officer has no agency
        assert [(u.username, u.agency_id) for u in list_users(s, ADMIN)] == [("malee", None), ("somchai", "kk-land")]
    t0 = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(seconds=1)
    with transaction(db_url) as s:
        update_user(s, ADMIN, "somchai", display_name="สมชาย")
        assert s.scalar(select(User.sessions_valid_after).where(User.username == "somchai")) is None
        assert scope_of(s, "somchai", logged_in_at=t0) == Scope("somchai", "supervisor", "kk-land")
        update_user(s, ADMIN, "somchai", role="agency_head")
    with transaction(db_url) as s:
        with pytest.raises(PermissionDenied, match="has ended; log in again"):
            scope_of(s, "somchai", logged_in_at=t0)  # the app's session from before the change
        reset_password(s, ADMIN, "somchai", STRONGER)
        set_active(s, ADMIN, "somchai", False)
        with pytest.raises(UsageError, match="no agency 'nowhere'"):
            update_user(s, ADMIN, "malee", role="supervisor", agency_id="nowhere")
    with transaction(db_url) as s:
        assert authenticate(s, "somchai", STRONGER) is None  # disabled
        events = [(e.actor, e.action, e.username, e.details) for e in reversed(user_events(s, ADMIN))]
    assert events == [
        ("root", "added", "somchai", {"role": "supervisor", "agency_id": "kk-land", "display_name": "สมชาย ใจดี"}),
        ("root", "added", "malee", {"role": "provincial", "agency_id": None, "display_name": "malee"}),
        ("root", "updated", "somchai", {"display_name": ["สมชาย ใจดี", "สมชาย"]}),
        ("root", "updated", "somchai", {"role": ["supervisor", "agency_head"]}),
        ("root", "password_reset", "somchai", None),
        ("root", "disabled", "somchai", None)]
    assert STRONGER not in str(events)
    assert main(["audit", "verify", "--db", db_url]) == 0  # user_events are chained like the others


def test_weak_passwords_long_names_and_unknown_agencies_are_refused(db_url, capsys):
    with transaction(db_url) as s:
        for weak in ("password1", "khonkaen2567", "somchai123", "Password123!"):
            with pytest.raises(UsageError, match="(?s)เดาได้ง่ายเกินไป.*too easy to guess"):
                add_user(s, SYSTEM, "somchai", weak, "supervisor", "kk-land")
        with pytest.raises(UsageError, match="no agency 'kk-nowhere' in the store or in kb/agencies.yaml"):
            add_user(s, SYSTEM, "somchai", STRONG, "supervisor", "kk-nowhere")
        with pytest.raises(UsageError, match="a user name has 3–64 characters"):
            add_user(s, SYSTEM, "ส" * 65, STRONG, "supervisor", "kk-land")
        assert s.scalar(select(func.count()).select_from(User)) == 0
    assert main(["users", "--db", db_url, "add", "x" * 65, "--role", "admin", "--password", STRONG]) == 2
    assert "a user name has 3–64 characters" in capsys.readouterr().err
    assert main(["users", "--db", db_url, "add", "som", "--role", "supervisor", "--agency", "nowhere",
                 "--password", STRONG]) == 2
    assert main(["users", "--db", db_url, "add", "som", "--role", "supervisor", "--agency", "kk-land",
                 "--password", "12345678"]) == 2
    assert "too easy to guess" in capsys.readouterr().err
    with transaction(db_url) as s:  # a name too long to exist is refused at login without a database error
        for _ in range(MAX_FAILURES + 1):
            assert authenticate(s, "x" * 200, "guess") is None
        assert s.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_ten_parallel_guesses_get_at_most_five_password_checks(db_url):
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "somchai", STRONG, "supervisor", "kk-land")
    start, outcomes = threading.Barrier(10), []

    def guess(i: int) -> None:
        start.wait()
        try:
            with transaction(db_url) as s:
                outcomes.append(authenticate(s, "somchai", f"guess {i}"))
        except TooManyAttempts:
            outcomes.append("locked")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with transaction(db_url) as s:
        checked = s.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.name_hash == name_hash("somchai")))
    assert checked == MAX_FAILURES and outcomes.count("locked") == 10 - MAX_FAILURES and outcomes.count(None) == 5


# Public functions of engine/store that touch stored data without the caller's scope, and why.
NO_SCOPE = {
    "access.authenticate": "the login itself: there is no scope before it",
    "access.scope_of": "turns a logged-in name into its scope",
    "anchors.after_run": "upkeep after a run (run_evaluation checked its caller first): the trails' heads, as SYSTEM",
    "adbc.read_batches": "the bulk reader under data.consistent_all (run_evaluation checked its caller first)",
    "adbc.read_tables": "the bulk reader under data.consistent_snapshot, which checks its caller's scope",
    "adbc.query_all": "the bulk reader's statements under data.read_all (its callers checked their scope first)",
    "audit.append": "the trail writer, called by scoped functions after their own checks",
    "audit.chain_rows": "rows for verify (scoped) and the migration",
    "audit.rehash_all": "the migration that adds the hashes",
    "data.consistent_all": "the whole store for run_evaluation, which checked its caller's scope first",
    "data.load_all": "the reading under data.consistent_all (run_evaluation checked its caller first)",
    "data.read_all": "the reading under data.consistent_snapshot and load_all, whose callers checked their scope",
    "data.read_rows": "one table's rows for data.read_all and intake.post_records (which checked its caller first)",
    "intake.cases_alone": "which of a post's cases to evaluate alone, inside post_records after its scope check",
    "db.begin_read": "a transaction's isolation, no data",
    "db.begin_write": "a lock, no data",
    "bulk.bulk_insert": "the bulk writer (COPY) under import, run and audit.append, after their own checks",
    "bulk.bulk_update": "the bulk updater under run_evaluation, which checked its caller's scope first",
    "bulk.refresh_statistics": "the planner's statistics after a run: reads and returns no data",
    "bulk.use_copy": "whether the bulk writer may COPY these rows (the database's kind, the rows' columns): no data",
    "review.expire_waivers": "time-triggered upkeep by the system, not a person's read or write",
    "roles.grant": "the schema owner's grants to the app's database role: rights, no data",
    "roles.granted": "which database roles hold the app's rights: no data",
    "roles.statements": "the SQL of roles.grant: no data",
    "migrate.newer_store_error": "the schema's version and the release that made it: no data",
    "migrate.store_revision": "the schema's version: no data",
    "sync.sync_flags": "the run's flag sync inside run_evaluation, which checked its caller's scope first",
    "runs.reap_stale_runs": "upkeep at the start of run_evaluation (which checked its caller first): marks dead runs failed",
    "runs.posted_since": "which agencies changed after a run's snapshot (agency ids only), asked by run_evaluation "
                          "after its own check",
    "tokens.authenticate": "the intake API's login: there is no scope before it",
    "tokens.record_use": "the trail writer of the API's uses, refused ones included (no scope before a token is known)",
}
TOUCHES_DATA = {"session", "session_factory", "conn", "ds"}


def test_every_public_store_function_that_touches_data_takes_the_callers_scope():
    missing, allowed_seen = [], set()
    for info in pkgutil.iter_modules(engine.store.__path__):
        module = importlib.import_module(f"engine.store.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            params = set(inspect.signature(fn).parameters)
            key = f"{info.name}.{name}"
            if params & TOUCHES_DATA and "scope" not in params:
                if key in NO_SCOPE:
                    allowed_seen.add(key)
                else:
                    missing.append(key)
    assert missing == []
    assert allowed_seen == set(NO_SCOPE)  # the allow-list names no function that has gone


def test_check_output_file_gets_the_usual_permissions(dataset_dir, tmp_path):
    out = tmp_path / "flags.jsonl"
    old = os.umask(0o022)
    try:
        main(["check", str(dataset_dir()), "--output", str(out), "--as-of", "2024-04-20", "--jobs", "1"])
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
