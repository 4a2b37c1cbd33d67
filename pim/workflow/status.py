"""Per-product, per-channel workflow status: reading it and the bulk writes publishing and
the catalog's write hook make. A product with no row is a draft in that channel."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from pim.db import chunks, utcnow
from pim.workflow.models import WORKFLOW_STATUSES, ProductChannelStatus

DRAFT, IN_REVIEW, APPROVED, PUBLISHED, WITHDRAWN = WORKFLOW_STATUSES


def mark_changed_since_published(session: Session, product_ids: list[int]) -> None:
    """Flag the published channels of ``product_ids`` as changed since publication.

    Runs on every catalog write (one product per UI edit), so it is one prebuilt table
    statement; status objects this session already holds are expired to match."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    session.flush()  # the statement is not an ORM one, so it would not autoflush
    now = utcnow()
    for chunk in chunks(ids, 500):
        session.execute(_MARK_CHANGED, {"ids": chunk, "now": now})
    _expire_statuses(session, set(ids))


def _expire_statuses(session: Session, product_ids: set[int]) -> None:
    for state in list(session.identity_map.all_states()):
        if (state.class_ is ProductChannelStatus and state.key is not None
                and state.key[1][0] in product_ids):
            row = state.obj()
            if row is not None:
                session.expire(row, ["changed_since_published", "updated_at"])


_STATUS = ProductChannelStatus.__table__
_MARK_CHANGED = (
    update(_STATUS)
    .where(
        _STATUS.c.product_id.in_(bindparam("ids", expanding=True)),
        _STATUS.c.published_version.is_not(None),
        _STATUS.c.changed_since_published.is_(False),
    )
    .values(changed_since_published=True, updated_at=bindparam("now"))
)


def statuses_of(session: Session, channel: str, product_ids: Iterable[int]
                ) -> dict[int, ProductChannelStatus]:
    found: dict[int, ProductChannelStatus] = {}
    for chunk in chunks(sorted(set(product_ids)), 900):
        for row in session.scalars(select(ProductChannelStatus).where(
                ProductChannelStatus.channel_code == channel,
                ProductChannelStatus.product_id.in_(chunk))):
            found[row.product_id] = row
    return found


def set_statuses(session: Session, channel: str, changes: dict[int, dict], *,
                 actor: str | None) -> None:
    """Write ``{product_id: {column: value}}`` for one channel: update rows that exist,
    insert the others, each in one statement."""
    if not changes:
        return
    now = utcnow()
    existing: set[int] = set()
    for chunk in chunks(sorted(changes), 900):
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
