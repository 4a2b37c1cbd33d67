"""History: one row per version of a product or product model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pim.db import Base, utcnow
from pim.history.diff import creation_diff


class HistoryEntry(Base):
    __tablename__ = "history"
    __table_args__ = (UniqueConstraint("entity", "code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))  # product | product_model
    # sku or model code; looked up with the entity, through the unique index
    code: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    changed_by: Mapped[str | None] = mapped_column(String(255))
    # ui | api | cli | import:<job id> | erp:<connector> | restore:<version>
    source: Mapped[str] = mapped_column(String(100))
    # field-level diff: [{"field": "values.name-en_GB", "old": ..., "new": ...}]; empty for a
    # product's creation, whose diff is its whole state (see ``changes``)
    diff: Mapped[list] = mapped_column(default=list)
    # the full state after this change, so any version can be restored
    state: Mapped[dict] = mapped_column(default=dict)

    @property
    def changes(self) -> list[dict]:
        """What this version changed. A product's creation stores no diff: everything its
        state sets changed, and storing it twice doubled the size of an import's history."""
        if self.diff or self.entity != "product" or self.version != 1:
            return self.diff
        return creation_diff(self.state)
