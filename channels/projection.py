"""The projection of a product into a channel: one ChannelVariant per channel locale.

Pure and deterministic: the same product, ancestors, channel, catalog context and locale
always give byte-identical ``canonical_json`` output, because the hub hashes it to decide
whether a published snapshot changed. Fields with no value are left out rather than set to
null, so "missing" has one spelling for the schema, the completeness count and exporters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from channels.assortment import in_assortment, skus_exclusive_elsewhere
from channels.definition import ChannelDefinition
from channels.media import MediaFacts, media_display, project_images
from channels.resolution import (
    ValueLookup,
    display_value,
    first_label,
    first_set,
    option_label,
    plain_number,
    prices_in,
    url_segment,
)
from pim.records import CatalogContext, ChannelVariant, ProductRecord, ValueProblem

__all__ = [
    "canonical_json",
    "content_hash",
    "in_assortment",
    "project_product",
    "project_variant",
    "skus_exclusive_elsewhere",
]

# Output fields whose value is an option *code* the channel understands (Google's
# condition is "new", never a translated label).
_CODE_VALUED_FIELDS = frozenset({"condition"})


def project_product(
    product: ProductRecord,
    ancestors: Sequence[ProductRecord],
    channel: ChannelDefinition,
    context: CatalogContext,
    *,
    updated_at: datetime | None = None,
    media: MediaFacts | None = None,
) -> list[ChannelVariant]:
    """One variant per channel locale, in the channel's locale order."""
    return [
        project_variant(product, ancestors, channel, context, locale, updated_at=updated_at,
                        media=media)
        for locale in channel.locales
    ]


def project_variant(
    product: ProductRecord,
    ancestors: Sequence[ProductRecord],
    channel: ChannelDefinition,
    context: CatalogContext,
    locale: str,
    *,
    updated_at: datetime | None = None,
    media: MediaFacts | None = None,
) -> ChannelVariant:
    """Project ``product`` (with its ``ancestors``, nearest parent first) into ``channel``
    for ``locale``. ``updated_at`` is passed in rather than read from a clock so the output
    stays a function of its inputs. ``media``: the facts of the stored assets the product's
    values name (see ``channels.media``); without it, image sizes are left out and every
    stored image is taken as drawable."""
    if locale not in channel.locales:
        raise ValueError(f"channel {channel.code!r} does not publish locale {locale!r}")
    chain = (product, *ancestors)
    fallback = channel.fallback_locales.get(locale)
    lookup = ValueLookup(chain, context, channel.code, locale, fallback)
    labels_in = label_locales(channel, locale)
    fields: dict[str, Any] = {"id": product.sku, "sku": product.sku}
    problems: list[ValueProblem] = []

    parent_sku = _group_sku(product, ancestors, channel)
    if parent_sku:
        fields["parent_sku"] = parent_sku
    if channel.product_url_template:
        fields["link"] = _product_link(
            channel.product_url_template, product.sku, parent_sku, locale
        )

    _mapped_fields(fields, lookup, channel, context, labels_in, media, problems)
    _price_fields(fields, lookup, channel)
    _stock_fields(fields, product, channel)

    categories = _category_paths(chain, channel, context, labels_in)
    if categories:
        fields["categories"] = categories
    axis_codes = _axis_codes(chain, context)
    axes = {}
    for code in axis_codes:
        data = lookup.get(code)
        if data is not None:
            axes[code] = option_label(context.attributes.get(code), str(data), labels_in)
    if axes:
        fields["axes"] = axes

    attributes = {}
    for code in _carried_attribute_codes(chain, channel, context, axis_codes):
        data = lookup.get(code)
        if data is None:
            continue
        spec = context.attributes.get(code)
        if spec is not None and spec.type == "media" and isinstance(data, str):
            shown = media_display(data, channel.media_base_url, channel.renditions)
        else:
            shown = display_value(
                spec,
                data,
                label_locales=labels_in,
                currency=channel.currency,
                media_base_url=channel.media_base_url,
                renditions=tuple(channel.renditions),
            )
        if shown is not None:
            attributes[code] = shown
    if attributes:
        fields["attributes"] = attributes

    associations = _associations(chain)
    if associations:
        fields["associations"] = associations
    fields["enabled"] = product.enabled is not False
    if updated_at is not None:
        fields["updated_at"] = _utc_iso(updated_at)
    return ChannelVariant(
        channel=channel.code,
        locale=locale,
        sku=product.sku,
        fields=fields,
        version=product.version,
        problems=problems,
    )


def canonical_json(fields: dict[str, Any]) -> str:
    """The one serialisation the hub hashes and snapshots: sorted keys, no spaces, UTF-8."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


# --- Field groups.


def _mapped_fields(fields, lookup, channel, context, labels_in, media, problems) -> None:
    for name, sources in channel.mapping.fields.items():
        if name == "images":
            project_images(fields, problems, lookup, sources, channel, context, media)
            continue
        for source in sources:
            data = lookup.get(source.attribute, source.locale, source.scope)
            if data is None:
                continue
            spec = context.attributes.get(source.attribute)
            if name == "weight" or (spec is not None and spec.type == "measurement"):
                if isinstance(data, dict):
                    fields[name] = {
                        "amount": plain_number(data.get("amount")),
                        "unit": data.get("unit"),
                    }
                    break
                continue
            if spec is not None and spec.type == "select" and name not in _CODE_VALUED_FIELDS:
                fields[name] = option_label(spec, str(data), labels_in)
            else:
                fields[name] = data if isinstance(data, str) else str(data)
            break


def _price_fields(fields, lookup, channel) -> None:
    pricing = channel.pricing
    if pricing.price:
        base, tiers = prices_in(lookup.get(pricing.price), channel.currency)
        if base:
            fields["price"] = base
        if pricing.tier_prices and tiers:
            fields["tier_prices"] = tiers
    for name in ("sale_price", "map_price"):
        code = getattr(pricing, name)
        if code:
            base, _ = prices_in(lookup.get(code), channel.currency)
            if base:
                fields[name] = base


def _stock_fields(fields, product, channel) -> None:
    """Availability from the stock sources this channel draws on; a product with no stock
    record counts as zero, never as "in stock by default"."""
    if not channel.stock_sources:
        return
    stock = product.stock or {}
    total = Decimal(0)
    for source in channel.stock_sources:
        try:
            total += Decimal(str(stock.get(source, 0)))
        except InvalidOperation:
            continue
    total = max(total, Decimal(0))
    rule = channel.availability
    fields["availability"] = "in_stock" if total > rule.in_stock_above else rule.otherwise
    fields["quantity"] = int(total)


def _group_sku(product: ProductRecord, ancestors: Sequence[ProductRecord],
               channel: ChannelDefinition) -> str | None:
    """The model a variant is grouped under: its root model, or its nearest one when the
    channel groups by parent model (``ChannelDefinition.group_variants_by``)."""
    if not ancestors:
        return product.parent
    if channel.group_variants_by == "parent_model":
        return product.parent or ancestors[0].sku
    return ancestors[-1].sku


def _product_link(template: str, sku: str, parent_sku: str | None, locale: str) -> str:
    return template.format_map(
        {
            "sku": url_segment(sku),
            "parent_sku": url_segment(parent_sku or sku),
            "locale": locale,
            "language": locale.split("_")[0],
        }
    )


_LABEL_LOCALES: dict[tuple[int, str], tuple[ChannelDefinition, tuple[str, ...]]] = {}


def label_locales(channel: ChannelDefinition, locale: str) -> tuple[str, ...]:
    """The locales whose labels (of categories and options: the catalog's structure, not a
    product's content) stand in for ``locale``'s, in order: the locale, its declared
    fallbacks (a fallback's own fallback too), then the channel's other locales. Only after
    all of them is a code shown: a German store reads "Clothing" rather than "clothing".
    Cached per channel object and locale."""
    cached = _LABEL_LOCALES.get((id(channel), locale))
    if cached is not None and cached[0] is channel:
        return cached[1]
    order = [locale]
    step = channel.fallback_locales.get(locale)
    while step is not None and step not in order:
        order.append(step)
        step = channel.fallback_locales.get(step)
    order += [other for other in channel.locales if other not in order]
    if len(_LABEL_LOCALES) > 1024:  # channels re-read per job must not pile up
        _LABEL_LOCALES.clear()
    _LABEL_LOCALES[(id(channel), locale)] = (channel, tuple(order))
    return tuple(order)


def _category_paths(chain, channel, context, labels_in) -> list[str]:
    """Category paths of the product and its ancestors, within the channel's trees."""
    codes: set[str] = set()
    for record in chain:
        codes.update(record.categories or ())
    roots = set(channel.assortment.category_roots)
    paths = set()
    for code in codes:
        if code not in context.categories:
            continue
        if roots and context.category_root(code) not in roots:
            continue
        paths.add(" > ".join(_category_labels(context, code, labels_in)))
    return sorted(paths)


def _category_labels(context, code, labels_in) -> list[str]:
    labels: list[str] = []
    seen: set[str] = set()
    current = code
    while current and current not in seen and current in context.categories:
        seen.add(current)
        spec = context.categories[current]
        labels.append(first_label(spec.labels, labels_in) or spec.code)
        current = spec.parent
    labels.reverse()
    return labels


def _axis_codes(chain, context) -> tuple[str, ...]:
    variant_code = first_set(chain, "family_variant")
    spec = context.family_variants.get(variant_code) if variant_code else None
    if spec is None:
        return ()
    return tuple(code for level in spec.axes for code in level)


def _carried_attribute_codes(chain, channel, context, axis_codes) -> list[str]:
    """The mapping's extra attributes plus the family's attributes required for this
    channel that no output field carries, so completeness can find them."""
    family_code = first_set(chain, "family")
    family = context.families.get(family_code) if family_code else None
    required = family.requirements.get(channel.code) if family is not None else None
    if not required:
        return sorted(set(channel.mapping.attributes))
    carried = _attributes_with_a_field(channel)
    codes = set(channel.mapping.attributes)
    codes.update(code for code in required if code not in carried and code not in axis_codes)
    return sorted(codes)


_CARRIED_BY_CHANNEL: dict[int, tuple[ChannelDefinition, frozenset[str]]] = {}


def _attributes_with_a_field(channel: ChannelDefinition) -> frozenset[str]:
    """Attributes a mapped field or a price field already carries. Cached per channel
    object (definitions are frozen, so the answer cannot go stale)."""
    cached = _CARRIED_BY_CHANNEL.get(id(channel))
    if cached is not None and cached[0] is channel:
        return cached[1]
    carried = {s.attribute for sources in channel.mapping.fields.values() for s in sources}
    pricing = channel.pricing
    carried.update(c for c in (pricing.price, pricing.sale_price, pricing.map_price) if c)
    if len(_CARRIED_BY_CHANNEL) > 256:  # channels re-read per job must not pile up
        _CARRIED_BY_CHANNEL.clear()
    _CARRIED_BY_CHANNEL[id(channel)] = (channel, frozenset(carried))
    return frozenset(carried)


def _associations(chain) -> dict[str, list[dict[str, Any]]]:
    """Own links first, then inherited ones; one link per (type, sku)."""
    merged: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()
    for record in chain:
        for kind, links in (record.associations or {}).items():
            for link in links:
                if (kind, link.sku) in seen:
                    continue
                seen.add((kind, link.sku))
                merged.setdefault(kind, []).append({"sku": link.sku, "quantity": link.quantity})
    return {kind: merged[kind] for kind in sorted(merged)}


_ISO_TEXT: dict[datetime, str] = {}


def _utc_iso(moment: datetime) -> str:
    """Memoised: every variant of a product, in every channel, carries the same moment."""
    text = _ISO_TEXT.get(moment)
    if text is None:
        if moment.tzinfo is None:
            raise ValueError("updated_at must be timezone-aware")
        text = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if len(_ISO_TEXT) >= 4096:
            _ISO_TEXT.clear()
        _ISO_TEXT[moment] = text
    return text
