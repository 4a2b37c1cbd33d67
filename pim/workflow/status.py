"""Per-product, per-channel workflow status: reading it and the bulk writes publishing and
the catalog's write hook make. A product with no row is a draft in that channel."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from pim.db import utcnow
from pim.workflow.loading import _chunks
from pim.workflow.models import ProductChannelStatus

DRAFT, IN_REVIEW, APPROVED, PUBLISHED, WITHDRAWN = (
    "draft", "in_review", "approved", "published", "withdrawn")


def mark_changed_since_published(session: Session, product_ids: list[int]) -> None:
    for chunk in _chunks(sorted(set(product_ids)), 500):
        session.execute(
            update(ProductChannelStatus)
            .where(
                ProductChannelStatus.product_id.in_(chunk),
                ProductChannelStatus.published_version.is_not(None),
                ProductChannelStatus.changed_since_published.is_(False),
            )
            .values(changed_since_published=True, updated_at=utcnow())
        )


def statuses_of(session: Session, channel: str, product_ids: Iterable[int]
                ) -> dict[int, ProductChannelStatus]:
    found: dict[int, ProductChannelStatus] = {}
    for chunk in _chunks(sorted(set(product_ids)), 900):
        for row in session.scalars(select(ProductChannelStatus).where(
                ProductChannelStatus.channel_code == channel,
                ProductChannelStatus.product_id.in_(chunk))):
            found[row.product_id] = row
    return found


def status_of(session: Session, channel: str, product_id: int) -> str:
    row = session.get(ProductChannelStatus, (product_id, channel))
    return row.status if row else DRAFT


def set_statuses(session: Session, channel: str, changes: dict[int, dict], *,
                 actor: str | None) -> None:
    """Write ``{product_id: {column: value}}`` for one channel: update rows that exist,
    insert the others, each in one statement."""
    if not changes:
        return
    now = utcnow()
    existing = set()
    for chunk in _chunks(sorted(changes), 900):
        existing.update(session.scalars(select(ProductChannelStatus.product_id).where(
            ProductChannelStatus.channel_code == channel,
            ProductChannelStatus.product_id.in_(chunk))))
    columns = ("status", "changed_since_published", "published_version")
    updates = [{"b_pid": pid, **_full(values, columns, now, actor)}
               for pid, values in changes.items() if pid in existing]
    inserts = [{"product_id": pid, "channel_code": channel, **_defaults(),
                **_full(values, columns, now, actor)}
               for pid, values in changes.items() if pid not in existing]
    table = ProductChannelStatus.__table__
    by_shape: dict[tuple, list[dict]] = {}
    for row in updates:  # executemany needs one set of columns per statement
        by_shape.setdefault(tuple(sorted(row)), []).append(row)
    for shape, rows in by_shape.items():
        session.execute(
            update(table).where(table.c.product_id == bindparam("b_pid"),
                                table.c.channel_code == channel)
            .values({c: bindparam(c) for c in shape if c != "b_pid"}), rows)
    if inserts:
        session.execute(insert(table), inserts)
    session.expire_all()


def _defaults() -> dict:
    return {"status": DRAFT, "changed_since_published": False, "published_version": None}


def _full(values: dict, columns, now, actor) -> dict:
    row = {k: v for k, v in values.items() if k in columns}
    row["updated_at"], row["updated_by"] = now, actor
    return row
