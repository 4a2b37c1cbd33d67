"""Loading products for projection: ProductRecords with their ancestors and stock, in bulk.

A batch of up to ``BATCH_SIZE`` products costs a fixed handful of queries (products,
categories, associations, stock, their product models), never one per product, so a full
recompute and a big publish scale with the number of batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, bindparam, select
from sqlalchemy.orm import Session

from channels.assortment import skus_exclusive_elsewhere
from channels.definition import ChannelDefinition, load_schema
from channels.validation import SchemaValidator, build_validator
from pim.catalog.models import (
    Association,
    Category,
    Product,
    ProductCategory,
    ProductModel,
    Stock,
)
from pim.db import chunks
from pim.media.renditions import asset_facts, content_paths, with_hub_media_base
from pim.records import AssetFacts, AssociationLink, ProductRecord
from pim.workflow.models import Channel

BATCH_SIZE = 1000
# SQL parameter lists stay below SQLite's and psycopg's comfortable limits.
_IN_CHUNK = 900


@dataclass(slots=True)
class LoadedProduct:
    """One product ready to project: its record, its ancestors (nearest parent first) and
    the moment its projected content last changed."""

    id: int
    record: ProductRecord
    ancestors: list[ProductRecord]
    updated_at: datetime
    # The stored assets its values (and its models') name, shared by its batch.
    media: dict[str, AssetFacts] = field(default_factory=dict)

    @property
    def sku(self) -> str:
        return self.record.sku

    @property
    def family(self) -> str | None:
        return next((r.family for r in (self.record, *self.ancestors) if r.family), None)

    @property
    def parent_sku(self) -> str | None:
        return self.ancestors[0].sku if self.ancestors else None


@dataclass(slots=True)
class ChannelRuntime:
    """A channel as projection and validation need it, built once per batch or job."""

    definition: ChannelDefinition
    validator: SchemaValidator
    exclusive_elsewhere: set[str]
    config_hash: str

    @property
    def code(self) -> str:
        return self.definition.code


def load_channel_runtimes(session: Session, codes: Iterable[str] | None = None
                          ) -> dict[str, ChannelRuntime]:
    """Every channel (or those in ``codes``), with compiled validators.

    Built once per set of channel configurations: a channel's config hash changes with its
    definition and its schema, so one small query says whether the runtimes built last
    time still hold (an inline refresh per edit must not parse definitions every time)."""
    stamp = tuple((code, digest) for code, digest in session.execute(_CHANNEL_HASHES))
    runtimes = _RUNTIMES.get(stamp)
    if runtimes is None:
        runtimes = _build_runtimes(session)
    wanted = set(codes) if codes is not None else None
    return {code: runtime for code, runtime in runtimes.items()
            if wanted is None or code in wanted}


_RUNTIMES: dict[tuple[tuple[str, str], ...], dict[str, ChannelRuntime]] = {}
_CHANNELS = Channel.__table__
_CHANNEL_HASHES = select(_CHANNELS.c.code, _CHANNELS.c.config_hash).order_by(_CHANNELS.c.code)


def _build_runtimes(session: Session) -> dict[str, ChannelRuntime]:
    rows = list(session.scalars(select(Channel).order_by(Channel.code)))
    definitions = {row.code: with_hub_media_base(ChannelDefinition.model_validate(row.definition))
                   for row in rows}
    runtimes = {
        row.code: ChannelRuntime(
            definitions[row.code], build_validator(load_schema(definitions[row.code].schema_file)),
            skus_exclusive_elsewhere(row.code, definitions.values()), row.config_hash)
        for row in rows
    }
    # A channel without a hash (written around apply_channel) cannot say it changed.
    if all(row.config_hash for row in rows):
        if len(_RUNTIMES) >= 8:
            _RUNTIMES.clear()
        _RUNTIMES[tuple((row.code, row.config_hash) for row in rows)] = runtimes
    return runtimes


class ModelCache:
    """Product models by id, kept across batches: there are few next to products."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[ProductRecord, int | None, datetime]] = {}

    def ensure(self, session: Session, ids: set[int]) -> None:
        """Load the models ``ids`` and their ancestors; each query brings a model's parent
        along, so a two-level tree (the usual) costs one query."""
        missing = {i for i in ids if i not in self._by_id}
        while missing:
            rows: list[Any] = []
            for chunk in chunks(sorted(missing), _IN_CHUNK):
                rows += session.execute(_MODELS, {"ids": chunk}).all()
            parents = set()
            for row in rows:
                for model in (row[:_MODEL_WIDTH], row[_MODEL_WIDTH:]):
                    if model[0] is None:
                        continue
                    if model[0] not in self._by_id:
                        self._remember(*model)
                    if model[4] is not None:
                        parents.add(model[4])
            # A model deleted meanwhile is simply absent; never loop on it.
            missing = {p for p in parents if p not in self._by_id} - missing

    def _remember(self, mid, code, family, variant, parent_id, categories, values, version,
                  at) -> None:
        record = ProductRecord(sku=code, kind="product_model", family=family,
                               family_variant=variant, categories=list(categories or []),
                               values=values or {}, version=version)
        self._by_id[mid] = (record, parent_id, at)

    def chain(self, model_id: int | None) -> tuple[list[ProductRecord], datetime | None]:
        """Ancestors nearest first, and the newest of their update times."""
        chain: list[ProductRecord] = []
        newest = None
        seen: set[int] = set()
        while model_id is not None and model_id in self._by_id and model_id not in seen:
            seen.add(model_id)
            record, parent_id, at = self._by_id[model_id]
            chain.append(record)
            newest = at if newest is None or at > newest else newest
            model_id = parent_id
        for child, parent in zip(chain, chain[1:], strict=False):
            child.parent = parent.sku
        return chain, newest


def _ids_in(column):
    return column.in_(bindparam("ids", expanding=True))


def _model_columns(model) -> tuple:
    c = model.c
    return (c.id, c.code, c.family_code, c.family_variant_code, c.parent_id, c.categories,
            c["values"], c.version, c.updated_at)


# The statements below select table columns, not mapped attributes: they run as plain Core
# statements (no ORM result machinery per call, which costs as much as the query itself for
# one product), so callers flush first (see ``load_products``).
_MODEL_WIDTH = 9
_MODEL = ProductModel.__table__
_PARENT = _MODEL.alias("parent")
_MODELS = (select(*_model_columns(_MODEL), *_model_columns(_PARENT))
           .outerjoin(_PARENT, _PARENT.c.id == _MODEL.c.parent_id)
           .where(_ids_in(_MODEL.c.id)))


def load_products(session: Session, product_ids: list[int],
                  models: ModelCache | None = None) -> list[LoadedProduct]:
    """The given products (in id order), ready to project. Unknown ids are skipped."""
    if session.autoflush:
        session.flush()  # what this session wrote is what gets projected
    models = models or ModelCache()
    loaded: list[LoadedProduct] = []
    for chunk in chunks(sorted(set(product_ids)), _IN_CHUNK):
        loaded += _load_chunk(session, chunk, models)
    return loaded


def load_products_by_sku(session: Session, skus: Iterable[str],
                         models: ModelCache | None = None) -> dict[str, LoadedProduct]:
    ids: list[int] = []
    for chunk in chunks(sorted(set(skus)), _IN_CHUNK):
        ids += session.scalars(select(Product.id).where(Product.sku.in_(chunk)))
    return {p.sku: p for p in load_products(session, ids, models)}


def iter_product_id_batches(session: Session, batch_size: int = BATCH_SIZE,
                            family_codes: Iterable[str] | None = None) -> Iterator[list[int]]:
    """All product ids in batches, keyset-paginated so every batch is one indexed query."""
    last = 0
    while True:
        query = select(Product.id).where(Product.id > last).order_by(Product.id).limit(batch_size)
        if family_codes is not None:
            query = query.where(Product.family_code.in_(list(family_codes)))
        ids = list(session.scalars(query))
        if not ids:
            return
        yield ids
        last = ids[-1]


# Built once: composing a statement costs about as much as running it for one product.
_PRODUCT = Product.__table__
_PRODUCTS = (select(_PRODUCT.c.id, _PRODUCT.c.sku, _PRODUCT.c.family_code, _PRODUCT.c.parent_id,
                    _PRODUCT.c.enabled, _PRODUCT.c["values"], _PRODUCT.c.version,
                    _PRODUCT.c.updated_at)
             .where(_ids_in(_PRODUCT.c.id)).order_by(_PRODUCT.c.id))
_LINK, _CATEGORY = ProductCategory.__table__, Category.__table__
_CATEGORIES = (select(_LINK.c.product_id, _CATEGORY.c.code)
               .join(_CATEGORY, _CATEGORY.c.id == _LINK.c.category_id)
               .where(_ids_in(_LINK.c.product_id)))
_ASSOCIATION = Association.__table__
_ASSOCIATIONS = (select(_ASSOCIATION.c.product_id, _ASSOCIATION.c.type_code,
                        _ASSOCIATION.c.target, _ASSOCIATION.c.quantity)
                 .where(_ids_in(_ASSOCIATION.c.product_id))
                 .order_by(_ASSOCIATION.c.type_code, _ASSOCIATION.c.target))
_STOCK_TABLE = Stock.__table__
_STOCK = (select(_STOCK_TABLE.c.product_id, _STOCK_TABLE.c.source, _STOCK_TABLE.c.quantity)
          .where(_ids_in(_STOCK_TABLE.c.product_id)))


def _load_chunk(session: Session, ids: list[int], models: ModelCache) -> list[LoadedProduct]:
    params = {"ids": ids}
    rows = session.execute(_PRODUCTS, params).all()
    categories: dict[int, list[str]] = {}
    for pid, code in session.execute(_CATEGORIES, params):
        categories.setdefault(pid, []).append(code)
    associations: dict[int, dict[str, list[AssociationLink]]] = {}
    for pid, type_code, target, quantity in session.execute(_ASSOCIATIONS, params):
        associations.setdefault(pid, {}).setdefault(type_code, []).append(
            AssociationLink(target, quantity))
    stock: dict[int, dict[str, Decimal]] = {}
    for pid, source, quantity in session.execute(_STOCK, params):
        stock.setdefault(pid, {})[source] = Decimal(quantity)
    models.ensure(session, {row.parent_id for row in rows if row.parent_id is not None})

    loaded = []
    for pid, sku, family, parent_id, enabled, values, version, updated_at in rows:
        ancestors, models_at = models.chain(parent_id)
        record = ProductRecord(
            sku=sku, family=family, parent=ancestors[0].sku if ancestors else None,
            categories=sorted(categories.get(pid, ())), enabled=enabled, values=values or {},
            associations=associations.get(pid, {}), stock=stock.get(pid, {}), version=version)
        # A variant's projection changes when its model changes: the newer time is its own.
        newest = max(updated_at, models_at) if models_at else updated_at
        loaded.append(LoadedProduct(pid, record, ancestors, newest))
    paths = content_paths(r.values for p in loaded for r in (p.record, *p.ancestors))
    if paths:
        media = asset_facts(session, paths)
        for product in loaded:
            product.media = media
    return loaded


def products_with_assets(session: Session, shas: list[str]) -> list[int]:
    """The products whose values (or whose models' values) name one of these stored assets.
    A text scan of the values: it runs when an image cannot be drawn, which is rare."""
    ids: set[int] = set()
    for sha in sorted(set(shas)):
        pattern = f"%{sha}%"
        ids.update(session.scalars(select(Product.id).where(
            _PRODUCT.c["values"].cast(String).like(pattern))))
        models = list(session.scalars(select(ProductModel.id).where(
            _MODEL.c["values"].cast(String).like(pattern))))
        while models:  # variants of those models, level by level
            ids.update(session.scalars(select(Product.id).where(
                Product.parent_id.in_(models))))
            models = list(session.scalars(select(ProductModel.id).where(
                ProductModel.parent_id.in_(models))))
    return sorted(ids)
