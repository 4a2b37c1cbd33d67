"""One product as every channel would receive it now, beside what each channel last got.

``preview_product`` projects the product (with its product models) into every channel and
locale, checks each variant against the channel schema (the completeness a person sees
while editing, computed now rather than read from the stored rows, so it is never behind
an edit of a parent model) and pairs it with the current published snapshot of the same
(channel, locale), listing the output fields whose value differs. The editor page reads
completeness, preview and the product's ancestors from this one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.definition import ChannelDefinition
from channels.validation import VariantCheck
from pim.errors import NotFound
from pim.publishing.models import Snapshot
from pim.records import CatalogContext, ChannelVariant
from pim.workflow.checks import check_product
from pim.workflow.completeness import ProjectionSetup
from pim.workflow.loading import LoadedProduct, load_channel_runtimes, load_products_by_sku


@dataclass(frozen=True, slots=True)
class PublishedSnapshot:
    version: int
    product_version: int
    fields: dict[str, Any]
    published_at: datetime
    published_by: str | None
    withdrawn: bool


@dataclass(slots=True)
class LocalePreview:
    """One (channel, locale): the variant now, its check, the last snapshot and the output
    fields (dotted paths, ``attributes.colour``) whose value differs between them."""

    locale: str
    variant: ChannelVariant
    check: VariantCheck
    snapshot: PublishedSnapshot | None
    changed: list[str] = field(default_factory=list)

    @property
    def fields(self) -> dict[str, Any]:
        return self.variant.fields


@dataclass(slots=True)
class ChannelPreview:
    definition: ChannelDefinition
    in_assortment: bool
    locales: list[LocalePreview] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.definition.code

    @property
    def passed(self) -> bool:
        return self.in_assortment and all(p.check.passed for p in self.locales)

    def locale(self, code: str) -> LocalePreview | None:
        return next((p for p in self.locales if p.locale == code), None)


@dataclass(slots=True)
class ProductPreview:
    product: LoadedProduct
    context: CatalogContext
    channels: list[ChannelPreview]

    def channel(self, code: str) -> ChannelPreview | None:
        return next((c for c in self.channels if c.code == code), None)


def load_previewed(session: Session, sku: str, context: CatalogContext | None = None
                   ) -> tuple[ProjectionSetup, LoadedProduct]:
    """What a preview projects: the catalog context (``context``, when the caller holds
    it) and channels, and the product."""
    setup = (ProjectionSetup(context, load_channel_runtimes(session)) if context is not None
             else ProjectionSetup.load(session))
    product = load_products_by_sku(session, [sku], setup.models).get(sku)
    if product is None:
        raise NotFound(f"product {sku!r} does not exist")
    return setup, product


def preview_product(session: Session, sku: str,
                    loaded: tuple[ProjectionSetup, LoadedProduct] | None = None
                    ) -> ProductPreview:
    """The product projected into every channel now, checked, beside its snapshots
    (``loaded``: what ``load_previewed`` read in this transaction, not read again)."""
    setup, product = loaded or load_previewed(session, sku)
    snapshots = current_snapshots_of(session, sku)
    channels = []
    for runtime in setup.runtimes.values():
        result = check_product(product, runtime, setup.context)
        preview = ChannelPreview(runtime.definition, result.in_assortment)
        for variant, check in result.variants:
            snapshot = snapshots.get((runtime.code, variant.locale))
            preview.locales.append(LocalePreview(
                variant.locale, variant, check, snapshot,
                changed_fields(snapshot.fields if snapshot else {}, variant.fields)
                if snapshot and not snapshot.withdrawn else []))
        channels.append(preview)
    return ProductPreview(product, setup.context, channels)


def current_snapshots_of(session: Session, sku: str
                         ) -> dict[tuple[str, str], PublishedSnapshot]:
    """The current snapshot of ``sku`` in every (channel, locale) it was published in."""
    rows = session.scalars(select(Snapshot).where(Snapshot.sku == sku,
                                                  Snapshot.is_current.is_(True)))
    return {(row.channel_code, row.locale): PublishedSnapshot(
        row.version, row.product_version, row.payload or {}, row.published_at,
        row.published_by, row.withdrawn) for row in rows}


# Fields that change with every edit whatever it changed: not a difference worth showing.
IGNORED_IN_DIFF = frozenset({"updated_at"})


def changed_fields(published: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Dotted paths of the fields whose value differs (a dict is compared key by key, one
    level down: ``attributes.colour``; lists and money as a whole)."""
    changed = []
    for name in sorted(set(published) | set(now)):
        if name in IGNORED_IN_DIFF:
            continue
        old, new = published.get(name), now.get(name)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and name in NESTED_FIELDS:
            changed += [f"{name}.{key}" for key in sorted(set(old) | set(new))
                        if old.get(key) != new.get(key)]
        else:
            changed.append(name)
    return changed


NESTED_FIELDS = frozenset({"attributes", "axes", "associations"})


@dataclass(frozen=True, slots=True)
class PriceWithTax:
    """A channel price read with the channel's tax settings: the amount as sent, and the
    net and gross amounts it stands for."""

    amount: str
    currency: str
    net: str
    gross: str
    vat_rate: str
    jurisdiction: str
    includes_tax: bool


def price_with_tax(price: Any, definition: ChannelDefinition) -> PriceWithTax | None:
    """``price`` (``{"amount", "currency"}``) with net and gross under the channel's VAT."""
    if not isinstance(price, dict):
        return None
    try:
        amount = Decimal(str(price.get("amount")))
    except InvalidOperation:
        return None
    tax = definition.tax
    factor = 1 + tax.vat_rate / 100
    cent = Decimal("0.01")
    if tax.prices_include_tax:
        gross, net = amount, (amount / factor).quantize(cent)
    else:
        net, gross = amount, (amount * factor).quantize(cent)
    return PriceWithTax(str(price.get("amount")), str(price.get("currency") or ""), str(net),
                        str(gross), format(tax.vat_rate.normalize(), "f"), tax.jurisdiction,
                        tax.prices_include_tax)
