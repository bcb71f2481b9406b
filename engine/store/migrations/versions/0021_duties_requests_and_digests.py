"""duties due soon, requests for information to a named officer, and the daily digest

Revision ID: 0021
Revises: 0017

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
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0017'
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
