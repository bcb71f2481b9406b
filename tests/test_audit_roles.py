"""PostgreSQL: migrations run as the schema's owner; the app and every command connect as a role
with data rights only, which cannot alter a table, drop or disable a trigger, or change or delete
an audit row — while the product works as usual with it (issue 21, item 4; docs/audit.md)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from conftest import pg_base_url
from engine.cli import main
from engine.store.audit import SEALED
from engine.store.db import forget_session_factories, transaction
from engine.store.review import act
from engine.store.schema import FlagRow
from engine.store.scope import Scope

PASSWORD = "Udon-jasmine-ledger-2569"  # not the demo's published one, which only demo users may have


@pytest.fixture
def two_roles():
    """A new database owned by a new role (no superuser), and a second new role for the app:
    (owner's URL, app's URL, the app role's name)."""
    base = pg_base_url()
    if not base:
        pytest.skip("no PostgreSQL server: set DISCRETION_TEST_PG_URL (bash scripts/services.sh)")
    tag = uuid.uuid4().hex[:10]
    owner, app, name = f"dr_owner_{tag}", f"dr_app_{tag}", f"dr_test_{tag}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {owner} LOGIN PASSWORD 'owner-{tag}'"))
        conn.execute(text(f"CREATE ROLE {app} LOGIN PASSWORD 'app-{tag}'"))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER {owner}'))
    url = make_url(base)
    as_owner = url.set(username=owner, password=f"owner-{tag}", database=name)
    as_app = url.set(username=app, password=f"app-{tag}", database=name)
    try:
        yield (as_owner.render_as_string(hide_password=False), as_app.render_as_string(hide_password=False), app)
    finally:
        forget_session_factories()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"DROP ROLE IF EXISTS {app}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()


REFUSED = [  # what someone holding the app's credentials tries, and what PostgreSQL answers
    ("ALTER TABLE flag_events DISABLE TRIGGER USER", "must be owner"),
    ("ALTER TABLE flag_events DISABLE TRIGGER flag_events_no_change", "must be owner"),
    ("DROP TRIGGER flag_events_no_change ON flag_events", "must be owner"),
    ("ALTER TABLE users ADD COLUMN x integer", "must be owner"),
    ("ALTER TABLE flag_events DROP COLUMN row_hash", "must be owner"),
    ("DROP TABLE user_events", "must be owner"),
    ("DROP FUNCTION flag_events_append_only() CASCADE", "must be owner"),
    ("CREATE TABLE flag_events_copy (id integer)", "permission denied for schema public"),
    ("UPDATE flag_events SET reason = 'x'", "permission denied for table flag_events"),
    ("DELETE FROM user_events", "permission denied for table user_events"),
    ("UPDATE audit_seals SET last_hash = last_hash", "permission denied for table audit_seals"),
    ("TRUNCATE flag_events CASCADE", "permission denied for table flag_events"),
    ("DELETE FROM flags", "permission denied for table flags"),
    ("SET session_replication_role = replica", "permission denied to set parameter"),
]


def test_the_apps_role_cannot_touch_the_schema_or_the_trails_and_the_product_works(two_roles, dataset_dir, capsys,
                                                                                    tmp_path, monkeypatch):
    monkeypatch.setenv("DISCRETION_AUDIT_KEY_FILE", str(tmp_path / "audit-keys"))  # it rotates the key: its own file
    owner_url, app_url, app = two_roles
    assert main(["db", "upgrade", "--db", owner_url]) == 0
    assert main(["db", "grant", "--app-role", app, "--db", owner_url]) == 0
    assert main(["db", "upgrade", "--db", app_url]) == 0  # at head: nothing to do, nothing refused
    # the product, as the app's role: users, an import, a run, a decision, the trails' commands
    assert main(["users", "--db", app_url, "add", "admin.a", "--role", "admin", "--password", PASSWORD]) == 0
    cases = [{"case_id": f"U{i}", "process_id": "P1", "officer_id": "OFF1", "received_on": "2024-04-01",
              "decided_on": "2024-04-02", "discretion_used": "true", "legal_basis": "มาตรา 1", "via_it_system": "true"}
             for i in range(3)]
    assert main(["import", str(dataset_dir({"cases": cases})), "--db", app_url, "--user", "admin.a"]) == 0
    assert main(["import", str(dataset_dir({"cases": cases}, name="again")), "--db", app_url, "--user", "admin.a"]) == 0
    assert main(["users", "--db", app_url, "add", "sup.a1", "--role", "supervisor", "--agency", "A1",
                 "--password", PASSWORD]) == 0
    assert main(["run", "--as-of", "2024-04-20", "--db", app_url, "--user", "sup.a1"]) == 0
    with transaction(app_url) as s:
        flag = s.query(FlagRow).filter(FlagRow.subject_id == "U0").one().flag_id
        act(s, Scope("sup.a1", "supervisor", "A1"), flag, "dismiss", reason="ตรวจแล้ว")
        assert s.execute(text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'flags'"
                              )).scalar()  # the run's statistics, through the owner's function
    assert main(["run", "--as-of", "2024-04-21", "--db", app_url, "--user", "sup.a1"]) == 0
    assert main(["audit", "rotate-key", "--db", app_url]) == 0
    assert main(["audit", "anchor", "--db", app_url]) == 0
    assert main(["audit", "verify", "--db", app_url]) == 0
    # and what it must not do
    engine = create_engine(app_url)
    try:
        for sql, answer in REFUSED:
            with engine.connect() as conn:
                with pytest.raises(Exception, match=answer):
                    conn.execute(text(sql))
        with engine.begin() as conn:  # what it may do to a row without its event, verify names
            conn.execute(text("UPDATE users SET role = 'admin', agency_id = NULL WHERE username = 'sup.a1'"))
    finally:
        engine.dispose()
    capsys.readouterr()
    assert main(["audit", "verify", "--db", app_url]) == 1
    assert "users sup.a1:" in capsys.readouterr().err


def test_grant_refuses_the_owner_or_a_superuser_and_prints_its_sql(two_roles, capsys):
    owner_url, app_url, app = two_roles
    owner = make_url(owner_url).username
    assert main(["db", "upgrade", "--db", owner_url]) == 0
    capsys.readouterr()
    assert main(["db", "grant", "--app-role", owner, "--db", owner_url]) == 2
    assert "owns the tables" in capsys.readouterr().err
    assert main(["db", "grant", "--app-role", make_url(pg_base_url()).username, "--db", owner_url]) == 2
    assert "is a superuser" in capsys.readouterr().err
    assert main(["db", "grant", "--app-role", "nobody_here", "--db", owner_url]) == 2
    assert "create it first" in capsys.readouterr().err
    assert main(["db", "grant", "--app-role", app, "--db", owner_url, "--print"]) == 0
    sql = capsys.readouterr().out
    assert f"GRANT SELECT, INSERT ON public.flag_events TO {app};" in sql
    assert f"GRANT SELECT, INSERT, UPDATE, DELETE ON public.cases TO {app};" in sql
    assert f"GRANT SELECT, INSERT, UPDATE ON public.flags TO {app};" in sql
    assert f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app};" in sql


def test_a_schema_behind_is_upgraded_by_the_owner_only(two_roles, dataset_dir, monkeypatch, capsys):
    from alembic import command

    from engine.store.migrate import alembic_config

    owner_url, app_url, app = two_roles
    assert main(["db", "upgrade", "--db", owner_url]) == 0
    assert main(["db", "grant", "--app-role", app, "--db", owner_url]) == 0
    command.downgrade(alembic_config(owner_url), "0016")  # a release behind the code
    capsys.readouterr()
    assert main(["users", "--db", app_url, "list"]) == 2
    assert "run `discretion-review db upgrade` with the owner's URL" in capsys.readouterr().err
    monkeypatch.setenv("DISCRETION_DB_OWNER_URL", owner_url)  # the operator's command, with both URLs
    assert main(["users", "--db", app_url, "add", "admin.a", "--role", "admin", "--password", PASSWORD]) == 0
    monkeypatch.delenv("DISCRETION_DB_OWNER_URL")
    engine = create_engine(app_url)
    try:
        with engine.connect() as conn:  # the app's rights were given again on what the migration made
            # made anew by the upgrade: every trail sealed (0017 seals its five, 0018 all seven, 0020 its two)
            assert {c for (c,) in conn.execute(text("SELECT DISTINCT chain FROM audit_seals"))} == set(SEALED)
            with pytest.raises(Exception, match="permission denied for table audit_seals"):
                conn.execute(text("DELETE FROM audit_seals"))
    finally:
        engine.dispose()
    assert main(["audit", "verify", "--db", app_url]) == 0
