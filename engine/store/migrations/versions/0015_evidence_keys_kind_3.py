"""evidence keys of a third kind: releases from before catalogue v3 must not run on this store

Revision ID: 0015
Revises: 0014

Catalogue v3's runs store a flag's ``evidence_key`` as ``"3:"`` and a BLAKE2b of what a
decision rests on (no parameter's source wording, no empty keys), and compare a flag stored
with an older kind of key by its stored evidence. A release from before would take every
third-kind key for changed evidence and reopen decided flags: this revision, which such a
release does not know, makes it refuse the store instead. No schema change.

Downgrade gives every third-kind key back the second kind, computed from the stored evidence,
so the release before reads the store as its own.
"""
import hashlib

import orjson
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# runs.VOLATILE_EVIDENCE as it was when keys changed kind (kept here: a migration is frozen)
VOLATILE = frozenset({"days_since_decision", "days_since_deviation", "max_investigation_days", "manual_age_days",
                      "days_since_committee_analysis", "days_since_monitoring_report", "years_in_position", "elapsed",
                      "corrective_actions_overdue", "oldest_due_date", "discretionary_decided_cases",
                      "latest_case_ids", "sample_size", "sample_reviewed"})


def upgrade() -> None:
    pass


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
