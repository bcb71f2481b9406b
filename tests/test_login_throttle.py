"""Logins (issue 24 item 7): guessing is slowed by source, so nobody locks another person out;
a failed login's name is kept only as a keyed hash; a name no account can have never reaches a
query; the demo's published password is refused outside the demo."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select, text

from engine.domain.errors import UsageError
from engine.store.access import (
    DEMO_PASSWORD,
    MAX_FAILURES,
    MAX_NAME_FAILURES,
    MAX_SOURCE_FAILURES,
    TooManyAttempts,
    add_user,
    authenticate,
    name_hash,
    reset_password,
)
from engine.store.db import transaction
from engine.store.schema import LoginAttempt
from engine.store.scope import SYSTEM, Scope

STRONG = "korat-mango-lantern-2569"
T0 = dt.datetime(2024, 4, 20, 9, 0)
OFFICE, ATTACKER = "198.51.100.7", "203.0.113.9"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """Argon2 at its cheapest: these tests count attempts, not the cost of each."""
    from argon2 import PasswordHasher

    from engine.store import access

    monkeypatch.setattr(access, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def admin(db_url):
    with transaction(db_url) as s:
        add_user(s, SYSTEM, "admin", STRONG, "admin", None)
    return db_url


def attempt(url: str, name: str, password: str, source: str, minutes: float = 0) -> Scope | None | str:
    try:
        with transaction(url) as s:
            return authenticate(s, name, password, now=T0 + dt.timedelta(minutes=minutes), source=source)
    except TooManyAttempts:
        return "locked"


def test_five_wrong_guesses_lock_the_name_for_their_source_only(admin):
    for i in range(MAX_FAILURES):
        assert attempt(admin, "admin", f"guess {i}", ATTACKER, i) is None
    assert attempt(admin, "admin", STRONG, ATTACKER, 6) == "locked"  # right password or not
    assert attempt(admin, "admin", STRONG, OFFICE, 6) == Scope("admin", "admin", None)  # its owner is not locked out
    assert attempt(admin, "admin", STRONG, ATTACKER, 20) == Scope("admin", "admin", None)  # the window has passed


def test_one_source_guessing_many_names_is_stopped_whatever_the_names(admin):
    for i in range(MAX_SOURCE_FAILURES):  # never five times the same name
        assert attempt(admin, f"user{i // 2}", "guess", ATTACKER, i / 10) is None
    assert attempt(admin, "admin", STRONG, ATTACKER, 4) == "locked"
    assert attempt(admin, "admin", STRONG, OFFICE, 4) == Scope("admin", "admin", None)


def test_guessing_spread_over_many_sources_cannot_lock_the_owner_out_of_their_usual_source(admin):
    assert attempt(admin, "admin", STRONG, OFFICE, -60 * 24) is not None  # yesterday, at the office
    for i in range(MAX_NAME_FAILURES):  # one guess from each of many addresses
        assert attempt(admin, "admin", f"guess {i}", f"192.0.2.{i}", i / 10) is None
    assert attempt(admin, "admin", STRONG, "192.0.2.250", 3) == "locked"  # a new address: too many guesses of late
    assert attempt(admin, "admin", STRONG, OFFICE, 3) == Scope("admin", "admin", None)


def test_a_failed_login_keeps_no_name_only_its_keyed_hash(admin):
    typed = "Khonkaen-secret-2569"  # a password typed in the name box
    assert attempt(admin, typed, "", OFFICE) is None
    assert attempt(admin, "admin", "wrong", OFFICE) is None
    assert attempt(admin, "admin", STRONG, OFFICE) is not None
    with transaction(admin) as s:
        rows = [{c.name: getattr(r, c.name) for c in LoginAttempt.__table__.columns}
                for r in s.scalars(select(LoginAttempt).order_by(LoginAttempt.id))]
    assert typed not in repr(rows) and "'admin'" in repr(rows[2])
    assert [(r["username"], r["success"], r["source"]) for r in rows] == [
        (None, False, OFFICE), (None, False, OFFICE), ("admin", True, OFFICE)]
    assert rows[0]["name_hash"] == name_hash(typed) != hashlib.sha256(typed.encode()).hexdigest()
    assert rows[1]["name_hash"] == rows[2]["name_hash"] == name_hash("admin")


def test_a_login_name_no_account_can_have_is_refused_without_a_database_error(admin):
    for name in ("ad\x00min", "admin\x00", "ad\nmin", "x" * 200, "   "):
        for i in range(MAX_FAILURES + 1):
            assert attempt(admin, name, STRONG, ATTACKER, i) is None
    with transaction(admin) as s:
        assert s.scalar(select(LoginAttempt.id).limit(1)) is None  # nothing to check, nothing recorded


def test_the_demo_password_is_refused_outside_the_demo(db_url):
    with transaction(db_url) as s:
        for password in (DEMO_PASSWORD, "Demo-2562", "demo2562", "DEMO_2562!"):
            with pytest.raises(UsageError, match="(?s)รหัสผ่านของระบบสาธิต.*demo's published password|too easy"):
                add_user(s, SYSTEM, "boss", password, "admin", None)
        add_user(s, SYSTEM, "admin", DEMO_PASSWORD, "admin", None, demo=True)  # demo-setup's own users
        with pytest.raises(UsageError, match="demo's published password"):
            reset_password(s, SYSTEM, "admin", DEMO_PASSWORD)


def test_the_command_line_refuses_the_demo_password_for_an_administrator(db_url, capsys):
    from engine.cli import main

    assert main(["users", "--db", db_url, "add", "root", "--role", "admin", "--password", DEMO_PASSWORD]) == 2
    assert "demo's published password" in capsys.readouterr().err


def test_migration_0016_replaces_the_names_of_stored_failures_by_their_keyed_hash(db_url):
    from alembic import command

    from engine.store.db import make_engine
    from engine.store.migrate import alembic_config

    command.downgrade(alembic_config(db_url), "0010")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO login_attempts (username, at, success) VALUES "
                          "('my-password-typed-here', :t, :f), ('admin', :t, :f), ('admin', :t, :s)"),
                     {"t": T0, "f": False, "s": True})
    command.upgrade(alembic_config(db_url), "head")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT username, success, name_hash FROM login_attempts ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(None, False, name_hash("my-password-typed-here")),
                                        (None, False, name_hash("admin")), ("admin", True, name_hash("admin"))]
    with pytest.raises(Exception, match="append-only"):  # the table's triggers are back
        with engine.begin() as conn:
            conn.execute(text("UPDATE login_attempts SET username = 'x'"))
    engine.dispose()


def test_the_app_counts_failed_logins_by_the_clients_address(tmp_path, monkeypatch):
    """Five wrong passwords typed from one address lock the name there; its owner, at another
    address, still logs in (the app passes ``auth.client_source()`` to the store)."""
    import sys
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    ui = Path(__file__).resolve().parents[1] / "ui"
    sys.path.insert(0, str(ui))
    import auth

    from engine.store.migrate import upgrade

    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    with transaction(url) as s:
        add_user(s, SYSTEM, "admin", STRONG, "admin", None)
    monkeypatch.setenv("DISCRETION_DB_URL", url)

    def log_in(address: str, password: str) -> AppTest:
        monkeypatch.setattr(auth, "client_source", lambda: address)
        at = AppTest.from_file(str(ui / "app.py"), default_timeout=60).run()
        at.text_input(key="login.username").input("admin")
        at.text_input(key="login.password").input(password)
        at.button[0].click().run()
        assert not at.exception
        return at

    for i in range(MAX_FAILURES):
        assert log_in(ATTACKER, f"wrong-{i}").error[0].value == "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง หรือบัญชีถูกระงับ"
    assert log_in(ATTACKER, STRONG).error[0].value == "เข้าสู่ระบบผิดหลายครั้งเกินไป กรุณาลองใหม่ในอีก 15 นาที"
    assert log_in(OFFICE, STRONG).session_state["auth.user"] == ("admin", "admin", None)
    with transaction(url) as s:
        assert set(s.scalars(select(LoginAttempt.source))) == {ATTACKER, OFFICE}
