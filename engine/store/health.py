"""Whether this release can use a store: it exists, it answers, and its schema is this release's.

What an operator and a service manager need to know, said in Thai and English without the
password: a store that cannot be reached (``StoreUnavailable``: a server down, a wrong host,
port, name or password, an SQLite file that is not there) and a store whose schema is not this
release's (``StoreVersionError``: newer — it names the release that made it — or, for
``health``, older). A new SQLite file is made only where asked (``require_store(create=True)``:
``db upgrade --create``, ``demo-setup``): a typo in a path is an error, not an empty store.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from engine import __version__
from engine.domain.errors import DiscretionReviewError
from engine.store.db import database_url, make_engine
from engine.store.migrate import StoreVersionError, head_revision, known_revisions, newer_store_error, store_revision

CONNECT_TIMEOUT = 10  # seconds a probe waits for a PostgreSQL server (libpq waits forever by default)


class StoreUnavailable(DiscretionReviewError):
    """The store cannot be reached or is not there."""


def shown_url(url: str | None = None) -> str:
    """The store's URL as it may be printed or logged: the password replaced by ***."""
    url = database_url(url)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: say nothing of what it holds beyond its kind
        return url.split(":", 1)[0] + ":…"


def sqlite_path(url: str | None = None) -> Path | None:
    """The file of an SQLite store; None for another database or an in-memory one."""
    u = make_url(database_url(url))
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return None
    return Path(u.database)


def reason(exc: BaseException) -> str:
    """What the driver said, on one line, without the statement SQLAlchemy appends (the password
    is never in it: libpq names the host and port only)."""
    orig = getattr(exc, "orig", None) or exc
    words = " ".join(str(orig).split())
    return words[:300] or type(orig).__name__


def connection_failed(exc: BaseException) -> bool:
    """Whether ``exc`` is the database connection failing (not a statement's error): PostgreSQL's
    connection errors (class 08, 57P01–57P03 server shutting down, or none: libpq's own), an
    invalidated connection, or SQLite unable to open its file."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    module = type(orig).__module__
    if module.startswith("psycopg"):
        import psycopg

        # psycopg raises its plain OperationalError when a connection cannot be made or is lost;
        # a statement's error is a subclass named by its SQLSTATE (class 08: connection exception;
        # 57P01-03: the server is shutting down or starting)
        state = getattr(orig, "sqlstate", None) or ""
        return type(orig) is psycopg.OperationalError or state.startswith("08") or state in ("57P01", "57P02", "57P03")
    return module == "sqlite3" and "unable to open database file" in str(orig)


def require_store(url: str | None = None, create: bool = False) -> str:
    """The store's URL, once it is known to be there and to answer; ``StoreUnavailable`` if not.
    An SQLite file that does not exist is created only with ``create``."""
    url = database_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        if not create:
            raise StoreUnavailable(
                f"ไม่พบฐานข้อมูลที่ {path} (ไม่ได้สร้างใหม่ให้): ตรวจชื่อไฟล์ใน --db หรือ DISCRETION_DB_URL "
                f"หรือสร้างฐานข้อมูลใหม่ด้วย discretion-review db upgrade --create / no store at {path} "
                f"(none was created): check the path in --db or DISCRETION_DB_URL, or create a new store "
                f"with `discretion-review db upgrade --create`")
        path.parent.mkdir(parents=True, exist_ok=True)
    probe(url)
    return url


def probe(url: str | None = None) -> None:
    """Connect and ask the store one question; ``StoreUnavailable`` with the driver's reason."""
    url = database_url(url)
    try:
        args = {"connect_timeout": CONNECT_TIMEOUT} if make_url(url).get_backend_name() == "postgresql" else {}
        engine = create_engine(url, connect_args=args, poolclass=NullPool)
    except Exception as exc:  # an unknown driver or a URL that is not one
        raise StoreUnavailable(f"ที่อยู่ฐานข้อมูลไม่ถูกต้อง {shown_url(url)}: {reason(exc)} / "
                               f"not a store URL {shown_url(url)}: {reason(exc)}") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise StoreUnavailable(f"ติดต่อฐานข้อมูล {shown_url(url)} ไม่ได้: {reason(exc)} / "
                               f"cannot reach the store {shown_url(url)}: {reason(exc)}") from None
    finally:
        engine.dispose()


def health(url: str | None = None) -> str:
    """One line saying the store is fit for this release (reachable, at its schema), or raise
    ``StoreUnavailable`` / ``StoreVersionError`` saying why not. Changes nothing."""
    url = require_store(url)
    head = head_revision()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            revision = store_revision(conn)
            if revision is not None and revision not in known_revisions():
                raise newer_store_error(conn, revision)
    finally:
        engine.dispose()
    if revision != head:
        raise StoreVersionError(
            f"ฐานข้อมูลยังเป็นโครงสร้างรุ่น {revision or '(ว่าง)'} แต่โปรแกรมนี้ต้องการรุ่น {head}: สั่ง "
            f"discretion-review db upgrade / the store is at schema {revision or '(empty)'}; this release "
            f"needs {head}: run `discretion-review db upgrade`")
    return f"ok: {shown_url(url)} answers at schema {head} (discretion-review {__version__})"
