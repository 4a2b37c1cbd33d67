"""History: the versions of a product or product model, as recorded by the writers.

History knows rows, not products: whether the product exists, and restoring a version, are
the catalog's (``pim.catalog.versions``), which writes every version it records here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.history.models import HistoryEntry


def list_entries(session: Session, code: str, *, entity: str = "product") -> list[HistoryEntry]:
    """Every recorded version of ``code`` (a SKU or a model code), oldest first."""
    return list(session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.entity == entity, HistoryEntry.code == code)
        .order_by(HistoryEntry.version)
    ))


def recent_entries(session: Session, code: str, *, before: int | None = None, limit: int = 50,
                   entity: str = "product") -> list[HistoryEntry]:
    """Up to ``limit`` versions of ``code``, newest first, older than version ``before`` when
    given: one page of a long history (an import run nightly adds a version a day)."""
    query = (select(HistoryEntry)
             .where(HistoryEntry.entity == entity, HistoryEntry.code == code)
             .order_by(HistoryEntry.version.desc()).limit(limit))
    if before is not None:
        query = query.where(HistoryEntry.version < before)
    return list(session.scalars(query))


def get_entry(session: Session, code: str, version: int, *,
              entity: str = "product") -> HistoryEntry | None:
    return session.scalar(select(HistoryEntry).where(
        HistoryEntry.entity == entity, HistoryEntry.code == code,
        HistoryEntry.version == version))


def history_out(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "version": entry.version,
        "changed_at": entry.changed_at,
        "changed_by": entry.changed_by,
        "source": entry.source,
        "diff": entry.changes,
    }
