"""search: documents, facet terms and each engine's text index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 14:50:00

SQLite gets FTS5 tables (words, and trigrams of the identifiers); PostgreSQL a weighted
tsvector with GIN and pg_trgm GIN indexes (the extension is created here). Every product
is marked dirty, so the first ``search.index`` job (or ``pim search reindex``) fills them.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import pim.db
from pim.search.models import POSTGRES_EXTENSION, SQLITE_CREATE, SQLITE_DROP

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(POSTGRES_EXTENSION)
    op.create_table(
        'search_documents',
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('sku', sa.String(length=255), nullable=False),
        sa.Column('family', sa.String(length=100), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('identifiers', sa.Text(), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('labels', pim.db.JSONType, nullable=False),
        sa.Column('created_at', pim.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', pim.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('indexed_at', pim.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('tsv', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'),
                  nullable=True),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_search_documents_product_id_products'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('product_id', name=op.f('pk_search_documents')),
    )
    op.create_table(
        'search_terms',
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=100), nullable=False),
        sa.Column('value', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                                name=op.f('fk_search_terms_product_id_products'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('product_id', 'field', 'value', name=op.f('pk_search_terms')),
    )
    op.create_index('ix_search_documents_updated_at', 'search_documents',
                    ['updated_at', 'product_id'])
    op.create_index('ix_search_documents_family', 'search_documents', ['family'])
    op.create_index('ix_search_documents_sku', 'search_documents', ['sku'])
    op.create_index('ix_search_terms_field_value', 'search_terms',
                    ['field', 'value', 'product_id'])
    if postgres:
        op.create_index('ix_search_documents_tsv', 'search_documents', ['tsv'],
                        postgresql_using='gin')
        op.create_index('ix_search_documents_identifiers_trgm', 'search_documents',
                        ['identifiers'], postgresql_using='gin',
                        postgresql_ops={'identifiers': 'gin_trgm_ops'})
        op.create_index('ix_search_documents_name_trgm', 'search_documents', ['name'],
                        postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    else:
        for statement in SQLITE_CREATE:
            op.execute(statement)
    op.execute("UPDATE products SET search_dirty = "
               + ("true" if postgres else "1"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            op.execute(statement)
    op.drop_table('search_terms')
    op.drop_table('search_documents')
