"""The store's schema versions: this release's migrations (Alembic), the revision a store is
at, and the upgrade that brings it to this release's, run as the schema's owner.

A store at a revision this release does not know is refused (``StoreVersionError``), naming
the release that made it (``store_releases``, migration 0014); every move of the schema is
recorded with the release that made it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import inspect, select

from engine import __version__
from engine.domain.errors import DiscretionReviewError
from engine.store import roles
from engine.store.db import database_url, make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreVersionError(DiscretionReviewError):
    """The store's schema is not the one this release works with."""


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def owner_url(url: str | None = None) -> str:
    """The URL migrations run with: ``DISCRETION_DB_OWNER_URL`` (the role that owns the schema)
    when it names the same database as ``url`` (host, port, database), else ``url`` itself —
    the app and its commands connect with a role that has data rights only (docs/audit.md)."""
    from sqlalchemy.engine import make_url

    url = database_url(url)
    owner = os.environ.get("DISCRETION_DB_OWNER_URL")
    if owner:
        a, b = make_url(owner), make_url(url)
        if (a.get_backend_name(), a.host, a.port, a.database) == (b.get_backend_name(), b.host, b.port, b.database):
            return owner
    return url


def upgrade(url: str | None = None) -> None:
    """Bring the schema to the newest migration (creates the database on first use: the command
    line asks ``health.require_store`` first, which creates an SQLite file only where asked), as
    the schema's owner (``owner_url``); nothing to do when it is there already, which is all that
    a role with data rights only may ask. A store at a revision this release does not know is
    refused, naming the release it needs (``StoreVersionError``); a move of the schema is
    recorded with this release's number."""
    from alembic import command

    url = database_url(url)
    make_engine(url).dispose()  # creates the SQLite folder
    before = check_not_newer(url)
    if before == head_revision():
        return
    target = owner_url(url)
    try:
        command.upgrade(alembic_config(target), "head")
    except Exception as exc:
        if "permission denied" in str(exc).lower() or "must be owner" in str(exc).lower():
            from engine.domain.errors import UsageError

            raise UsageError(
                "บัญชีฐานข้อมูลของแอปไม่มีสิทธิ์ปรับโครงสร้างฐานข้อมูล: ให้เจ้าของฐานข้อมูลสั่ง discretion-review db upgrade "
                "(กำหนด DISCRETION_DB_OWNER_URL) / the store's schema must be upgraded, and the app's database role may "
                "not change it: run `discretion-review db upgrade` with the owner's URL (DISCRETION_DB_OWNER_URL or "
                f"--db), then `db grant` (docs/audit.md). ({' '.join(str(exc).split())[:200]})") from exc
        raise
    record_release(target, before)
    roles.regrant(target)  # PostgreSQL: tables a migration made get the app roles' rights too


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with make_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@lru_cache(maxsize=1)
def _scripts():
    """This release's migrations (read once: every command and the app's start ask)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def head_revision() -> str:
    """The schema revision this release's migrations end at."""
    return _scripts().get_current_head()


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    return frozenset(s.revision for s in _scripts().walk_revisions())


def store_revision(conn) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _release_of(conn, revision: str) -> str | None:
    """The release that moved the store to ``revision`` (``store_releases``), if recorded."""
    if not inspect(conn).has_table("store_releases"):
        return None
    from engine.store.schema import StoreRelease

    return conn.execute(select(StoreRelease.release).where(StoreRelease.revision == revision)
                        .order_by(StoreRelease.id.desc())).scalar()


def newer_store_error(conn, revision: str) -> StoreVersionError:
    release = _release_of(conn, revision)
    needs_th = f"discretion-review {release} ขึ้นไป" if release else "discretion-review รุ่นที่ใหม่กว่านี้"
    needs_en = f"discretion-review {release} or later" if release else "a newer release of discretion-review"
    made_th = f" ซึ่ง discretion-review {release} ปรับไว้" if release else ""
    made_en = f", made by discretion-review {release}" if release else ""
    return StoreVersionError(
        f"ฐานข้อมูลนี้มีโครงสร้างรุ่น {revision}{made_th} แต่โปรแกรมนี้รุ่น {__version__} รู้จักถึงรุ่น "
        f"{head_revision()} เท่านั้น: ติดตั้ง {needs_th} (ไม่ได้เปลี่ยนแปลงฐานข้อมูล) / this store's schema is "
        f"{revision}{made_en}; this is discretion-review {__version__}, which knows schemas up to "
        f"{head_revision()}: install {needs_en} (the store was not changed)")


def check_not_newer(url: str | None = None) -> str | None:
    """The store's revision; ``StoreVersionError`` if it is one this release does not know."""
    with make_engine(url).connect() as conn:
        revision = store_revision(conn)
        if revision is not None and revision not in known_revisions():
            raise newer_store_error(conn, revision)
    return revision


def record_release(url: str | None, before: str | None) -> None:
    """After an upgrade that moved the schema from ``before``: this release made the new revision."""
    from engine.store.schema import StoreRelease

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            revision = store_revision(conn)
            if revision != before and inspect(conn).has_table("store_releases"):
                conn.execute(StoreRelease.__table__.insert().values(release=__version__, revision=revision,
                                                                    upgraded_at=_now()))
    finally:
        engine.dispose()


def _now():
    from engine.store.schema import utcnow

    return utcnow()
