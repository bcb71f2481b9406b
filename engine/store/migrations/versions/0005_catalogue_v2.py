"""rule catalogue v2: exchange format v2 columns and files; runs record their catalogue

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-26 03:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_COLUMNS = {
    'processes': [sa.Column('licensing', sa.Boolean(), nullable=True),
                  sa.Column('review_sample_percent', sa.Integer(), nullable=True),
                  sa.Column('it_exempt_reason', sa.Text(), nullable=True)],
    'officers': [sa.Column('rotation_post', sa.Boolean(), nullable=True)],
    'cases': [sa.Column('complete_on', sa.Date(), nullable=True),
              sa.Column('applicant_kind', sa.String(length=16), nullable=True),
              sa.Column('coi_permitted_by', sa.String(length=128), nullable=True)],
    'acknowledgements': [sa.Column('fiscal_year', sa.Integer(), nullable=True)],
}


def upgrade() -> None:
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(column)
    with op.batch_alter_table('evaluation_runs', schema=None) as batch_op:
        # every run before this revision evaluated catalogue v1
        batch_op.add_column(sa.Column('catalogue', sa.String(length=16), server_default='1', nullable=False))
    op.create_table('delay_notices',
    sa.Column('notice_id', sa.String(length=128), nullable=False),
    sa.Column('agency_id', sa.String(length=128), nullable=False),
    sa.Column('case_id', sa.String(length=128), nullable=False),
    sa.Column('notified_on', sa.Date(), nullable=False),
    sa.Column('opdc_copied', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('notice_id', name=op.f('pk_delay_notices'))
    )
    with op.batch_alter_table('delay_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delay_notices_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delay_notices_case_id'), ['case_id'], unique=False)
    op.create_table('parameter_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('process_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parameter_overrides'))
    )
    with op.batch_alter_table('parameter_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parameter_overrides_agency_id'), ['agency_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('parameter_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parameter_overrides_agency_id'))
    op.drop_table('parameter_overrides')
    with op.batch_alter_table('delay_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delay_notices_case_id'))
        batch_op.drop_index(batch_op.f('ix_delay_notices_agency_id'))
    op.drop_table('delay_notices')
    with op.batch_alter_table('evaluation_runs', schema=None) as batch_op:
        batch_op.drop_column('catalogue')
    for table, columns in reversed(list(_COLUMNS.items())):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_column(column.name)
