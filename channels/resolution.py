"""Reading one value out of a product and its ancestors, and turning stored data into what a
channel shows: option labels, measurement strings, money, rendition URLs.

The lookup order is the projection's contract:

1. the product, then its ancestors nearest first (a variant owns its axis values and
   overrides nothing it does not hold itself);
2. the exact key (locale for localizable attributes, the channel code as scope for scopable
   ones) across that whole chain first, then the channel's *declared* fallback locale only.

Labels of the catalog's structure (options, categories) are looked up further: through the
declared fallbacks, then the channel's other locales, before a code is shown
(``projection.label_locales``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from pim.records import AttributeSpec, CatalogContext, ProductRecord

_CENT = Decimal("0.01")
# Paths and segments with nothing to percent-encode skip quote(), a measurable cost here.
_URL_SAFE_PATH = re.compile(r"^[A-Za-z0-9._~/-]*$")
_URL_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]*$")
# "12.50", "0.99", "-3.10": two decimals, no leading zero, no sign on zero.
_CANONICAL_MONEY = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]{2}\Z")


class ValueLookup:
    """Resolves attribute values for one (product chain, channel, locale)."""

    __slots__ = ("chain", "attributes", "scope", "locale", "fallback_locale")

    def __init__(
        self,
        chain: Sequence[ProductRecord],
        context: CatalogContext,
        scope: str,
        locale: str,
        fallback_locale: str | None,
    ):
        self.chain = chain
        self.attributes = context.attributes
        self.scope = scope
        self.locale = locale
        self.fallback_locale = fallback_locale

    def get(self, code: str, locale: str | None = None, scope: str | None = None) -> Any:
        """The value of ``code`` for the channel, or None. ``locale``/``scope`` pin a key
        other than the channel's own (no fallback applies to a pinned locale)."""
        spec = self.attributes.get(code)
        fallback = None
        if spec is None:
            locale = None
        else:
            if scope is None and spec.scopable:
                scope = self.scope
            if not spec.localizable:
                locale = None
            elif locale is None:
                locale = self.locale
                fallback = self.fallback_locale
        # Hot path: written out rather than split into helpers (called ~15 times a variant).
        for record in self.chain:
            for entry in record.values.get(code, ()):
                if entry.get("locale") == locale and entry.get("scope") == scope:
                    data = entry.get("data")
                    if data is not None and data != "" and data != []:
                        return data
        if fallback is None:
            return None
        for record in self.chain:
            for entry in record.values.get(code, ()):
                if entry.get("locale") == fallback and entry.get("scope") == scope:
                    data = entry.get("data")
                    if data is not None and data != "" and data != []:
                        return data
        return None


def first_set(chain: Sequence[ProductRecord], field_name: str) -> Any:
    """The first non-None record field (family, family_variant...) along the chain."""
    for record in chain:
        value = getattr(record, field_name)
        if value is not None:
            return value
    return None


# --- Stored data -> channel data.


def money_amount(text: Any) -> str:
    """A Decimal amount as a canonical string with at least two decimals ("12.5" -> "12.50").
    Unparseable data passes through unchanged so the schema's pattern reports it."""
    if isinstance(text, str) and _CANONICAL_MONEY.match(text):
        return text  # already what the Decimal round trip would give (most stored prices)
    try:
        amount = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return str(text)
    if not amount.is_finite():
        return str(text)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        amount = amount.quantize(_CENT)
    return format(amount, "f")


def plain_number(text: Any) -> str:
    """A Decimal without trailing zeros and without exponent ("1.20" -> "1.2")."""
    try:
        number = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return str(text)
    if not number.is_finite():
        return str(text)
    normalized = number.normalize()
    return format(normalized, "f") if normalized != 0 else "0"


def prices_in(data: Any, currency: str) -> tuple[dict | None, list[dict]]:
    """The base price and the quantity tiers of a price value in one currency only.

    No conversion: an amount in another currency is not a price here, so a channel whose
    currency is missing gets no price and its schema says so.
    """
    if not isinstance(data, list):
        return None, []
    # One pass (called for up to three price attributes per variant): the base price is
    # the first entry without a quantity, else the first explicit tier of 1.
    base_entry = tier_of_one = None
    tiers = []
    for e in data:
        if not isinstance(e, dict) or e.get("currency") != currency:
            continue
        quantity = e.get("min_quantity")
        if quantity is None:
            if base_entry is None:
                base_entry = e
            continue
        if tier_of_one is None and quantity == 1:
            tier_of_one = e
        tiers.append(
            {"min_quantity": quantity, "amount": money_amount(e.get("amount")),
             "currency": currency})
    if base_entry is None:
        base_entry = tier_of_one
    base = None
    if base_entry is not None:
        base = {"amount": money_amount(base_entry.get("amount")), "currency": currency}
    if len(tiers) > 1:
        tiers.sort(key=lambda tier: (_sortable_quantity(tier["min_quantity"]), tier["amount"]))
    return base, tiers


def _sortable_quantity(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def first_label(labels: dict[str, str], locales: Sequence[str]) -> str | None:
    """The label in the first of ``locales`` that has one (``projection.label_locales``)."""
    for locale in locales:
        label = labels.get(locale)
        if label:
            return label
    return None


def option_label(spec: AttributeSpec | None, code: str, locales: Sequence[str]) -> str:
    """An option's label in the first of ``locales`` that has one, else its code."""
    if spec is None:
        return code
    labels = spec.options.get(code)
    if not labels:
        return code
    return labels.get(locales[0]) or first_label(labels, locales[1:]) or code


def url_segment(text: str) -> str:
    """``text`` percent-encoded for a URL path segment (untouched when nothing needs it)."""
    return text if _URL_SAFE_SEGMENT.match(text) else quote(text, safe="")


def media_url(asset: str, base_url: str, rendition: str | None) -> str:
    """``media_base_url/rendition/asset``; an asset still held as an http(s) URL (not yet
    fetched into the media store) is used as it is."""
    if asset.startswith(("http://", "https://")):
        return asset
    parts = [base_url.rstrip("/")] if base_url else []
    if rendition:
        parts.append(rendition)
    path = asset.lstrip("/")
    parts.append(path if _URL_SAFE_PATH.match(path) else quote(path, safe="/"))
    return "/".join(parts)


def display_value(
    spec: AttributeSpec | None,
    data: Any,
    *,
    label_locales: Sequence[str],
    currency: str,
    media_base_url: str,
    renditions: Sequence[str],
) -> Any:
    """What a person sees for one attribute value in one channel locale, JSON-safe."""
    kind = spec.type if spec else None
    if kind == "select":
        return option_label(spec, str(data), label_locales)
    if kind == "multiselect" and isinstance(data, list):
        return [option_label(spec, str(code), label_locales) for code in data]
    if kind == "measurement" and isinstance(data, dict):
        return f"{plain_number(data.get('amount'))} {data.get('unit', '')}".rstrip()
    if kind == "number":
        return plain_number(data)
    if kind == "price":
        base, _ = prices_in(data, currency)
        return f"{base['amount']} {currency}" if base else None
    if kind == "media" and isinstance(data, str):
        if not renditions:
            return media_url(data, media_base_url, None)
        return {name: media_url(data, media_base_url, name) for name in renditions}
    if kind == "boolean":
        return bool(data)
    if isinstance(data, str | int | bool):
        return data
    return str(data)
