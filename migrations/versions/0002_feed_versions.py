"""feed versions: publications counted per channel and locale

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 05:00:00

Snapshots published before this revision are numbered by their ``published_at`` (each
distinct moment one publication, per channel and locale), and each feed's counter starts
at the highest number, so feeds keep counting from where their history stands.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'feed_versions',
        sa.Column('channel_code', sa.String(length=100), nullable=False),
        sa.Column('locale', sa.String(length=16), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['channel_code'], ['channels.code'],
                                name=op.f('fk_feed_versions_channel_code_channels'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('channel_code', 'locale', name=op.f('pk_feed_versions')),
    )
    op.add_column('snapshots', sa.Column('feed_version', sa.Integer(), nullable=True))
    # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33.
    op.execute(
        "UPDATE snapshots SET feed_version = numbered.feed_version FROM ("
        " SELECT id, dense_rank() OVER (PARTITION BY channel_code, locale"
        " ORDER BY published_at) AS feed_version FROM snapshots) AS numbered"
        " WHERE snapshots.id = numbered.id")
    op.execute(
        "INSERT INTO feed_versions (channel_code, locale, version)"
        " SELECT channel_code, locale, max(feed_version) FROM snapshots"
        " GROUP BY channel_code, locale")


def downgrade() -> None:
    with op.batch_alter_table('snapshots', schema=None) as batch_op:
        batch_op.drop_column('feed_version')
    op.drop_table('feed_versions')
