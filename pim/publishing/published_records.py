"""The products a channel's feed publishes, as product records, for the formats that write
the catalog's own data rather than the channel's projection (Akeneo's NDJSON).

Feeds serve what was published, so a product is read from its history at the version its
current snapshot was made from (``Snapshot.product_version``), and its product models as
they stood when the feed last changed (the newest ``published_at`` among the snapshots
served). Models come first, a parent before its children; then products, grouped by model
in SKU order, as the variant feeds are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from pim.catalog.models import ProductModel
from pim.history.models import HistoryEntry
from pim.publishing.models import Snapshot
from pim.records import AssociationLink, ProductRecord

CHUNK = 500


def iter_published_records(session: Session, channel: str, locale: str, *,
                           since: datetime | None = None) -> Iterator[ProductRecord]:
    """Models, then products, of the feed (channel, locale); a delta's (``since``) only."""
    query = (select(Snapshot.sku, Snapshot.product_version, Snapshot.parent_sku,
                    Snapshot.published_at)
             .where(Snapshot.channel_code == channel, Snapshot.locale == locale,
                    Snapshot.is_current.is_(True), Snapshot.withdrawn.is_(False))
             .order_by(func.coalesce(Snapshot.parent_sku, Snapshot.sku), Snapshot.sku))
    if since is not None:
        query = query.where(Snapshot.published_at > since)
    published = session.execute(query).all()
    if not published:
        return
    as_of = max(row.published_at for row in published)
    yield from _models(session, {row.parent_sku for row in published if row.parent_sku},
                       as_of)
    for start in range(0, len(published), CHUNK):
        chunk = published[start:start + CHUNK]
        states = _states(session, [(row.sku, row.product_version) for row in chunk])
        for row in chunk:
            state = states.get((row.sku, row.product_version))
            if state is not None:
                yield record_of(state, "product")


def record_of(state: dict[str, Any], kind: str) -> ProductRecord:
    """A product's or model's history state as a record."""
    return ProductRecord(
        sku=state["sku"], kind=kind,  # type: ignore[arg-type]
        family=state.get("family"), family_variant=state.get("family_variant"),
        parent=state.get("parent"), categories=list(state.get("categories") or []),
        enabled=state.get("enabled") if kind == "product" else None,
        values=state.get("values") or {},
        associations={kind_: [AssociationLink(link["sku"], link.get("quantity"))
                              for link in links]
                      for kind_, links in (state.get("associations") or {}).items()},
    )


def _states(session: Session, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], dict]:
    rows = session.execute(select(HistoryEntry.code, HistoryEntry.version, HistoryEntry.state)
                           .where(HistoryEntry.entity == "product",
                                  tuple_(HistoryEntry.code, HistoryEntry.version).in_(pairs)))
    return {(code, version): state for code, version, state in rows}


def _models(session: Session, groups: set[str], as_of: datetime) -> Iterator[ProductRecord]:
    """The models of ``groups`` (the snapshots' parents: root or nearest models), with their
    parents and sub-models (models nest two levels), each as of ``as_of``, parents first."""
    if not groups:
        return
    models: dict[str, tuple[int, int | None]] = {}  # code -> (id, parent id)
    for chunk in _chunked(sorted(groups)):
        models.update({code: (id_, parent) for id_, code, parent in session.execute(
            select(ProductModel.id, ProductModel.code, ProductModel.parent_id)
            .where(ProductModel.code.in_(chunk)))})
    ids = {id_ for id_, _ in models.values()}
    parents = {parent for _, parent in models.values() if parent is not None} - ids
    for chunk in _chunked(sorted(ids)):  # sub-models of root models
        models.update({code: (id_, parent) for id_, code, parent in session.execute(
            select(ProductModel.id, ProductModel.code, ProductModel.parent_id)
            .where(ProductModel.parent_id.in_(chunk)))})
    for chunk in _chunked(sorted(parents)):  # parents of nearest models
        models.update({code: (id_, parent) for id_, code, parent in session.execute(
            select(ProductModel.id, ProductModel.code, ProductModel.parent_id)
            .where(ProductModel.id.in_(chunk)))})
    roots_first = sorted(models, key=lambda code: (models[code][1] is not None, code))
    for code in roots_first:
        state = session.scalar(
            select(HistoryEntry.state)
            .where(HistoryEntry.entity == "product_model", HistoryEntry.code == code,
                   HistoryEntry.changed_at <= as_of)
            .order_by(HistoryEntry.version.desc()).limit(1))
        if state is not None:
            yield record_of(state, "product_model")


def _chunked(items: list[Any], size: int = 900) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
