"""Database connections and schema migrations."""

from __future__ import annotations

import os
import weakref
from contextlib import contextmanager
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///var/discretion-review.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(url: str | None = None) -> str:
    """The URL given, else ``DISCRETION_DB_URL``, else an SQLite file under ./var."""
    return url or os.environ.get("DISCRETION_DB_URL") or DEFAULT_URL


_ENGINES: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _forget_connections_in_child() -> None:
    """Evaluation forks worker processes; a child must never close (and so end) the
    parent's pooled database connections that it inherited."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections_in_child)


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=True)
    _ENGINES.add(engine)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):  # noqa: ANN001
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()
    return engine


@lru_cache(maxsize=8)
def _factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(make_engine(url), expire_on_commit=False)


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return _factory(database_url(url))


@contextmanager
def transaction(url: str | None = None) -> Iterator[Session]:
    """One unit of work: committed as a whole, or rolled back as a whole."""
    with session_factory(url)() as session, session.begin():
        yield session


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None) -> None:
    """Bring the schema to the newest migration (creates the database on first use)."""
    from alembic import command

    url = database_url(url)
    make_engine(url).dispose()  # creates the SQLite folder
    command.upgrade(_alembic_config(url), "head")


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with make_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def begin_write(session: Session, lock: str | None = None) -> None:
    """Make the session's transaction a writer that holds its lock from now until it ends.

    SQLite: ``BEGIN IMMEDIATE`` takes the one write lock before anything is read, so what the
    transaction reads next cannot be changed by another writer until it commits (other writers
    wait up to ``busy_timeout``; readers in WAL mode never wait). A transaction that has
    written already holds the lock. PostgreSQL: the transaction-scoped advisory lock named
    ``lock`` (e.g. ``"flag_events"``: every writer of flags takes it first, so they queue
    instead of deadlocking); rows can further be locked ``FOR UPDATE`` by the caller.
    """
    import zlib

    from sqlalchemy import text

    conn = session.connection()
    if conn.dialect.name == "sqlite":
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql" and lock:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(lock.encode())})
