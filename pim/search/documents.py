"""The search document: one product as search sees it, built in one place from the
product's merged state (its own values over its product models'), for every backend.

What a person searches by: the SKU, GTIN/EAN, MPN and every other identifier (and the
product model's code), the name in every locale, descriptions and other text with the HTML
stripped, select labels in every locale, brand, the family, the categories with their
ancestors. What a person filters and facets by: family, categories (ancestors included),
enabled, select attribute options, and per channel the workflow status, completeness per
locale, whether it has errors and whether it changed since it was published.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pim.catalog.models import Product
from pim.records import AttributeSpec, CatalogContext, ProductRecord
from pim.search.query import fold
from pim.workflow.loading import LoadedProduct, ModelCache, load_products
from pim.workflow.models import Completeness, ProductChannelStatus
from pim.workflow.status import DRAFT

_TAGS = re.compile(r"<[^>]+>")
_TEXT_TYPES = frozenset({"text", "textarea"})
_OPTION_TYPES = frozenset({"select", "multiselect"})
MAX_BODY = 20_000  # characters of descriptive text indexed per product
BRAND = "brand"  # an attribute of this code is a facet whatever its type


@dataclass(slots=True)
class SearchDocument:
    product_id: int
    sku: str
    family: str | None
    enabled: bool
    identifiers: list[str]  # the SKU first, then GTIN/EAN, MPN, model codes...
    names: dict[str, str]  # locale ("" when not localizable) -> name
    body: str  # descriptions, other text, option labels, family and category labels
    categories: list[str]  # with their ancestors
    terms: dict[str, list[str]]  # facet field -> values (categories, options, brand)
    created_at: datetime
    updated_at: datetime
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def folded_identifiers(self) -> str:
        """" sku gtin mpn ": space-delimited, so an exact match is one substring test."""
        return " " + " ".join(fold(i) for i in self.identifiers) + " "

    @property
    def folded_name(self) -> str:
        return fold(" ".join(dict.fromkeys(self.names.values())))

    @property
    def folded_body(self) -> str:
        return fold(self.body)


def facet_fields(context: CatalogContext) -> list[str]:
    """The attribute codes that are facets and filters: select and multiselect attributes,
    and ``brand`` whatever its type."""
    return sorted(code for code, spec in context.attributes.items()
                  if spec.type in _OPTION_TYPES or code == BRAND)


def build_documents(session: Session, product_ids: Iterable[int], context: CatalogContext,
                    *, models: ModelCache | None = None, with_channels: bool = False
                    ) -> list[SearchDocument]:
    """The documents of these products (unknown ids are skipped: they were deleted).
    ``with_channels``: add the per-channel workflow data (the SQL backend reads it live)."""
    loaded = load_products(session, list(product_ids), models)
    if not loaded:
        return []
    ids = [item.id for item in loaded]
    created = dict(session.execute(
        select(Product.id, Product.created_at).where(Product.id.in_(ids))).all())
    channels = channel_states(session, ids) if with_channels else {}
    return [document_of(item, context, created[item.id], channels.get(item.id, {}))
            for item in loaded]


def document_of(item: LoadedProduct, context: CatalogContext, created_at: datetime,
                channels: dict[str, dict[str, Any]] | None = None) -> SearchDocument:
    record = item.record
    values: dict[str, list[dict[str, Any]]] = {}
    for source in (*reversed(item.ancestors), record):  # the product's own values win
        values.update(source.values or {})
    family = item.family
    label_attribute = "name"
    spec = context.families.get(family) if family else None
    if spec is not None and spec.label_attribute:
        label_attribute = spec.label_attribute
    identifiers = [record.sku, *(a.sku for a in item.ancestors)]
    names: dict[str, str] = {}
    body: list[str] = []
    terms: dict[str, list[str]] = {}
    for code, entries in values.items():
        attribute = context.attributes.get(code)
        if attribute is None:
            continue
        _add_value(attribute, entries, code == label_attribute, identifiers, names, body, terms)
    categories = _with_ancestors(_categories_of(record, item.ancestors), context)
    if categories:
        terms["category"] = categories
        for code in categories:
            category = context.categories.get(code)
            body.extend(category.labels.values() if category else ())
    if spec is not None:
        body.extend((spec.code, *spec.labels.values()))
    return SearchDocument(
        product_id=item.id, sku=record.sku, family=family, enabled=bool(record.enabled),
        identifiers=list(dict.fromkeys(identifiers)), names=names,
        body=" ".join(dict.fromkeys(w for w in body if w))[:MAX_BODY],
        categories=categories, terms=terms, created_at=created_at,
        updated_at=item.updated_at, channels=channels or {})


def _add_value(attribute: AttributeSpec, entries: list[dict[str, Any]], is_label: bool,
               identifiers: list[str], names: dict[str, str], body: list[str],
               terms: dict[str, list[str]]) -> None:
    kind = attribute.type
    for entry in entries:
        data = entry.get("data")
        if data is None:
            continue
        items = data if isinstance(data, list) else [data]
        if kind == "identifier" or kind == "reference":
            (identifiers if kind == "identifier" else body).extend(str(i) for i in items)
        elif kind in _TEXT_TYPES:
            text = " ".join(_plain(str(i)) for i in items)
            if is_label:
                names.setdefault(entry.get("locale") or "", text)
            else:
                body.append(text)
        elif kind in _OPTION_TYPES:
            for option in items:
                option = str(option)
                terms.setdefault(attribute.code, []).append(option)
                body.extend((option, *attribute.options.get(option, {}).values()))
        if attribute.code == BRAND and kind not in _OPTION_TYPES:
            terms.setdefault(BRAND, []).extend(str(i)[:255] for i in items)
    if attribute.code in terms:
        terms[attribute.code] = list(dict.fromkeys(terms[attribute.code]))


def _plain(text: str) -> str:
    """Text without its HTML markup and entities."""
    if "<" in text:
        text = _TAGS.sub(" ", text)
    return html.unescape(text) if "&" in text else text


def _categories_of(record: ProductRecord, ancestors: list[ProductRecord]) -> list[str]:
    codes: list[str] = []
    for source in (record, *ancestors):
        codes.extend(source.categories or ())
    return codes


def _with_ancestors(codes: list[str], context: CatalogContext) -> list[str]:
    found: dict[str, None] = {}
    for code in codes:
        current: str | None = code
        while current is not None and current not in found:
            found[current] = None
            spec = context.categories.get(current)
            current = spec.parent if spec else None
    return list(found)


def channel_states(session: Session, product_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per product and channel: status, completeness per locale, has errors, changed since
    published (what the Meilisearch documents carry; the SQL backend reads these live)."""
    states: dict[int, dict[str, dict[str, Any]]] = {}

    def channel(pid: int, code: str) -> dict[str, Any]:
        return states.setdefault(pid, {}).setdefault(code, {
            "status": DRAFT, "changed_since_published": False, "completeness": {},
            "has_errors": False})

    for pid, code, locale, percent, has_errors in session.execute(
            select(Completeness.product_id, Completeness.channel_code, Completeness.locale,
                   Completeness.percent, func.coalesce(_errors_count(session), 0) > 0)
            .where(Completeness.product_id.in_(product_ids))):
        state = channel(pid, code)
        state["completeness"][locale] = percent
        state["has_errors"] = state["has_errors"] or bool(has_errors)
    for pid, code, status, changed in session.execute(
            select(ProductChannelStatus.product_id, ProductChannelStatus.channel_code,
                   ProductChannelStatus.status, ProductChannelStatus.changed_since_published)
            .where(ProductChannelStatus.product_id.in_(product_ids))):
        state = channel(pid, code)
        state["status"], state["changed_since_published"] = status, bool(changed)
    return states


def _errors_count(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        return func.jsonb_array_length(Completeness.errors)
    return func.json_array_length(Completeness.errors)
