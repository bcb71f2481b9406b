"""store releases: which release of discretion-review upgraded the store to which schema

Revision ID: 0014
Revises: 0010

``db upgrade`` (and every command, which upgrades first) records a row here whenever it moves
the schema: the release that did it and the revision it left. A release that finds the store
at a revision it does not know reads this table and says which release the store needs,
instead of failing inside Alembic.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('store_releases',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('release', sa.String(length=32), nullable=False),
                    sa.Column('revision', sa.String(length=32), nullable=False),
                    sa.Column('upgraded_at', sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_releases')))


def downgrade() -> None:
    op.drop_table('store_releases')
