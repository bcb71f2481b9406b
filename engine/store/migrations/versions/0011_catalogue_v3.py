"""rule catalogue v3: exchange format v3 columns (affects_others, coi_ground, coi_exception,
effective_from)

A v2 store upgrades with every decision kept: the next run evaluates catalogue v3, which
clears 1.5-ethics-not-acknowledged's case flags (by data, never deleted) and raises its
officer flags; every other rule's flag ids stay.

Runs now store evidence keys of a third kind ("3:", over what a decision rests on: no
parameter's source wording, no empty keys) and compare a flag stored with an older kind by its
stored evidence. Downgrade gives every third-kind key back the second kind, computed from the
stored evidence, so the release before reads the store as its own.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 21:30:00
"""
import hashlib

import orjson
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


# runs.VOLATILE_EVIDENCE as it was when keys changed kind (kept here: a migration is frozen)
VOLATILE = frozenset({"days_since_decision", "days_since_deviation", "max_investigation_days", "manual_age_days",
                      "days_since_committee_analysis", "days_since_monitoring_report", "years_in_position", "elapsed",
                      "corrective_actions_overdue", "oldest_due_date", "discretionary_decided_cases",
                      "latest_case_ids", "sample_size", "sample_reviewed"})


def downgrade() -> None:
    bind = op.get_bind()
    flags = sa.table("flags", sa.column("flag_id", sa.String), sa.column("evidence", sa.JSON),
                     sa.column("evidence_key", sa.String))
    rows = bind.execute(sa.select(flags.c.flag_id, flags.c.evidence).where(flags.c.evidence_key.like("3:%"))).all()
    for flag_id, evidence in rows:
        stable = {k: v for k, v in evidence.items() if k not in VOLATILE}
        key = "2:" + hashlib.blake2b(orjson.dumps(stable, option=orjson.OPT_SORT_KEYS, default=str),
                                     digest_size=16).hexdigest()
        bind.execute(flags.update().where(flags.c.flag_id == flag_id).values(evidence_key=key))
    for table, columns in reversed(list(_COLUMNS.items())):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_column(column.name)
