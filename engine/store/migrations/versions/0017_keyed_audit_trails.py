"""keyed audit trails: key ids, seals, and the state older events could not tell

Revision ID: 0017
Revises: 0016

* Every hash-chained table gets ``key_id``: the audit key (engine/store/keys.py, kept outside
  the database) whose HMAC-SHA256 is the event's ``row_hash``. Events written before this
  revision keep their hashes and get key id 0 (SHA-256, no key): they still verify.
* ``audit_seals``: where each trail stood when it was sealed under a key — here, under the
  first key, which this revision makes (``var/audit-keys``, or ``DISCRETION_AUDIT_KEY_FILE``)
  if there is none — and after each key rotation. An unkeyed event after the seal is refused by
  ``audit verify``, and rewriting the unkeyed events before it breaks the trail at the seal.
* ``state_recorded`` events (keyed, after the seals) for each flag and user whose row differs
  from what its older events say (``audit verify`` replays them from now on): a flag whose
  version a run moved with its severity (no event was written for that before), an account
  made before user events existed. The numbers are printed; each event names what differed.
* PostgreSQL: ``discretion_analyze_flags()``, which a role without the table's ownership (the
  app's, docs/audit.md) calls to refresh the planner's statistics after a run.

Downgrade gives every event a plain SHA-256 hash again (in id order) and drops the key ids
and seals; the ``state_recorded`` and ``severity_changed`` events stay (they are history).
"""
import sys

import sqlalchemy as sa
from alembic import op

from engine.store.migrations import append_only

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

TRAILS = ("flag_events", "assessment_events", "user_events", "calendar_entries", "acknowledgement_rounds")


def upgrade() -> None:
    from sqlalchemy.orm import Session

    from engine.store import audit, replay
    from engine.store.keys import audit_keys
    from engine.store.schema import FlagEvent, UserEvent
    from engine.store.scope import SYSTEM

    for table in TRAILS:  # a plain ALTER TABLE: SQLite's batch copy would lose the triggers
        op.add_column(table, sa.Column('key_id', sa.SmallInteger(), server_default='0', nullable=False))
    op.create_table('audit_seals',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('at', sa.DateTime(), nullable=False),
                    sa.Column('actor', sa.String(length=64), nullable=False),
                    sa.Column('chain', sa.String(length=64), nullable=False),
                    sa.Column('last_id', sa.Integer(), nullable=True),
                    sa.Column('last_hash', sa.String(length=64), nullable=False),
                    sa.Column('prev_hash', sa.String(length=64), nullable=True),
                    sa.Column('row_hash', sa.String(length=64), nullable=True),
                    sa.Column('key_id', sa.SmallInteger(), server_default='0', nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_seals')))
    append_only.create('audit_seals')
    append_only.protect('audit_seals')
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
        op.execute(f"""
            CREATE FUNCTION discretion_analyze_flags() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp AS $$
            BEGIN EXECUTE 'ANALYZE {schema}.flags'; END $$""")
        op.execute("REVOKE ALL ON FUNCTION discretion_analyze_flags() FROM PUBLIC")

    keys = audit_keys()  # made here when there is none: the store is keyed from now on
    session = Session(bind=bind)
    audit.seal(session, SYSTEM, keys)
    flags, users = replay.FlagReplay(), replay.UserReplay()
    for kind, table in ((flags, "flag_events"), (users, "user_events")):
        for row_id, _, _, content in audit.chain_rows(session, table):
            kind.feed(row_id, content)
    flag_rows, user_rows = [], []
    for flag_id, diff, _, stored in flags.differences(session):
        details = dict(zip(replay.FLAG_FIELDS, stored))
        before = flags.state.get(flag_id)
        flag_rows.append({"flag_id": flag_id, "actor": "system", "action": replay.RECORDED,
                          "from_status": before[0] if before else None, "to_status": details["status"],
                          "reason": None, "run_id": None,
                          "details": {**details, "differed": sorted(diff) if diff else ["events"]}})
    for name, diff, _, stored in users.differences(session):
        if diff == {}:  # events, no account (deleted outside the app): the trail says so now
            user_rows.append({"actor": "system", "action": replay.RECORDED, "username": name,
                              "details": {"exists": False}})
            continue
        role, agency_id, active = stored
        user_rows.append({"actor": "system", "action": replay.RECORDED, "username": name,
                          "details": {"role": role, "agency_id": agency_id, "active": bool(active),
                                      "differed": sorted(diff) if diff else ["events"]}})
    audit.append(session, FlagEvent, flag_rows, keys)
    audit.append(session, UserEvent, user_rows, keys)
    session.flush()
    if flag_rows or user_rows:
        print(f"0017: the audit trails are keyed (key id {keys.current[0]}, {keys.path}); the state of "
              f"{len(flag_rows)} flags and {len(user_rows)} users, which their older events could not tell, is "
              "recorded in their trails (action state_recorded)", file=sys.stderr)


def downgrade() -> None:
    from engine.store.audit import rehash_all

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS discretion_analyze_flags()")
    append_only.unprotect('audit_seals')
    append_only.drop('audit_seals')
    op.drop_table('audit_seals')
    for table in TRAILS:  # every event hashed as before keys: the triggers step aside for it
        append_only.unprotect(table)
        append_only.drop(table)
    rehash_all(bind)
    for table in TRAILS:
        append_only.create(table)
        append_only.protect(table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN key_id")
