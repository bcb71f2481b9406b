"""rule catalogue v3: exchange format v3 columns (affects_others, coi_ground, coi_exception,
effective_from)

A v2 store upgrades with every decision kept: the next run evaluates catalogue v3, which
clears 1.5-ethics-not-acknowledged's case flags (by data, never deleted) and raises its
officer flags; every other rule's flag ids stay.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 21:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_COLUMNS = {
    'processes': [sa.Column('affects_others', sa.Boolean(), nullable=True)],
    'cases': [sa.Column('coi_ground', sa.String(length=8), nullable=True),
              sa.Column('coi_exception', sa.Text(), nullable=True)],
    'parameter_overrides': [sa.Column('effective_from', sa.Date(), nullable=True)],
}


def upgrade() -> None:
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(column)


def downgrade() -> None:
    for table, columns in reversed(list(_COLUMNS.items())):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_column(column.name)
