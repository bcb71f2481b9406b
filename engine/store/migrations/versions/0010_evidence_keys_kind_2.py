"""evidence keys of a second kind: older releases must not run on this store

Revision ID: 0010
Revises: 0009

A run now stores a new flag's ``evidence_key`` as ``"2:"`` and a BLAKE2b of its stable
evidence (orjson, sorted keys), and compares a flag stored with the first kind of key (a
SHA-256 of the standard library's JSON) by that kind. A release from before would take every
second-kind key for changed evidence and reopen decided flags: this revision, which such a
release does not know, makes it refuse the store instead. No schema change.

Downgrade gives every second-kind key back its first kind, computed from the stored evidence
(the evidence it was made from), so the release before reads the store as its own.
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
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
    rows = bind.execute(sa.select(flags.c.flag_id, flags.c.evidence).where(flags.c.evidence_key.like("2:%"))).all()
    for flag_id, evidence in rows:
        stable = {k: v for k, v in evidence.items() if k not in VOLATILE}
        key = hashlib.sha256(json.dumps(stable, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
        bind.execute(flags.update().where(flags.c.flag_id == flag_id).values(evidence_key=key))
