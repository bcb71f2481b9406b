"""days off and acknowledgement rounds recorded by an administrator; per-agency rule counts of runs

Revision ID: 0008
Revises: 0005

* ``calendar_entries``: corrections of the government calendar (a cabinet-declared day off),
  each with its source; appended only and hash-chained (engine/store/audit.py).
* ``acknowledgement_rounds``: a fiscal year's acknowledgement deadline (guidelines 2.1–2.3)
  and the letter that sets it; appended only and hash-chained.
* ``run_agency_rule_stats``: per run, agency and rule, the subjects evaluated (the
  self-assessment's "not assessed — no data").
"""
import sqlalchemy as sa
from alembic import op

from engine.store.migrations import append_only

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TRAILS = ("calendar_entries", "acknowledgement_rounds")


def upgrade() -> None:
    op.create_table('calendar_entries',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('at', sa.DateTime(), nullable=False),
                    sa.Column('actor', sa.String(length=64), nullable=False),
                    sa.Column('date', sa.Date(), nullable=False),
                    sa.Column('kind', sa.String(length=8), nullable=False),
                    sa.Column('name_th', sa.Text(), nullable=False),
                    sa.Column('name_en', sa.Text(), nullable=False),
                    sa.Column('source', sa.Text(), nullable=False),
                    sa.Column('prev_hash', sa.String(length=64), nullable=True),
                    sa.Column('row_hash', sa.String(length=64), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_entries')))
    op.create_index(op.f('ix_calendar_entries_date'), 'calendar_entries', ['date'], unique=False)
    op.create_table('acknowledgement_rounds',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('at', sa.DateTime(), nullable=False),
                    sa.Column('actor', sa.String(length=64), nullable=False),
                    sa.Column('fiscal_year', sa.Integer(), nullable=False),
                    sa.Column('deadline', sa.Date(), nullable=False),
                    sa.Column('source', sa.Text(), nullable=False),
                    sa.Column('prev_hash', sa.String(length=64), nullable=True),
                    sa.Column('row_hash', sa.String(length=64), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgement_rounds')))
    op.create_index(op.f('ix_acknowledgement_rounds_fiscal_year'), 'acknowledgement_rounds', ['fiscal_year'],
                    unique=False)
    op.create_table('run_agency_rule_stats',
                    sa.Column('run_id', sa.Integer(), nullable=False),
                    sa.Column('agency_id', sa.String(length=128), nullable=False),
                    sa.Column('rule_id', sa.String(length=64), nullable=False),
                    sa.Column('evaluated', sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(['run_id'], ['evaluation_runs.id'],
                                            name=op.f('fk_run_agency_rule_stats_run_id_evaluation_runs')),
                    sa.PrimaryKeyConstraint('run_id', 'agency_id', 'rule_id', name=op.f('pk_run_agency_rule_stats')))
    op.create_index('ix_run_agency_rule_stats_agency', 'run_agency_rule_stats', ['agency_id', 'run_id'], unique=False)
    for table in TRAILS:
        append_only.create(table)
        append_only.protect(table)


def downgrade() -> None:
    for table in TRAILS:
        append_only.unprotect(table)
        append_only.drop(table)
    op.drop_index('ix_run_agency_rule_stats_agency', table_name='run_agency_rule_stats')
    op.drop_table('run_agency_rule_stats')
    op.drop_index(op.f('ix_acknowledgement_rounds_fiscal_year'), table_name='acknowledgement_rounds')
    op.drop_table('acknowledgement_rounds')
    op.drop_index(op.f('ix_calendar_entries_date'), table_name='calendar_entries')
    op.drop_table('calendar_entries')
