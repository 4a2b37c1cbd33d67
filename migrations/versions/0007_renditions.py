"""renditions: specs by hash, channels' named renditions, drawn (asset, spec) pairs

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pim.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rendition_specs',
        sa.Column('spec_hash', sa.String(length=16), nullable=False),
        sa.Column('spec', pim.db.JSONType, nullable=False),
        sa.Column('created_at', pim.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('spec_hash', name=op.f('pk_rendition_specs')),
    )
    op.create_table(
        'channel_renditions',
        sa.Column('channel_code', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('spec_hash', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['spec_hash'], ['rendition_specs.spec_hash'],
                                name=op.f('fk_channel_renditions_spec_hash_rendition_specs')),
        sa.PrimaryKeyConstraint('channel_code', 'name', name=op.f('pk_channel_renditions')),
    )
    with op.batch_alter_table('channel_renditions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_renditions_spec_hash'), ['spec_hash'],
                              unique=False)
    op.create_table(
        'renditions',
        sa.Column('asset_sha256', sa.String(length=64), nullable=False),
        sa.Column('spec_hash', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=True),
        sa.Column('error', sa.String(length=1000), nullable=True),
        sa.Column('created_at', pim.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['asset_sha256'], ['assets.sha256'],
                                name=op.f('fk_renditions_asset_sha256_assets'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['spec_hash'], ['rendition_specs.spec_hash'],
                                name=op.f('fk_renditions_spec_hash_rendition_specs')),
        sa.PrimaryKeyConstraint('asset_sha256', 'spec_hash', name=op.f('pk_renditions')),
    )
    with op.batch_alter_table('renditions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_renditions_spec_hash'), ['spec_hash'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('renditions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renditions_spec_hash'))
    op.drop_table('renditions')
    with op.batch_alter_table('channel_renditions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_renditions_spec_hash'))
    op.drop_table('channel_renditions')
    op.drop_table('rendition_specs')
