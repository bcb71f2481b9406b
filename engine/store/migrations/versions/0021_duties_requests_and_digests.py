"""duties due soon, requests for information to a named officer, and the daily digest

Revision ID: 0021
Revises: 0020

* ``duties``: what each run found due within ``warn_within_working_days`` and not yet late, per
  agency (a run replaces its agencies' rows with its flags, in one transaction).
* ``information_requests``: a request for information on a flag, to a named officer, with a
  reply-by date on the government calendar; its answer. The flag's ``request_info`` and
  ``answer`` events name it (``details.request_id``) and ``audit verify`` replays it. Requests
  made before this revision keep only their events (they had no addressee).
* ``notification_settings``: a user's e-mail address, the digest's language and whether they
  want it (each change is a ``user_events`` event).
* ``digests_sent``: what ``notify`` sent — who, which day, when, counts, Message-ID; never the
  body. One row per user and day.

The requests and settings are rebuilt from their events when the trail already names them (a
store downgraded below this revision and upgraded again): the events are the record, the rows
what lists read. A downgrade drops the four tables; the next run writes the duties again, and
the log of digests sent starts anew (a digest of that day may then be sent again).
"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('duties',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('run_id', sa.Integer(), nullable=False),
                    sa.Column('agency_id', sa.String(length=128), nullable=False),
                    sa.Column('rule_id', sa.String(length=64), nullable=False),
                    sa.Column('measure', sa.String(length=8), nullable=False),
                    sa.Column('subject_type', sa.String(length=16), nullable=False),
                    sa.Column('subject_id', sa.String(length=128), nullable=False),
                    sa.Column('applicant', sa.String(length=128), nullable=True),
                    sa.Column('process_id', sa.String(length=128), nullable=True),
                    sa.Column('officer_id', sa.String(length=128), nullable=True),
                    sa.Column('flag_id', sa.String(length=32), nullable=True),
                    sa.Column('due_on', sa.Date(), nullable=False),
                    sa.Column('working_days_left', sa.Integer(), nullable=False),
                    sa.Column('message_th', sa.Text(), nullable=False),
                    sa.Column('message_en', sa.Text(), nullable=False),
                    sa.ForeignKeyConstraint(['run_id'], ['evaluation_runs.id'],
                                            name=op.f('fk_duties_run_id_evaluation_runs')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_duties')))
    op.create_index('ix_duties_agency_due', 'duties', ['agency_id', 'due_on'], unique=False)
    op.create_index(op.f('ix_duties_officer_id'), 'duties', ['officer_id'], unique=False)
    op.create_table('information_requests',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('flag_id', sa.String(length=32), nullable=False),
                    sa.Column('agency_id', sa.String(length=128), nullable=False),
                    sa.Column('officer_id', sa.String(length=128), nullable=True),
                    sa.Column('question', sa.Text(), nullable=False),
                    sa.Column('asked_by', sa.String(length=64), nullable=False),
                    sa.Column('asked_at', sa.DateTime(), nullable=False),
                    sa.Column('reply_within_days', sa.Integer(), nullable=True),
                    sa.Column('reply_by', sa.Date(), nullable=True),
                    sa.Column('answer', sa.Text(), nullable=True),
                    sa.Column('answered_by', sa.String(length=64), nullable=True),
                    sa.Column('answered_at', sa.DateTime(), nullable=True),
                    sa.ForeignKeyConstraint(['flag_id'], ['flags.flag_id'],
                                            name=op.f('fk_information_requests_flag_id_flags')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_requests')))
    op.create_index(op.f('ix_information_requests_flag_id'), 'information_requests', ['flag_id'], unique=False)
    op.create_index(op.f('ix_information_requests_officer_id'), 'information_requests', ['officer_id'], unique=False)
    op.create_index('ix_information_requests_agency_reply', 'information_requests', ['agency_id', 'reply_by'],
                    unique=False)
    op.create_table('notification_settings',
                    sa.Column('username', sa.String(length=64), nullable=False),
                    sa.Column('email', sa.String(length=254), nullable=True),
                    sa.Column('lang', sa.String(length=2), server_default='th', nullable=False),
                    sa.Column('digest', sa.Boolean(), nullable=False),
                    sa.Column('updated_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['username'], ['users.username'],
                                            name=op.f('fk_notification_settings_username_users')),
                    sa.PrimaryKeyConstraint('username', name=op.f('pk_notification_settings')))
    op.create_table('digests_sent',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('username', sa.String(length=64), nullable=False),
                    sa.Column('day', sa.Date(), nullable=False),
                    sa.Column('status', sa.String(length=16), nullable=False),
                    sa.Column('claimed_at', sa.DateTime(), nullable=False),
                    sa.Column('sent_at', sa.DateTime(), nullable=True),
                    sa.Column('flags_until', sa.DateTime(), nullable=False),
                    sa.Column('counts', sa.JSON(), nullable=False),
                    sa.Column('message_id', sa.String(length=255), nullable=False),
                    sa.Column('error', sa.Text(), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_digests_sent')),
                    sa.UniqueConstraint('username', 'day', name='uq_digests_sent_username_day'))
    _rebuild()


def _rebuild() -> None:
    """The requests and notification settings the trails name (see the docstring)."""
    bind = op.get_bind()
    events = sa.table("flag_events", sa.column("id", sa.Integer), sa.column("flag_id", sa.String),
                      sa.column("at", sa.DateTime), sa.column("actor", sa.String), sa.column("action", sa.String),
                      sa.column("reason", sa.Text), sa.column("details", sa.JSON))
    flags = sa.table("flags", sa.column("flag_id", sa.String), sa.column("agency_id", sa.String))
    agency = dict(bind.execute(sa.select(flags.c.flag_id, flags.c.agency_id)).all())
    rows: dict[int, dict] = {}
    for _, flag_id, at, actor, action, reason, details in bind.execute(
            sa.select(events).where(events.c.action.in_(("request_info", "answer"))).order_by(events.c.id)):
        request_id = (details or {}).get("request_id")
        if request_id is None:
            continue
        if action == "request_info":
            reply_by = details.get("reply_by")
            rows[request_id] = {"id": request_id, "flag_id": flag_id, "agency_id": agency.get(flag_id, ""),
                                "officer_id": details.get("officer_id"), "question": reason or "", "asked_by": actor,
                                "asked_at": at, "reply_within_days": details.get("reply_within_days"),
                                "reply_by": dt.date.fromisoformat(reply_by) if reply_by else None,
                                "answer": None, "answered_by": None, "answered_at": None}
        elif request_id in rows:
            rows[request_id].update(answer=reason, answered_by=actor, answered_at=at)
    if rows:
        op.bulk_insert(sa.table("information_requests", *(sa.column(c) for c in next(iter(rows.values())))),
                       list(rows.values()))
        if bind.dialect.name == "postgresql":
            op.execute("SELECT setval(pg_get_serial_sequence('information_requests', 'id'), "
                       "(SELECT max(id) FROM information_requests))")
    users = sa.table("user_events", sa.column("id", sa.Integer), sa.column("at", sa.DateTime),
                     sa.column("action", sa.String), sa.column("username", sa.String), sa.column("details", sa.JSON))
    settings: dict[str, dict] = {}
    for _, at, _, username, details in bind.execute(
            sa.select(users).where(users.c.action == "notification_settings").order_by(users.c.id)):
        details = details or {}
        settings[username] = {"username": username, "email": details.get("email"), "lang": details.get("lang", "th"),
                              "digest": bool(details.get("digest", True)), "updated_at": at}
    if settings:
        op.bulk_insert(sa.table("notification_settings", *(sa.column(c) for c in next(iter(settings.values())))),
                       list(settings.values()))


def downgrade() -> None:
    op.drop_table('digests_sent')
    op.drop_table('notification_settings')
    op.drop_index('ix_information_requests_agency_reply', table_name='information_requests')
    op.drop_index(op.f('ix_information_requests_officer_id'), table_name='information_requests')
    op.drop_index(op.f('ix_information_requests_flag_id'), table_name='information_requests')
    op.drop_table('information_requests')
    op.drop_index(op.f('ix_duties_officer_id'), table_name='duties')
    op.drop_index('ix_duties_agency_due', table_name='duties')
    op.drop_table('duties')
