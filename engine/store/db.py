"""Database connections: the store's URL, engines (SQLite's pragmas), sessions, transactions, and
the locks a run and a reviewer take. Schema versions are ``migrate.py``'s, bulk writes ``bulk.py``'s."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import (
    Engine,
    create_engine,
    event,
    text,
)
from sqlalchemy.orm import Session, sessionmaker

from engine.store.files import private_sqlite_file

DEFAULT_URL = "sqlite:///var/discretion-review.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(url: str | None = None) -> str:
    """The URL given, else ``DISCRETION_DB_URL``, else an SQLite file under ./var. ``postgres://``
    and ``postgresql://`` (as hosting services and libpq write them) mean psycopg 3, the driver
    installed (SQLAlchemy would look for psycopg2)."""
    url = url or os.environ.get("DISCRETION_DB_URL") or DEFAULT_URL
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    return url


_ENGINES: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _forget_connections_in_child() -> None:
    """Evaluation forks worker processes; a child must never close (and so end) the
    parent's pooled database connections that it inherited."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections_in_child)


def make_engine(url: str | None = None) -> Engine:
    url = database_url(url)
    private_sqlite_file(url)  # its folder made; 0600 in 0700: the store holds hashes, names and evidence
    engine = create_engine(url, future=True, pool_pre_ping=True)
    _ENGINES.add(engine)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn, _record):  # noqa: ANN001
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            # a writer waits this long for the write lock: longer than a 1M-case run holds it
            # (about 16 s on 2 cores, evaluation and commit included), so a reviewer's decision
            # waits, not fails; past it the form says the store is busy and keeps the text
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            # 64 MiB of pages per connection (SQLite's default is 2 MiB), taken only as pages are
            # read: a run inserting 171,481 flags into their indexes took 8.9 s with the default
            # and about 5 s with this (4.1 s with the later store work; README, Performance)
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()
    return engine


@lru_cache(maxsize=8)
def _factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(make_engine(url), expire_on_commit=False)


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return _factory(database_url(url))


def forget_session_factories() -> None:
    """Forget every session factory made so far (each is made once per URL), and with them their
    pooled connections: the next ``session_factory`` connects afresh (a database dropped, a
    setting such as ``SQLITE_BUSY_TIMEOUT_MS`` changed)."""
    _factory.cache_clear()


@contextmanager
def transaction(url: str | None = None) -> Iterator[Session]:
    """One unit of work: committed as a whole, or rolled back as a whole."""
    with session_factory(url)() as session, session.begin():
        yield session


def begin_write(session: Session, lock: str | None = None) -> None:
    """Make the session's transaction a writer that holds its lock from now until it ends.

    SQLite: ``BEGIN IMMEDIATE`` takes the one write lock before anything is read, so what the
    transaction reads next cannot be changed by another writer until it commits (other writers
    wait up to ``busy_timeout``; readers in WAL mode never wait). A transaction that has
    written already holds the lock. PostgreSQL: the transaction-scoped advisory lock named
    ``lock`` (e.g. ``"flag_events"``: every writer of flags takes it first, so they queue
    instead of deadlocking).
    """
    import zlib


    conn = session.connection()
    if conn.dialect.name == "sqlite":
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql" and lock:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(lock.encode())})


def begin_read(session: Session) -> None:
    """Make the session's transaction a reader that sees one committed state of the store in
    every read, from its first to its end, whatever commits meanwhile (a run reads every table:
    an import committing between two of them would show it a state that never existed).
    Call it before the session's first statement; the transaction writes nothing.

    PostgreSQL: REPEATABLE READ, read only (its snapshot can be shared with other connections:
    ``pg_export_snapshot``). SQLite: an explicit ``BEGIN`` — the driver begins a transaction only
    before a write, so each read would see the latest commit — which in WAL mode keeps the
    state of its first read until it ends (readers never wait for the writer).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
        return
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        conn.exec_driver_sql("BEGIN")
