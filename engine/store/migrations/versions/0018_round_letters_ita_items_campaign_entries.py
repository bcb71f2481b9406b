"""round letters, ITA items per fiscal year, campaign entries

Revision ID: 0018
Revises: 0017

* ``acknowledgement_rounds`` gets the province's letter that opened the round: its number,
  date, subject and signatory (the acknowledgement form is addressed to the signatory and
  cites the letter, SPEC §5). Empty in the rounds opened before; hashed only when they hold a
  value (``audit.ADDED_LATER``), so those rounds keep their hashes.
* ``ita_items``: the ITA item(s) an administrator recorded for a fiscal year, with the source
  (``kb/ita.yaml`` has the years known at release). Appended only, hash-chained and keyed.
* ``campaign_entries``: a self-assessment campaign opened or its due date corrected, appended
  only, hash-chained and keyed; each campaign already stored has its opening recorded (as
  its creator, at its creation time), so its history starts where the store's does.
* The two new trails are sealed under the current audit key (with every other trail, as a key
  rotation seals them): ``audit verify`` walks them from now on.

Downgrade drops the two trails and the letters (the rounds keep their deadlines and sources;
a round whose letter was recorded no longer verifies under 0017's code, which never hashed it).
"""
import sqlalchemy as sa
from alembic import op

from engine.store.migrations import append_only

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

TRAILS = ("ita_items", "campaign_entries")
LETTER = ("letter_number", "letter_date", "subject", "signatory")


def upgrade() -> None:
    from sqlalchemy.orm import Session

    from engine.store import audit
    from engine.store.keys import audit_keys
    from engine.store.schema import CampaignEntryRow
    from engine.store.scope import SYSTEM

    # a plain ALTER TABLE: SQLite's batch copy would lose the table's triggers
    op.add_column('acknowledgement_rounds', sa.Column('letter_number', sa.Text(), nullable=True))
    op.add_column('acknowledgement_rounds', sa.Column('letter_date', sa.Date(), nullable=True))
    op.add_column('acknowledgement_rounds', sa.Column('subject', sa.Text(), nullable=True))
    op.add_column('acknowledgement_rounds', sa.Column('signatory', sa.Text(), nullable=True))
    op.create_table('ita_items',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('at', sa.DateTime(), nullable=False),
                    sa.Column('actor', sa.String(length=64), nullable=False),
                    sa.Column('fiscal_year', sa.Integer(), nullable=False),
                    sa.Column('items', sa.Text(), nullable=False),
                    sa.Column('indicator', sa.Text(), nullable=True),
                    sa.Column('title_th', sa.Text(), nullable=True),
                    sa.Column('source', sa.Text(), nullable=False),
                    sa.Column('prev_hash', sa.String(length=64), nullable=True),
                    sa.Column('row_hash', sa.String(length=64), nullable=True),
                    sa.Column('key_id', sa.SmallInteger(), server_default='0', nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_ita_items')))
    op.create_index(op.f('ix_ita_items_fiscal_year'), 'ita_items', ['fiscal_year'], unique=False)
    op.create_table('campaign_entries',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('at', sa.DateTime(), nullable=False),
                    sa.Column('actor', sa.String(length=64), nullable=False),
                    sa.Column('campaign_id', sa.Integer(), nullable=False),
                    sa.Column('fiscal_year', sa.Integer(), nullable=False),
                    sa.Column('action', sa.String(length=16), nullable=False),
                    sa.Column('due_date', sa.Date(), nullable=False),
                    sa.Column('reason', sa.Text(), nullable=True),
                    sa.Column('prev_hash', sa.String(length=64), nullable=True),
                    sa.Column('row_hash', sa.String(length=64), nullable=True),
                    sa.Column('key_id', sa.SmallInteger(), server_default='0', nullable=False),
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                            name=op.f('fk_campaign_entries_campaign_id_campaigns')),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_entries')))
    op.create_index(op.f('ix_campaign_entries_campaign_id'), 'campaign_entries', ['campaign_id'], unique=False)
    for table in TRAILS:
        append_only.create(table)
        append_only.protect(table)

    keys = audit_keys()
    session = Session(bind=op.get_bind())
    audit.seal(session, SYSTEM, keys)  # the new trails (empty) and the others, under the current key
    campaigns = sa.table('campaigns', sa.column('id', sa.Integer()), sa.column('fiscal_year', sa.Integer()),
                         sa.column('due_date', sa.Date()), sa.column('created_by', sa.String()),
                         sa.column('created_at', sa.DateTime()))
    opened = [{"actor": c.created_by, "at": c.created_at, "campaign_id": c.id, "fiscal_year": c.fiscal_year,
               "action": "opened", "due_date": c.due_date, "reason": None}
              for c in session.execute(sa.select(campaigns).order_by(campaigns.c.id))]
    audit.append(session, CampaignEntryRow, opened, keys)
    session.flush()


def downgrade() -> None:
    for table in TRAILS:
        append_only.unprotect(table)
        append_only.drop(table)
    op.drop_index(op.f('ix_campaign_entries_campaign_id'), table_name='campaign_entries')
    op.drop_table('campaign_entries')
    op.drop_index(op.f('ix_ita_items_fiscal_year'), table_name='ita_items')
    op.drop_table('ita_items')
    for column in LETTER:  # a plain ALTER TABLE, as 0017 drops key_id: the triggers stay
        op.execute(f"ALTER TABLE acknowledgement_rounds DROP COLUMN {column}")
