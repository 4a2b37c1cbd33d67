"""Search tables: one document row per product, its facet terms, and each engine's index.

``search_documents`` holds what every SQL query needs beside the text index: the SKU and
identifiers (exact and fragment matches), the folded name (PostgreSQL trigram fragments),
family, enabled, labels per locale (what a hit shows) and timestamps (recency, sorting).
``search_terms`` holds one row per (product, facet field, value): categories with their
ancestors and the option codes of select attributes, so a facet is one grouped count.

The text index is engine-specific and created beside the tables (here, for ``create_all``,
and by migration 0006):

- SQLite: ``search_fts`` (FTS5, unicode61 with diacritics removed, prefix indexes of 2, 3
  and 4 characters; columns identifiers, name, body) and ``search_grams`` (FTS5 trigram
  over the identifiers: SKU and GTIN fragments through ``LIKE '%...%'``). Rowid = product id.
- PostgreSQL: the ``tsv`` column (weighted ``simple`` tsvector, GIN) and pg_trgm GIN
  indexes over identifiers and name (the migration creates the extension).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Boolean, ForeignKey, Index, String, Text, event
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from pim.db import Base

# Tables Alembic's model comparison leaves alone: FTS5 virtual tables and their shadows.
UNMANAGED_PREFIXES = ("search_fts", "search_grams")
Base.metadata.info.setdefault("unmanaged_table_prefixes", set()).update(UNMANAGED_PREFIXES)


class SearchDocument(Base):
    __tablename__ = "search_documents"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(255))
    family: Mapped[str | None] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # " sku gtin mpn ... " folded to lower case: exact and fragment matches
    identifiers: Mapped[str] = mapped_column(Text, default="")
    name: Mapped[str] = mapped_column(Text, default="")  # folded names, every locale
    labels: Mapped[dict] = mapped_column(default=dict)  # locale -> label, as written
    created_at: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()
    indexed_at: Mapped[datetime] = mapped_column()
    # PostgreSQL's weighted tsvector; unused (NULL) on SQLite, where search_fts holds it.
    tsv: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))


class SearchTerm(Base):
    """One facet value of one product: ("category", "audio"), ("colour", "red")."""

    __tablename__ = "search_terms"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)


Index("ix_search_documents_updated_at", SearchDocument.updated_at, SearchDocument.product_id)
Index("ix_search_documents_family", SearchDocument.family)
Index("ix_search_documents_sku", SearchDocument.sku)
Index("ix_search_terms_field_value", SearchTerm.field, SearchTerm.value, SearchTerm.product_id)
Index("ix_search_documents_tsv", SearchDocument.tsv,
      postgresql_using="gin").ddl_if(dialect="postgresql")
Index("ix_search_documents_identifiers_trgm", SearchDocument.identifiers,
      postgresql_using="gin", postgresql_ops={"identifiers": "gin_trgm_ops"}
      ).ddl_if(dialect="postgresql")
Index("ix_search_documents_name_trgm", SearchDocument.name,
      postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}
      ).ddl_if(dialect="postgresql")

# The engine-specific pieces, shared with migration 0006.
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "identifiers, name, body, tokenize = 'unicode61 remove_diacritics 2', "
    "prefix = '2 3 4')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_grams USING fts5("
    "identifiers, tokenize = 'trigram')",
)
SQLITE_DROP = ("DROP TABLE IF EXISTS search_fts", "DROP TABLE IF EXISTS search_grams")
POSTGRES_EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"

event.listen(SearchDocument.__table__, "before_create",
             DDL(POSTGRES_EXTENSION).execute_if(dialect="postgresql"))
for _statement in SQLITE_CREATE:
    event.listen(SearchDocument.__table__, "after_create",
                 DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_DROP:
    event.listen(SearchDocument.__table__, "after_drop",
                 DDL(_statement).execute_if(dialect="sqlite"))
