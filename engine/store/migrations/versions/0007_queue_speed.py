"""queue speed: a severity rank computed by the database, and indexes in the queue's sort order

Revision ID: 0007
Revises: 0004

The review queue sorts by severity (high, medium, low), newest event first, then flag id.
Sorting by ``CASE severity …`` cannot use an index, so every far page sorted the whole
table. ``flags.severity_rank`` is a generated column (0 high, 1 medium, 2 low; PostgreSQL
``STORED``, SQLite ``VIRTUAL``): the database computes it from ``severity``, so it can never
disagree with it, and nothing that writes flags has to remember it. Two indexes follow the
sort exactly, one for every agency and one per agency (a supervisor's queue); status is
carried in both so the usual status filter is answered from the index.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

RANK = "CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"  # = schema.SEVERITY_RANK, frozen here


def upgrade() -> None:
    # SQLite adds only VIRTUAL generated columns to an existing table (an index stores the value
    # anyway); PostgreSQL before 18 has only STORED ones
    stored = True if op.get_bind().dialect.name == "postgresql" else None
    op.add_column('flags', sa.Column('severity_rank', sa.SmallInteger(), sa.Computed(RANK, persisted=stored),
                                     nullable=True))
    op.create_index('ix_flags_severity_order', 'flags',
                    ['severity_rank', sa.text('event_date DESC'), 'flag_id', 'status'])
    op.create_index('ix_flags_agency_severity_order', 'flags',
                    ['agency_id', 'severity_rank', sa.text('event_date DESC'), 'flag_id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_flags_agency_severity_order', 'flags')
    op.drop_index('ix_flags_severity_order', 'flags')
    op.drop_column('flags', 'severity_rank')  # SQLite ≥ 3.35 drops a column in place: no table copy
