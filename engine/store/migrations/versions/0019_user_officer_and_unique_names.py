"""user accounts linked to officers; user names unique ignoring case

Revision ID: 0019
Revises: 0018

* ``users.officer_id``: the officer of the imported data that the account belongs to (set and
  cleared by ``discretion-review users link / unlink`` and the admin page, each an audited user
  event): a linked user may not decide a flag about their own decision, review or report, and
  the history names them with the officer's position.
* ``uq_users_username_lower``: a unique index on ``lower(username)``, so that no two accounts
  differ only in case (``Supervisor.Land`` beside ``supervisor.land``). New names are
  ``[a-z0-9._-]``, 3–64 characters (engine/store/access.py); older names that do not fit stay
  as they are and still log in.

**A store that holds two names differing only in case is refused**, naming them, and nothing is
changed: no account is merged or renamed silently. The administrator decides which account keeps
its name and gives the others a new one with ``discretion-review db upgrade --rename-user
OLD=NEW`` (repeatable; ``DISCRETION_RENAME_USERS="OLD=NEW;…"`` for an upgrade started otherwise).
Each rename is a ``renamed`` user event (keyed, in the user trail, replayed by ``audit verify``),
ends the account's open sessions, and keeps its history (the flags' events still name the old
login; the app reads them as the renamed person).

Downgrade drops the index and the column; the link events stay (they are history).
"""
import datetime as dt
import os
import re

import sqlalchemy as sa
from alembic import op

from engine.domain.errors import UsageError

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

RENAMES_ENV = "DISCRETION_RENAME_USERS"
_NAME = re.compile(r"[a-z0-9._-]{3,64}")  # access.check_username's rule at this revision


class UserNameClash(UsageError):
    """Two or more accounts whose names differ only in case: the upgrade stops, nothing changed."""


def _renames() -> list[tuple[str, str]]:
    out = []
    for pair in filter(None, (p.strip() for p in os.environ.get(RENAMES_ENV, "").split(";"))):
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise UserNameClash(f"{RENAMES_ENV}: '{pair}' is not OLD=NEW")
        out.append((old.strip(), new.strip()))
    return out


def upgrade() -> None:
    from sqlalchemy.orm import Session

    from engine.store import audit
    from engine.store.keys import audit_keys
    from engine.store.schema import UserEvent

    bind = op.get_bind()
    users = sa.table("users", sa.column("username", sa.String), sa.column("sessions_valid_after", sa.DateTime))
    names = list(bind.execute(sa.select(users.c.username)).scalars())
    renames = _renames()
    taken = set(names)
    for old, new in renames:  # checked whole before anything is written
        if old not in taken:
            raise UserNameClash(f"--rename-user {old}={new}: there is no user '{old}' (names are exact here)")
        if not _NAME.fullmatch(new):
            raise UserNameClash(f"--rename-user {old}={new}: a user name has 3–64 characters, lowercase a–z, "
                                "digits, '.', '_' and '-'")
        taken.discard(old)
        if new.lower() in {n.lower() for n in taken}:
            raise UserNameClash(f"--rename-user {old}={new}: '{new}' is taken (ignoring case)")
        taken.add(new)
    groups: dict[str, list[str]] = {}
    for name in taken:
        groups.setdefault(name.lower(), []).append(name)
    clashes = sorted(sorted(g) for g in groups.values() if len(g) > 1)
    if clashes:
        listed = "; ".join(", ".join(g) for g in clashes)
        raise UserNameClash(
            f"ชื่อผู้ใช้ต่างกันเพียงตัวพิมพ์ใหญ่เล็ก: {listed} ไม่ได้ปรับรุ่นฐานข้อมูลและไม่ได้รวมบัญชีใด ผู้ดูแลระบบเลือกว่าบัญชีใดคงชื่อเดิม "
            f"แล้วตั้งชื่อใหม่ให้บัญชีอื่นด้วย discretion-review db upgrade --rename-user ชื่อเดิม=ชื่อใหม่ / user names that "
            f"differ only in case: {listed}. The store was not upgraded and no account was merged: decide which "
            "account keeps its name and give each other one a new name with `discretion-review db upgrade "
            f"--rename-user OLD=NEW` (repeatable; or {RENAMES_ENV}=\"OLD=NEW;…\"); its history is kept")

    op.add_column('users', sa.Column('officer_id', sa.String(length=128), nullable=True))
    if renames:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        for old, new in renames:
            bind.execute(users.update().where(users.c.username == old).values(username=new, sessions_valid_after=now))
        session = Session(bind=bind)
        audit.append(session, UserEvent, [{"actor": "system", "action": "renamed", "username": new,
                                           "details": {"from": old, "to": new}} for old, new in renames],
                     audit_keys())
        session.flush()
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)


def downgrade() -> None:
    op.drop_index('uq_users_username_lower', table_name='users')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('officer_id')
