"""The record types: the only thing importers/, channels/ and exporters/ share with the hub.

Plain dataclasses, standard library only, so the pure packages stay fast to import and test.

Values use the shape PIM integrators already know::

    values[attribute_code] = [{"locale": "en_GB" | None, "scope": "webshop-uk" | None, "data": ...}]

``data`` per attribute type, in its canonical (stored, JSON-safe) form:

=============  ==============================================================================
text           ``str``
textarea       ``str`` of sanitized HTML
number         ``str`` holding a Decimal ("12.50"); parsed with ``decimal.Decimal``, never float
measurement    ``{"amount": "1.25", "unit": "KILOGRAM"}``
price          ``[{"amount": "12.50", "currency": "GBP"}, ...]``; an entry may carry
               ``"min_quantity": 10`` for a B2B quantity tier (absent means 1)
boolean        ``bool``
date           ``"YYYY-MM-DD"``
select         option code ``str``
multiselect    ``list[str]`` of option codes, each once, in the attribute's option order
media          asset reference ``str`` (a path relative to the media root, or an http(s) URL
               until the asset is fetched)
reference      another product's SKU ``str``
identifier     ``str`` (GTIN/EAN digits with a valid check digit, or an MPN)
=============  ==============================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, get_args

from stdnum import ean

AttributeType = Literal[
    "text",
    "textarea",
    "number",
    "measurement",
    "price",
    "boolean",
    "date",
    "select",
    "multiselect",
    "media",
    "reference",
    "identifier",
]

ATTRIBUTE_TYPES: tuple[str, ...] = get_args(AttributeType)

Owner = Literal["erp", "pim"]

RecordKind = Literal["product", "product_model"]
"""What a ``ProductRecord`` describes."""

StructureKind = Literal[
    "attribute", "attribute_option", "attribute_group", "family", "family_variant",
    "category", "channel", "association_type", "locale", "currency", "unit_family",
]
"""What a ``StructureRecord`` describes."""

ValueEntry = dict[str, Any]
"""One value: ``{"locale": str | None, "scope": str | None, "data": Any}``."""

Values = dict[str, list[ValueEntry]]


# SKUs and product model codes: at most SKU_MAX_LENGTH characters, no "/" or "\\" (a SKU is
# one path segment of the API and a file name in exports), no control characters (C0, DEL,
# C1), no bidirectional or invisible formatting characters (they make two different SKUs
# look the same), no whitespace at either end, and not "." or "..". Checked when a product
# or model is created, by every writer (API, bulk, UI, import, ERP): a stored SKU outside
# it stays addressable and writable.
SKU_MAX_LENGTH = 255
_SKU_FORBIDDEN = re.compile(
    "[/\\\\\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def sku_problem(sku: object) -> str | None:
    """Why ``sku`` cannot name a new product or model, else None (see above)."""
    if not isinstance(sku, str) or not sku:
        return "a SKU is required"
    if len(sku) > SKU_MAX_LENGTH:
        return f"is {len(sku)} characters long; at most {SKU_MAX_LENGTH} allowed"
    found = _SKU_FORBIDDEN.search(sku)
    if found is not None:
        return (f"contains U+{ord(found.group()):04X} at position {found.start() + 1}; a SKU "
                "has no slash, backslash, control or invisible formatting characters")
    if sku != sku.strip() or sku in (".", ".."):
        return "must not start or end with whitespace, nor be '.' or '..'"
    return None


GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def is_gtin(text: str) -> bool:
    """A GTIN-8, -12, -13 or -14: ASCII digits only (``str.isdigit`` also takes "²" and other
    Unicode digits) with a valid GS1 check digit, as python-stdnum computes it. The one GTIN
    check of the hub: values, import cells and channel schemas all call it."""
    return (len(text) in GTIN_LENGTHS and text.isascii() and text.isdigit()
            and ean.calc_check_digit(text[:-1]) == text[-1])


def gtin_with_check_digit(body: str) -> str:
    """Complete a GTIN body (all digits but the last) with its check digit."""
    return body + ean.calc_check_digit(body)


@dataclass(frozen=True, slots=True)
class ValueKey:
    """Where one value lives: attribute, locale (or None), scope (or None)."""

    attribute: str
    locale: str | None = None
    scope: str | None = None

    def __str__(self) -> str:
        parts = [self.attribute]
        if self.locale:
            parts.append(self.locale)
        if self.scope:
            parts.append(self.scope)
        return "-".join(parts)


def iter_values(values: Values):
    """Yield ``(ValueKey, data)`` for every value entry."""
    for code, entries in values.items():
        for entry in entries:
            yield ValueKey(code, entry.get("locale"), entry.get("scope")), entry.get("data")


def set_value(values: Values, key: ValueKey, data: Any) -> None:
    """Set (or, with ``data is None``, clear) one value in place."""
    entries = values.setdefault(key.attribute, [])
    for i, entry in enumerate(entries):
        if entry.get("locale") == key.locale and entry.get("scope") == key.scope:
            if data is None:
                del entries[i]
            else:
                entry["data"] = data
            break
    else:
        if data is not None:
            entries.append({"locale": key.locale, "scope": key.scope, "data": data})
    if not entries:
        del values[key.attribute]


def get_value(values: Values, key: ValueKey) -> Any:
    for entry in values.get(key.attribute, ()):
        if entry.get("locale") == key.locale and entry.get("scope") == key.scope:
            return entry.get("data")
    return None


@dataclass(slots=True)
class AssociationLink:
    """A link from a product to another product (or product model) of one association type."""

    sku: str
    quantity: int | None = None  # set for quantified associations (packs)


@dataclass(slots=True)
class ProductRecord:
    """A product or product model as it travels from a source into the hub, or from the hub
    into a projection.

    ``None`` in ``family``, ``parent``, ``categories``, ``enabled``, ``associations`` or
    ``stock`` means *not given by this source*: the hub leaves the stored field alone.
    ``values`` holds only the values the source gave.
    """

    sku: str
    kind: RecordKind = "product"
    family: str | None = None
    family_variant: str | None = None  # product models only
    parent: str | None = None
    categories: list[str] | None = None
    enabled: bool | None = None
    values: Values = field(default_factory=dict)
    associations: dict[str, list[AssociationLink]] | None = None
    stock: dict[str, Decimal] | None = None  # quantity per stock source
    row: int | None = None  # source row (1-based, header = 1) for error reporting
    version: int | None = None  # the hub's version when read back from it


@dataclass(slots=True)
class StructureRecord:
    """One row of catalog structure: an attribute, option, group, family, family variant,
    category, channel, association type, locale, currency or unit family.

    ``data`` holds the entity's fields in the hub's own vocabulary (see ``pim.catalog``).
    """

    kind: StructureKind
    code: str
    data: dict[str, Any] = field(default_factory=dict)
    row: int | None = None


@dataclass(slots=True)
class RowError:
    """A problem in one input row. Never fatal on its own: the caller decides (skip/abort)."""

    row: int | None
    message: str
    column: str | None = None
    value: Any = None
    sku: str | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        if self.sku:
            where.append(f"sku {self.sku!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if value is not None and not isinstance(value, str | int | bool):
            value = str(value)
        return {
            "row": self.row,
            "column": self.column,
            "value": value,
            "sku": self.sku,
            "severity": self.severity,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ValueProblem:
    """A value refused by validation, pointing at the field a person must fix."""

    attribute: str
    message: str
    locale: str | None = None
    scope: str | None = None

    def __str__(self) -> str:
        where = self.attribute
        if self.locale:
            where += f" [{self.locale}]"
        if self.scope:
            where += f" <{self.scope}>"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "locale": self.locale,
            "scope": self.scope,
            "message": self.message,
        }


# --- Catalog context: what a pure projection or validation needs to know about the catalog.


@dataclass(slots=True)
class AttributeSpec:
    code: str
    type: AttributeType
    localizable: bool = False
    scopable: bool = False
    owner: Owner = "pim"
    group: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    unit_family: str | None = None
    default_unit: str | None = None
    # validation: max_length, min_length, regex, min, max, decimals (int), negative_allowed,
    # date_min, date_max
    validation: dict[str, Any] = field(default_factory=dict)
    options: dict[str, dict[str, str]] = field(default_factory=dict)  # option code -> labels
    unique: bool = False


@dataclass(slots=True)
class UnitFamilySpec:
    code: str
    standard_unit: str
    units: dict[str, Decimal]  # unit code -> factor to the standard unit
    symbols: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class CategorySpec:
    code: str
    parent: str | None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class FamilySpec:
    code: str
    attributes: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    label_attribute: str | None = None
    image_attribute: str | None = None
    requirements: dict[str, list[str]] = field(default_factory=dict)  # channel -> attributes


@dataclass(slots=True)
class FamilyVariantSpec:
    code: str
    family: str
    axes: list[list[str]]  # one or two levels of axis attribute codes
    level_attributes: list[list[str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class CatalogContext:
    """Everything about the catalog's structure a pure function may need."""

    attributes: dict[str, AttributeSpec] = field(default_factory=dict)
    categories: dict[str, CategorySpec] = field(default_factory=dict)
    families: dict[str, FamilySpec] = field(default_factory=dict)
    family_variants: dict[str, FamilyVariantSpec] = field(default_factory=dict)
    unit_families: dict[str, UnitFamilySpec] = field(default_factory=dict)
    locales: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    association_types: list[str] = field(default_factory=list)

    def category_path(self, code: str, locale: str | None = None) -> list[str]:
        """Labels (or codes) from the root down to ``code``."""
        path: list[str] = []
        seen: set[str] = set()
        current: str | None = code
        while current and current not in seen and current in self.categories:
            seen.add(current)
            spec = self.categories[current]
            label = (spec.labels.get(locale) if locale else None) or spec.code
            path.append(label)
            current = spec.parent
        return list(reversed(path))

    def category_root(self, code: str) -> str | None:
        seen: set[str] = set()
        current = code
        while current in self.categories and current not in seen:
            seen.add(current)
            parent = self.categories[current].parent
            if parent is None:
                return current
            current = parent
        return None


# --- What leaves the hub.

VARIANT_FIELDS = {
    "id": "str: the channel's item id (usually the SKU)",
    "sku": "str",
    "parent_sku": "str | None: the product model the item is grouped under (item_group_id): "
    "its root model, or its nearest one when the channel groups by parent model",
    "title": "str",
    "description": "str: sanitized HTML",
    "short_description": "str",
    "brand": "str",
    "gtin": "str",
    "mpn": "str",
    "link": "str: product page URL",
    "images": "list[str]: rendition URLs, main image first",
    "image_renditions": 'list, one per image of `images`: {rendition name: {"url", "width", '
    '"height", "type"}} (every rendition the channel declares; width and height once known)',
    "price": '{"amount": "12.50", "currency": "GBP"}',
    "sale_price": '{"amount": "9.99", "currency": "GBP"} | None',
    "map_price": "minimum advertised price, same shape | None",
    "tier_prices": '[{"min_quantity": 10, "amount": "9.00", "currency": "EUR"}]',
    "availability": "in_stock | out_of_stock | preorder | backorder",
    "quantity": "int: stock summed over the channel's stock sources",
    "categories": 'list[str]: category paths, "Root > Child > Leaf"',
    "axes": '{"colour": "Red", "size": "M"}: variant axis labels',
    "attributes": "{code: display value}: every other mapped attribute",
    "associations": '{type: [{"sku": str, "quantity": int | None}]}',
    "weight": '{"amount": "1.2", "unit": "KILOGRAM"} | None',
    "condition": "new | refurbished | used",
    "enabled": "bool",
    "updated_at": "ISO 8601 UTC timestamp",
}
"""The canonical output fields of a channel variant. Channel mappings map attributes onto these
names; exporters read them. A channel may add fields of its own under ``attributes``."""


@dataclass(slots=True)
class ChannelVariant:
    """One product as one channel sees it in one locale: what is validated, snapshotted,
    exported and pushed. ``fields`` is JSON-safe (Decimals as strings)."""

    channel: str
    locale: str
    sku: str
    fields: dict[str, Any]
    version: int | None = None  # snapshot version once published
    content_hash: str | None = None
    # Values the projection had to leave out (an image with no rendition): each becomes a
    # completeness error on its attribute. Never part of ``fields``, so never published.
    problems: list[ValueProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AssetFacts:
    """What a projection needs to know of one stored asset (``pim.media`` supplies it): its
    type and upright size, the sizes of its renditions drawn so far and the renditions that
    cannot be drawn, each with its reason (both by spec hash)."""

    sha256: str
    media_type: str
    width: int | None = None
    height: int | None = None
    drawn: dict[str, tuple[int, int]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
