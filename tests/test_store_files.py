"""The SQLite store's files are its owner's alone (issue 24 item 7): 0600 in a 0700 folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.store.db import make_engine
from engine.store.migrate import upgrade


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # the common default, under which files are made readable by everybody
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_sqlite_store_its_wal_and_its_folder_are_readable_by_the_owner_only(tmp_path, umask_022, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "data" / "store.db"
    url = "sqlite:///data/store.db"
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:  # a write, with a reader open: the WAL and shared-memory files exist
        conn.execute(text("INSERT INTO login_attempts (username, at, success) VALUES ('x', '2024-01-01', 0)"))
        with engine.connect() as reader:
            reader.execute(text("SELECT count(*) FROM login_attempts")).scalar()
            found = {p.name: oct(mode(p)) for p in db.parent.iterdir()}
    engine.dispose()
    assert {"store.db", "store.db-wal", "store.db-shm"} <= set(found)
    assert set(found.values()) == {oct(0o600)}, found
    assert mode(db.parent) == 0o700


def test_an_existing_store_left_readable_by_others_is_closed_when_opened(tmp_path, umask_022):
    db = tmp_path / "shared" / "store.db"
    db.parent.mkdir()
    upgrade(f"sqlite:///{db}")
    for path in (db, Path(f"{db}-wal")):
        path.touch()
        path.chmod(0o644)  # as a release before this one left them
    make_engine(f"sqlite:///{db}").dispose()
    assert mode(db) == 0o600 and mode(Path(f"{db}-wal")) == 0o600
    assert mode(db.parent) == 0o755  # a folder the operator made is theirs to set


def test_the_default_var_folder_is_closed_to_others(tmp_path, umask_022, monkeypatch):
    from engine.store.keys import session_secret

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCRETION_SECRET_KEY", raising=False)
    monkeypatch.delenv("DISCRETION_SECRET_FILE", raising=False)
    session_secret()  # `discretion-review app` makes the key first: it makes var/
    assert mode(tmp_path / "var") == 0o700
    (tmp_path / "var").chmod(0o755)  # an older release's folder
    make_engine("sqlite:///var/discretion-review.db").dispose()
    assert mode(tmp_path / "var") == 0o700 and mode(tmp_path / "var" / "discretion-review.db") == 0o600
