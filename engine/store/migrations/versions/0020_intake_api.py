"""the intake API: its tokens, their trail, and the trail of the rows posted

Revision ID: 0020
Revises: 0019

* ``api_tokens``: a token per agency with which another system posts that agency's records
  (engine/api); kept only as the SHA-256 of the token, which is shown once when it is made.
* ``api_token_events``: made, revoked, and every use of a token (refused ones, and tokens the
  store does not know, included), with the outcome and the client's address.
* ``intake_events``: every row a post stored (inserted, updated or unchanged), with its values.
* ``ix_cases_officer_agency``: the cases an officer decided for another agency, which a post
  counts when it evaluates its agency's officers.

Both trails are append-only (triggers), hash-chained and keyed like the others
(engine/store/audit.py), and sealed here under the current audit key, so that ``audit verify``
walks them from their first event.

Downgrade drops the three tables (their seals stay in ``audit_seals``, which is append-only).
"""
import sqlalchemy as sa
from alembic import op

from engine.store.migrations import append_only

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

TRAILS = ("api_token_events", "intake_events")


def upgrade() -> None:
    from sqlalchemy.orm import Session

    from engine.store import audit
    from engine.store.keys import audit_keys
    from engine.store.scope import SYSTEM

    op.create_table('api_tokens',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('agency_id', sa.String(length=128), nullable=False),
                    sa.Column('label', sa.Text(), nullable=False),
                    sa.Column('token_hash', sa.String(length=64), nullable=False),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.Column('created_by', sa.String(length=64), nullable=False),
                    sa.Column('revoked_at', sa.DateTime(), nullable=True),
                    sa.Column('revoked_by', sa.String(length=64), nullable=True),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
                    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')))
    op.create_index(op.f('ix_api_tokens_agency_id'), 'api_tokens', ['agency_id'], unique=False)
    op.create_table('api_token_events',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('at', sa.DateTime(), nullable=False),
                    sa.Column('actor', sa.String(length=64), nullable=False),
                    sa.Column('action', sa.String(length=16), nullable=False),
                    sa.Column('token_id', sa.Integer(), nullable=True),
                    sa.Column('agency_id', sa.String(length=128), nullable=True),
                    sa.Column('details', sa.JSON(), nullable=True),
                    sa.Column('prev_hash', sa.String(length=64), nullable=True),
                    sa.Column('row_hash', sa.String(length=64), nullable=True),
                    sa.Column('key_id', sa.SmallInteger(), server_default='0', nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token_events')))
    op.create_index(op.f('ix_api_token_events_token_id'), 'api_token_events', ['token_id'], unique=False)
    op.create_table('intake_events',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('at', sa.DateTime(), nullable=False),
                    sa.Column('actor', sa.String(length=64), nullable=False),
                    sa.Column('agency_id', sa.String(length=128), nullable=False),
                    sa.Column('import_id', sa.Integer(), nullable=False),
                    sa.Column('file', sa.String(length=32), nullable=False),
                    sa.Column('row_key', sa.Text(), nullable=False),
                    sa.Column('action', sa.String(length=16), nullable=False),
                    sa.Column('details', sa.JSON(), nullable=True),
                    sa.Column('prev_hash', sa.String(length=64), nullable=True),
                    sa.Column('row_hash', sa.String(length=64), nullable=True),
                    sa.Column('key_id', sa.SmallInteger(), server_default='0', nullable=False),
                    sa.ForeignKeyConstraint(['import_id'], ['dataset_imports.id'],
                                            name=op.f('fk_intake_events_import_id_dataset_imports')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_events')))
    op.create_index(op.f('ix_intake_events_agency_id'), 'intake_events', ['agency_id'], unique=False)
    # the cases an officer decided in other agencies, which a post's evaluation of the officer counts
    op.create_index('ix_cases_officer_agency', 'cases', ['officer_id', 'agency_id'], unique=False)
    for table in TRAILS:
        append_only.create(table)
        append_only.protect(table)
    # sealed at their start under the current key: every event must be keyed with it or a later one
    audit.seal(Session(bind=op.get_bind()), SYSTEM, audit_keys(), trails=TRAILS)


def downgrade() -> None:
    for table in TRAILS:
        append_only.unprotect(table)
        append_only.drop(table)
    op.drop_index('ix_cases_officer_agency', table_name='cases')
    op.drop_table('intake_events')
    op.drop_table('api_token_events')
    op.drop_table('api_tokens')
