"""login attempts counted by source, and failed names kept only as a keyed hash

Revision ID: 0016
Revises: 0015

* ``login_attempts.source``: where the attempt came from (the client's address as the app sees
  it), so that failed guesses lock a name for their source, not for everybody.
* ``login_attempts.name_hash``: an HMAC-SHA256 of the name typed, with the key kept outside the
  database (``engine.store.keys.login_name_key``); failures are counted by it.
* ``login_attempts.username`` is kept for successful logins only (an account's name). A failed
  attempt's name could be a password typed in the name box, or a stranger's mistyped name: the
  names of failures stored before are replaced here by their keyed hash.

The table stays append-only: its triggers step aside for this migration only.
"""
import hashlib
import hmac

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import append_only

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _keyed(key: bytes, name: str) -> str:
    """access.name_hash as it is at this revision (a migration is frozen)."""
    return hmac.new(key, name.encode("utf-8"), hashlib.sha256).hexdigest()


def _without_triggers(change) -> None:
    append_only.unprotect("login_attempts")
    append_only.drop("login_attempts")
    change()
    append_only.create("login_attempts")
    append_only.protect("login_attempts")


def upgrade() -> None:
    def change() -> None:
        with op.batch_alter_table('login_attempts', schema=None) as batch_op:
            batch_op.add_column(sa.Column('source', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('name_hash', sa.String(length=64), nullable=True))
            batch_op.alter_column('username', existing_type=sa.String(length=64), nullable=True)
            batch_op.create_index(batch_op.f('ix_login_attempts_name_hash'), ['name_hash'], unique=False)
            batch_op.create_index(batch_op.f('ix_login_attempts_source'), ['source'], unique=False)
        bind = op.get_bind()
        attempts = sa.table("login_attempts", sa.column("username", sa.String), sa.column("success", sa.Boolean),
                            sa.column("name_hash", sa.String))
        names = bind.execute(sa.select(attempts.c.username, attempts.c.success).distinct()).all()
        if not names:
            return
        from engine.store.keys import login_name_key

        key = login_name_key()
        for name, success in names:
            bind.execute(attempts.update()
                         .where(attempts.c.username == name, attempts.c.success == success)
                         .values(name_hash=_keyed(key, name), username=name if success else None))
    _without_triggers(change)


def downgrade() -> None:
    def change() -> None:
        attempts = sa.table("login_attempts", sa.column("username", sa.String), sa.column("name_hash", sa.String))
        # a failure's name is gone for good: the release before gets its keyed hash in its place
        op.get_bind().execute(attempts.update().where(attempts.c.username.is_(None))
                              .values(username=attempts.c.name_hash))
        with op.batch_alter_table('login_attempts', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_login_attempts_source'))
            batch_op.drop_index(batch_op.f('ix_login_attempts_name_hash'))
            batch_op.alter_column('username', existing_type=sa.String(length=64), nullable=False)
            batch_op.drop_column('name_hash')
            batch_op.drop_column('source')
    _without_triggers(change)
