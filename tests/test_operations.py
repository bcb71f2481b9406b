"""Running it as an operator does (issue 21, items 3, 5, 6 and 7): health and exit codes, a
missing or unreachable store, passwords never printed, users managed from the command line,
JSON log lines, and ``app`` handing its process to Streamlit."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import pg_base_url, crash_evaluation_on, scratch_pg_database
from sqlalchemy import create_engine, select, text

from engine.cli import main
from engine.store.db import transaction
from engine.store.schema import User

AS_OF = "2024-04-20"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))  # the app's own modules (appdata)
STRONG = "Kh0n-Kaen-ledger-2569!"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once it is closed


def _with_admin(url: str) -> None:
    assert main(["users", "add", "admin", "--role", "admin", "--password", STRONG, "--db", url]) == 0


# --- health, and a store that is not there ---------------------------------------------------

def test_health_is_0_at_this_releases_schema_and_6_with_db_upgrade_named_when_older(db_url, capsys):
    from alembic import command

    from engine.store.migrate import alembic_config

    assert main(["health", "--db", db_url]) == 0
    assert "ok:" in capsys.readouterr().out
    command.downgrade(alembic_config(db_url), "0010")
    assert main(["health", "--db", db_url]) == 6
    err = capsys.readouterr().err
    assert "the store is at schema 0010; this release needs" in err and "discretion-review db upgrade" in err
    assert "ฐานข้อมูลยังเป็นโครงสร้างรุ่น 0010" in err
    assert main(["db", "upgrade", "--db", db_url]) == 0 and main(["health", "--db", db_url]) == 0


def test_a_mistyped_sqlite_path_is_exit_4_and_creates_nothing(tmp_path, capsys):
    typo = tmp_path / "discretion-reveiw.db"
    for args in (["health"], ["db", "upgrade"], ["db", "current"], ["run", "--user", "admin"],
                 ["import", str(tmp_path), "--user", "admin"], ["users", "list"], ["audit", "verify"], ["app"]):
        assert main([*args, "--db", f"sqlite:///{typo}"]) == 4, args
        err = capsys.readouterr().err
        assert f"no store at {typo} (none was created)" in err and f"ไม่พบฐานข้อมูลที่ {typo}" in err, (args, err)
        assert not typo.exists() and list(tmp_path.iterdir()) == [], args
    assert main(["db", "upgrade", "--create", "--db", f"sqlite:///{typo}"]) == 0 and typo.exists()
    assert main(["health", "--db", f"sqlite:///{typo}"]) == 0


def test_an_unreachable_server_is_exit_4_with_the_reason_and_no_password(capsys):
    url = f"postgres://clerk:s3cret-Pass@127.0.0.1:{_closed_port()}/discretion"
    for args in (["health"], ["db", "upgrade"], ["run", "--user", "admin"], ["audit", "verify"], ["users", "list"]):
        assert main([*args, "--db", url]) == 4, args
        out, err = capsys.readouterr()
        assert "s3cret-Pass" not in out + err
        assert "cannot reach the store postgresql+psycopg://clerk:***@127.0.0.1" in err and "Connection refused" in err
        assert "ติดต่อฐานข้อมูล" in err and "internal error" not in err


def test_a_connection_lost_is_told_from_a_statements_error(tmp_path):
    from sqlalchemy.exc import DBAPIError

    from engine.store.health import connection_failed

    with pytest.raises(DBAPIError) as refused:
        create_engine(f"postgresql+psycopg://x@127.0.0.1:{_closed_port()}/x").connect()
    assert connection_failed(refused.value)
    engine = create_engine(f"sqlite:///{tmp_path}/s.db")
    with pytest.raises(DBAPIError) as statement, engine.connect() as conn:
        conn.execute(text("SELECT * FROM nowhere"))  # a bug, not an outage: exit 3 stays exit 3
    assert not connection_failed(statement.value)
    with pytest.raises(DBAPIError) as missing:
        create_engine(f"sqlite:///{tmp_path}/no/such/folder/s.db").connect()
    assert connection_failed(missing.value)


def test_postgres_urls_are_accepted_and_no_command_prints_the_password(capsys):
    base = pg_base_url()
    if not base:
        pytest.skip("no PostgreSQL server: set DISCRETION_TEST_PG_URL (bash scripts/services.sh)")
    from sqlalchemy.engine import make_url

    password = make_url(base).password
    with scratch_pg_database(base) as url:
        plain = "postgres://" + url.split("://", 1)[1]  # as hosting services and libpq write it
        for args in (["db", "upgrade"], ["db", "current"], ["health"], ["demo-setup", "--cases", "60"],
                     ["audit", "verify"], ["users", "list"]):
            assert main([*args, "--db", plain]) == 0, args
            out, err = capsys.readouterr()
            assert f":{password}@" not in out + err, (args, out, err)
            assert args[0] == "users" or ":***@" in out + err, (args, out, err)  # the URL, its password hidden


def test_a_store_of_a_newer_release_is_refused_naming_the_release_it_needs(db_url, capsys):
    from engine.store.schema import StoreRelease

    with transaction(db_url) as s:
        s.add(StoreRelease(release="9.1.0", revision="0099", upgraded_at=dt.datetime(2027, 1, 1)))
        s.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    for args in (["run", "--user", "admin"], ["db", "upgrade"], ["health"], ["db", "current"]):
        assert main([*args, "--db", db_url]) == 6, args
        err = capsys.readouterr().err
        assert "this store's schema is 0099, made by discretion-review 9.1.0" in err, err
        assert "install discretion-review 9.1.0 or later (the store was not changed)" in err
        assert "ติดตั้ง discretion-review 9.1.0 ขึ้นไป" in err
    with transaction(db_url) as s:
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099"


def test_an_upgrade_records_the_release_that_moved_the_schema(db_url):
    from engine import __version__
    from engine.store.migrate import head_revision
    from engine.store.schema import StoreRelease

    with transaction(db_url) as s:
        rows = s.execute(select(StoreRelease.release, StoreRelease.revision)).all()
    assert rows == [(__version__, head_revision())]
    assert main(["db", "upgrade", "--db", db_url]) == 0  # nothing moved: nothing recorded
    with transaction(db_url) as s:
        assert s.scalar(select(StoreRelease.id).order_by(StoreRelease.id.desc())) == 1


def test_version_names_the_release_and_its_schema_and_the_changelog_has_both(capsys):
    from engine import __version__
    from engine.store.migrate import head_revision

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"discretion-review {__version__} (store schema {head_revision()})"
    changelog = (Path(__file__).parents[1] / "CHANGELOG.md").read_text(encoding="utf-8")
    first = next(line for line in changelog.splitlines() if line.startswith("## "))
    assert first.startswith(f"## {__version__} ") and f"store schema {head_revision()}" in first, first


# --- runs: the acting user, and partial runs ---------------------------------------------------

def test_import_and_run_name_the_acting_user(db_url, dataset_dir, capsys):
    folder = dataset_dir()
    assert main(["import", str(folder), "--db", db_url]) == 2
    assert main(["run", "--db", db_url]) == 2
    assert "the following arguments are required: --user" in capsys.readouterr().err
    _with_admin(db_url)
    assert main(["import", str(folder), "--db", db_url, "--user", "admin"]) == 0
    assert main(["run", "--db", db_url, "--user", "admin", "--as-of", AS_OF]) == 0
    from engine.store.schema import DatasetImport, EvaluationRun

    with transaction(db_url) as s:
        assert s.scalars(select(DatasetImport.imported_by)).all() == ["admin"]
        assert s.scalars(select(EvaluationRun.triggered_by).order_by(EvaluationRun.id)).all()[-1] == "admin"


def test_a_partial_run_exits_5_and_says_which_agency(db_url, dataset_dir, monkeypatch, capsys):
    _with_admin(db_url)
    assert main(["import", str(dataset_dir()), "--db", db_url, "--user", "admin"]) == 0
    crash_evaluation_on("A1", monkeypatch)
    assert main(["run", "--db", db_url, "--user", "admin", "--as-of", AS_OF]) == 5
    err = capsys.readouterr().err
    assert "is partial (สำเร็จบางส่วน)" in err and "A1 ไม่ได้ประเมิน / not evaluated" in err


# --- users -------------------------------------------------------------------------------------

def test_users_reset_password_enable_and_set_role_with_a_password_file(db_url, tmp_path, capsys, monkeypatch):
    from engine.store.access import authenticate

    secret = tmp_path / "pw"
    secret.write_text("Mekong-riverside-2570!\nignored second line\n", encoding="utf-8")
    assert main(["users", "add", "somchai", "--role", "supervisor", "--agency", "kk-land",
                 "--password-file", str(secret), "--db", db_url]) == 0
    with transaction(db_url) as s:
        assert authenticate(s, "somchai", "Mekong-riverside-2570!")
    secret.write_text("Phu-Wiang-dinosaur-2571?\n", encoding="utf-8")
    assert main(["users", "reset-password", "somchai", "--password-file", str(secret), "--db", db_url]) == 0
    assert main(["users", "disable", "somchai", "--db", db_url]) == 0
    with transaction(db_url) as s:
        assert authenticate(s, "somchai", "Phu-Wiang-dinosaur-2571?") is None  # disabled
    assert main(["users", "enable", "somchai", "--db", db_url]) == 0
    assert main(["users", "set-role", "somchai", "--role", "provincial", "--db", db_url]) == 0
    with transaction(db_url) as s:
        scope = authenticate(s, "somchai", "Phu-Wiang-dinosaur-2571?")
        assert (scope.role, scope.agency_id) == ("provincial", None)
        assert s.scalar(select(User.sessions_valid_after).where(User.username == "somchai")) is not None
    assert main(["users", "--db", db_url, "list"]) == 0  # --db before the subcommand, as it always was
    assert "somchai" in capsys.readouterr().out
    weak = tmp_path / "weak"
    weak.write_text("password\n", encoding="utf-8")
    assert main(["users", "reset-password", "somchai", "--password-file", str(weak), "--db", db_url]) == 2
    assert main(["users", "reset-password", "somchai", "--password-file", str(tmp_path / "none"), "--db", db_url]) == 2
    monkeypatch.setattr("sys.stdin", open(secret, encoding="utf-8"))
    assert main(["users", "reset-password", "somchai", "--password-file", "-", "--db", db_url]) == 0


# --- log lines ---------------------------------------------------------------------------------

def _log_lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_log_lines_for_import_run_review_login_and_errors_hold_no_secret_or_case_text(db_url, dataset_dir,
                                                                                      monkeypatch, capsys):
    from engine.store.schema import FlagRow

    monkeypatch.setenv("DISCRETION_LOG", "json")
    _with_admin(db_url)
    folder = dataset_dir({"risk_analyses": []}, replace=["risk_analyses"])  # one flag: 1.4-no-risk-analysis
    assert main(["import", str(folder), "--db", db_url, "--user", "admin"]) == 0
    assert main(["run", "--db", db_url, "--user", "admin", "--as-of", AS_OF]) == 0
    assert main(["run", "--db", db_url, "--user", "nobody", "--as-of", AS_OF]) == 2
    lines = _log_lines(capsys.readouterr().err)
    assert [(x["event"], x["level"]) for x in lines] == [("import", "info"), ("run", "info"), ("error", "error")]
    assert lines[0]["user"] == "admin" and lines[0]["counts"]["cases"] > 0 and lines[0]["source"] == "ds"
    assert lines[1]["status"] == "succeeded" and lines[1]["flags"] > 0 and lines[1]["as_of"] == AS_OF
    assert lines[2]["where"] == "cli run" and lines[2]["user"] == "nobody"
    assert all(x["ts"].endswith("Z") for x in lines)

    import appdata  # the app's data access: logins and decisions

    monkeypatch.setenv("DISCRETION_DB_URL", db_url)
    appdata.forget_store()
    assert appdata.login("admin", STRONG, "192.0.2.7") and appdata.login("admin", "wrong password", "192.0.2.7") is None
    assert appdata.login("my secret password", "x", "192.0.2.7") is None  # a password typed in the name box
    with transaction(db_url) as s:
        flag_id = s.scalars(select(FlagRow.flag_id).where(FlagRow.status == "open")).first()
    appdata.act(("admin", "admin", None), flag_id, "dismiss", reason="ผู้ยื่นคำขอ นายสมชาย ใจดี เป็นญาติ")
    lines = _log_lines(capsys.readouterr().err)
    assert [(x["event"], x.get("outcome")) for x in lines] == \
        [("login", "ok"), ("login", "failed"), ("login", "failed"), ("review", None)]
    assert lines[2]["name_hash"] and "user" not in lines[2] and lines[2]["source"] == "192.0.2.7"
    assert "my secret password" not in json.dumps(lines, ensure_ascii=False)
    del lines[2]
    assert lines[2] == {**lines[2], "user": "admin", "action": "dismiss", "flags": [flag_id], "status": "dismissed"}
    text_of_all = json.dumps(lines, ensure_ascii=False)
    assert STRONG not in text_of_all and "wrong password" not in text_of_all and "สมชาย" not in text_of_all
    appdata.forget_store()


def test_an_input_errors_log_line_counts_its_problems_and_quotes_no_value(db_url, tmp_path, monkeypatch, capsys):
    from conftest import base_tables, write_dataset

    monkeypatch.setenv("DISCRETION_LOG", "json")
    _with_admin(db_url)
    tables = base_tables()
    tables["cases"][0]["applicant_id"] = "นางสาวมาลี ศรีสุข"
    tables["cases"][0]["received_on"] = "not a date"
    assert main(["import", str(write_dataset(tmp_path / "bad", tables)), "--db", db_url, "--user", "admin"]) == 2
    err = capsys.readouterr().err
    (line,) = _log_lines(err)
    assert line["message"] == "1 problem(s) in the input" and "not a date" in err  # people read it, the log not


# --- the app's process -------------------------------------------------------------------------

def test_app_gives_its_process_to_streamlit_with_the_sub_path(tmp_path, monkeypatch, capsys):
    started = []
    monkeypatch.setattr(os, "execve", lambda exe, cmd, env: started.append((exe, cmd, env)))
    monkeypatch.setenv("DISCRETION_SECRET_KEY", "k" * 48)
    url = f"sqlite:///{tmp_path}/s.db"
    assert main(["db", "upgrade", "--create", "--db", url]) == 0
    assert main(["app", "--db", url, "--port", "8600", "--base-url-path", "/discretion/"]) == 0
    (exe, cmd, env), = started
    assert exe == sys.executable and cmd[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert cmd[cmd.index("--server.baseUrlPath") + 1] == "discretion"
    assert cmd[cmd.index("--client.showErrorDetails") + 1] == "none"
    assert env["DISCRETION_DB_URL"] == url
    assert "http://127.0.0.1:8600/discretion/" in capsys.readouterr().out


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_to_discretion_review_app_stops_streamlit_and_frees_the_port(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    assert main(["db", "upgrade", "--create", "--db", url]) == 0
    port = _closed_port()
    env = {**os.environ, "DISCRETION_SECRET_KEY": "k" * 48}
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "app", "--db", url, "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _listening(port):
            assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)  # as systemd stops it: to the process it started
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _listening(port), "Streamlit still holds the port after SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- the app when the store is away ---------------------------------------------------------------

def test_the_app_shows_a_thai_page_while_the_store_is_unreachable_and_comes_back_by_itself(monkeypatch):
    from streamlit.testing.v1 import AppTest

    base = pg_base_url()
    if not base:
        pytest.skip("no PostgreSQL server: set DISCRETION_TEST_PG_URL (bash scripts/services.sh)")
    import appdata

    app = str(Path(__file__).parents[1] / "ui" / "app.py")
    monkeypatch.setenv("DISCRETION_SECRET_KEY", "k" * 48)
    with scratch_pg_database(base) as url:
        name = url.rsplit("/", 1)[1]
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        monkeypatch.setenv("DISCRETION_DB_URL", url)
        appdata.forget_store()
        try:
            at = AppTest.from_file(app, default_timeout=60).run()
            assert not at.exception and at.text_input  # the login form
            with admin.connect() as conn:  # the database goes away: no new connection, the old ones ended
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            at.run()
            assert not at.exception
            assert at.title[0].value == "ระบบฐานข้อมูลไม่พร้อมใช้งานชั่วคราว"
            shown = " ".join(m.value for m in at.markdown)
            assert "ข้อมูลและผลการพิจารณาที่บันทึกไว้แล้วไม่สูญหาย" in shown and "127.0.0.1" not in shown
            assert not at.text_input  # no login form, no traceback
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            at.button(key="app.retry").click().run()
            assert not at.exception and at.text_input  # back: the login form
            assert all(t.value != "ระบบฐานข้อมูลไม่พร้อมใช้งานชั่วคราว" for t in at.title)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            admin.dispose()
            appdata.forget_store()
