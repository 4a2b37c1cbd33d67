"""products: drop search_text

The ILIKE search over ``products.search_text`` was replaced by the search slice (its own
documents and indexes, migration 0006); the column was still computed on every product
write (some 15 % of a CSV import's time) and read only by the editor's reference
suggestions, which now ask the search slice too.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 18:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('products') as batch:
        batch.drop_column('search_text')


def downgrade() -> None:
    with op.batch_alter_table('products') as batch:
        batch.add_column(sa.Column('search_text', sa.Text(), nullable=False,
                                   server_default=''))
