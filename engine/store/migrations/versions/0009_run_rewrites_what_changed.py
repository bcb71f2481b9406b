"""a re-run rewrites only the flags whose content changed; waivers found by an index

Revision ID: 0009
Revises: 0008

* ``flags.content_key``: a digest of everything a run writes into a flag (messages, evidence,
  severity, the case's process, officer and date) but the run's own bookkeeping (``as_of``,
  ``last_run_id``, ``updated_at``). A run compares it and rewrites only the flags whose
  digest moved; the others get the bookkeeping in one statement. Flags stored before this
  migration have none, so the first run after it rewrites them once, as every run did before.
* ``ix_flags_status_expiry``: flags by status and waiver expiry. Each run first reopens the
  waivers past their expiry; without it that read every flag (0.5–3 s of a 1,000,000-case
  run on SQLite). Not a partial index of the waived ones: SQLite's planner does not use one
  for ``status = ?``.
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('flags', sa.Column('content_key', sa.String(length=32), nullable=True))
    op.create_index('ix_flags_status_expiry', 'flags', ['status', 'waiver_expires_on'])


def downgrade() -> None:
    op.drop_index('ix_flags_status_expiry', 'flags')
    op.drop_column('flags', 'content_key')
