"""a re-run rewrites only the flags whose content changed; waivers found by an index

Revision ID: 0009
Revises: 0008

* ``flags.content_key``: a digest of everything a run writes into a flag (messages, evidence,
  severity, the case's process, officer and date) but the run's own bookkeeping (``as_of``,
  ``last_run_id``, ``updated_at``). A run compares it and rewrites only the flags whose
  digest moved; the others get the bookkeeping in one statement. Flags stored before this
  migration have none, so the first run after it rewrites them once, as every run did before.
* ``ix_flags_waiver_expiry``: flags by waiver expiry. Each run first reopens the waivers past
  their expiry; without it that read every flag (0.5–3 s of a 1,000,000-case run on SQLite).
  Not on (status, expiry): SQLite's planner then answered the review queue's status filter
  from it and sorted every open flag (a far page 16 → 256 ms); not a partial index of the
  waived flags: SQLite's planner does not take one for ``status = ?``.
* PostgreSQL: ``flags`` pages are filled to 60 % (``fillfactor``), so that the new version of a
  row whose bookkeeping a run moves fits on its page beside the old one (a HOT update: no
  index entry written). 170,000 flags: 6.8 s with full pages, 1.6 s so. Pages written before
  this migration stay full until the table is rewritten (``VACUUM FULL flags``).
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('flags', sa.Column('content_key', sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE flags SET (fillfactor = 60)")
    op.create_index('ix_flags_waiver_expiry', 'flags', ['waiver_expires_on'])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE flags RESET (fillfactor)")
    op.drop_index('ix_flags_waiver_expiry', 'flags')
    op.drop_column('flags', 'content_key')
