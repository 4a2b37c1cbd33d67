"""BMEcat 2005 (namespace ``http://www.bmecat.org/bmecat/2005fd``), valid against
``bmecat_2005.xsd``, written as escaped strings in schema order, one PRODUCT at a time.

- A full feed is a ``T_NEW_CATALOG``; a delta (``FeedInfo.delta``) is a ``T_UPDATE_PRODUCTS``:
  first one ``mode="delete"`` PRODUCT per withdrawn SKU, then a PRODUCT per changed
  variant, ``mode="new"`` for one published for the first time (snapshot version 1),
  ``mode="update"`` for the others.
- Versions count publications (``FeedInfo.version``: each publish or withdrawal that changed
  the feed's locale is one): CATALOG_VERSION is the feed's version as "major.minor"
  (``catalog_version``), and a delta's ``prev_version`` the version it applies to, the one
  its ``since`` saw. A receiver holding that version applies the update and then holds
  CATALOG_VERSION; a receiver holding another has missed an update (or applied it twice).
- Prices: one ``PRODUCT_PRICE`` per quantity tier (``LOWER_BOUND``), the base price at 1;
  a product without a price gets ``price_type="on_request"`` (the schema needs one).
- Images: ``MIME_INFO``, the first image ``normal``, the others ``detail``.
- Axes and attributes: ``PRODUCT_FEATURES``; the parent model: a ``base_product`` reference.

Schema limits are honoured by clipping free text (DESCRIPTION_SHORT 150 characters,
DESCRIPTION_LONG 64,000, feature names and values 60, manufacturer fields 50) and by leaving
out image URLs over 255 characters. Not expressible, hence left to the channel schema
upstream: SKUs over 32 characters and currencies newer than the schema's list (PLN, CZK,
RON, BGN, TRY). The schema wants at least one PRODUCT in a T_UPDATE_PRODUCTS, so an empty
delta (nothing changed, nothing withdrawn) is not a valid document: the hub never asks for
one (a feed answers 304, ``pim export`` writes no file); should it come, ``write_bmecat``
refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC
from decimal import Decimal, InvalidOperation
from typing import Any

from exporters.base import (
    ChunkedOutput,
    FeedInfo,
    axis_label,
    clip,
    image_list,
    text_of,
    without_forbidden_xml,
    xml_attribute,
    xml_text,
)
from pim.records import ChannelVariant

MEDIA_TYPE = "application/xml"
NAMESPACE = "http://www.bmecat.org/bmecat/2005fd"
GENERATOR = "PIM hub exporters.bmecat"

# ISO 639-1 (our locales) to the ISO 639-2 codes BMEcat's LANGUAGE uses.
LANGUAGES = {
    "en": "eng", "de": "deu", "fr": "fra", "it": "ita", "es": "spa", "nl": "nld",
    "pt": "por", "pl": "pol", "cs": "ces", "sk": "slk", "sl": "slv", "hu": "hun",
    "ro": "ron", "bg": "bul", "hr": "hrv", "sv": "swe", "da": "dan", "fi": "fin",
    "no": "nor", "nb": "nob", "et": "est", "lv": "lav", "lt": "lit", "el": "ell",
    "tr": "tur", "ru": "rus", "uk": "ukr", "ja": "jpn", "zh": "zho", "ko": "kor",
}
_KILOGRAMS_PER = {
    "KILOGRAM": Decimal(1), "GRAM": Decimal("0.001"), "MILLIGRAM": Decimal("0.000001"),
    "TON": Decimal(1000), "POUND": Decimal("0.45359237"), "OUNCE": Decimal("0.028349523125"),
}
_STATUS = {"new": "new", "refurbished": "refurbished", "used": "used"}
# Our association types onto BMEcat's PRODUCT_REFERENCE types.
_REFERENCE_TYPES = {
    "accessory": "accessories", "accessories": "accessories", "spare_part": "sparepart",
    "replacement": "followup", "pack": "consists_of", "cross_sell": "similar",
    "upsell": "similar", "substitution": "similar",
}
_MIME_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
               "pdf": "application/pdf"}
_ORDER_DETAILS = (
    "<PRODUCT_ORDER_DETAILS><ORDER_UNIT>C62</ORDER_UNIT><CONTENT_UNIT>C62</CONTENT_UNIT>"
    "<NO_CU_PER_OU>1</NO_CU_PER_OU><PRICE_QUANTITY>1</PRICE_QUANTITY>"
    "<QUANTITY_MIN>1</QUANTITY_MIN><QUANTITY_INTERVAL>1</QUANTITY_INTERVAL>"
    "</PRODUCT_ORDER_DETAILS>"
)


def write_bmecat(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[bytes]:
    out = ChunkedOutput()
    out.add(_header(feed))
    price_type = xml_attribute(feed.price_type)
    if feed.delta:
        products = _delta_products(variants, feed, price_type)
        first = next(products, None)
        if first is None:
            raise EmptyDeltaError("a BMEcat update needs at least one product; nothing was "
                                  "published or withdrawn since the delta's start")
        out.add(f'<T_UPDATE_PRODUCTS prev_version="{int(feed.prev_version)}">\n')
        out.add(first)
    else:
        out.add("<T_NEW_CATALOG>\n")
        products = (_product(variant, feed, "", price_type) for variant in variants)
    for product in products:
        chunk = out.add(product)
        if chunk:
            yield chunk
    out.add("</T_UPDATE_PRODUCTS>\n" if feed.delta else "</T_NEW_CATALOG>\n")
    out.add("</BMECAT>\n")
    yield out.flush()


class EmptyDeltaError(ValueError):
    """A delta with nothing in it: no valid T_UPDATE_PRODUCTS exists for it."""


def _delta_products(variants: Iterable[ChannelVariant], feed: FeedInfo,
                    price_type: str) -> Iterator[str]:
    for sku in feed.withdrawn:
        yield _deleted_product(sku)
    for variant in variants:
        mode = _NEW if variant.version == 1 else _UPDATE
        yield _product(variant, feed, mode, price_type)


_NEW, _UPDATE = ' mode="new"', ' mode="update"'


def catalog_version(version: int) -> str:
    """CATALOG_VERSION ("major.minor", 1-3 digits each) of a feed's version: the thousands
    as major, the rest as minor (publication 1234 is "1.234", 7 is "0.7"); compared as two
    numbers, they order as the versions do, up to publication 999,999."""
    version = max(0, min(int(version), 999_999))
    return f"{version // 1000}.{version % 1000}"


def bmecat_language(locale: str) -> str:
    return LANGUAGES.get(locale.replace("-", "_").split("_")[0].lower(), "eng")


def _header(feed: FeedInfo) -> str:
    generated = feed.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    catalog_id = _limited(feed.catalog_id or feed.channel, 20)
    name = _limited(feed.channel_label or feed.channel, 100)
    supplier = _limited(feed.supplier_name or feed.channel_label or feed.channel, 50)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<BMECAT version="2005" xmlns="{NAMESPACE}">\n<HEADER>'
        f"<GENERATOR_INFO>{GENERATOR}</GENERATOR_INFO><CATALOG>"
        f"<LANGUAGE>{bmecat_language(feed.locale)}</LANGUAGE>"
        f"<CATALOG_ID>{catalog_id}</CATALOG_ID>"
        f"<CATALOG_VERSION>{catalog_version(feed.version)}</CATALOG_VERSION>"
        f"<CATALOG_NAME>{name}</CATALOG_NAME>"
        f"<GENERATION_DATE>{generated}</GENERATION_DATE>"
        f"<CURRENCY>{xml_text(feed.currency)}</CURRENCY>"
        f"</CATALOG><SUPPLIER><SUPPLIER_NAME>{supplier}</SUPPLIER_NAME></SUPPLIER>"
        "</HEADER>\n"
    )


def _deleted_product(sku: str) -> str:
    # The schema wants details, order details and a price even for a deletion.
    pid = xml_text(sku)
    return (
        f'<PRODUCT mode="delete"><SUPPLIER_PID>{pid}</SUPPLIER_PID>'
        f"<PRODUCT_DETAILS><DESCRIPTION_SHORT>{_limited(sku, 150)}</DESCRIPTION_SHORT>"
        f"</PRODUCT_DETAILS>{_ORDER_DETAILS}"
        '<PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="on_request"/>'
        "</PRODUCT_PRICE_DETAILS></PRODUCT>\n"
    )


def _product(variant: ChannelVariant, feed: FeedInfo, mode: str, price_type: str) -> str:
    fields = variant.fields
    get = fields.get
    parts = [f"<PRODUCT{mode}><SUPPLIER_PID>{xml_text(variant.sku)}</SUPPLIER_PID>"]
    parts.append(_details(fields, variant.sku))
    features = _features(fields)
    if features:
        parts.append(f"<PRODUCT_FEATURES>{features}</PRODUCT_FEATURES>")
    parts.append(_ORDER_DETAILS)
    parts.append(_prices(fields, feed.currency, price_type))
    mime = _mime_info(fields)
    if mime:
        parts.append(mime)
    parts.append(_references(fields))
    weight = _kilograms(get("weight"))
    if weight is not None:
        parts.append(
            "<PRODUCT_LOGISTIC_DETAILS><PRODUCT_DIMENSIONS>"
            f"<WEIGHT>{weight}</WEIGHT></PRODUCT_DIMENSIONS></PRODUCT_LOGISTIC_DETAILS>"
        )
    parts.append("</PRODUCT>\n")
    return "".join(parts)


def _details(fields: dict[str, Any], sku: str) -> str:
    get = fields.get
    title = _limited(get("title"), 150) or _limited(sku, 150)
    parts = [f"<PRODUCT_DETAILS><DESCRIPTION_SHORT>{title}</DESCRIPTION_SHORT>"]
    description = _limited(get("description") or get("short_description"), 64000)
    if description:
        parts.append(f"<DESCRIPTION_LONG>{description}</DESCRIPTION_LONG>")
    gtin = _limited(get("gtin"), 100)
    if gtin:
        parts.append(f'<INTERNATIONAL_PID type="gtin">{gtin}</INTERNATIONAL_PID>')
    mpn = _limited(get("mpn"), 50)
    if mpn:
        parts.append(f"<MANUFACTURER_PID>{mpn}</MANUFACTURER_PID>")
    brand = _limited(get("brand"), 50)
    if brand:
        parts.append(f"<MANUFACTURER_NAME>{brand}</MANUFACTURER_NAME>")
    status = _STATUS.get(text_of(get("condition")))
    if status:
        parts.append(f'<PRODUCT_STATUS type="{status}">{status}</PRODUCT_STATUS>')
    parts.append("</PRODUCT_DETAILS>")
    return "".join(parts)


def _features(fields: dict[str, Any]) -> str:
    named = {**(fields.get("axes") or {}), **(fields.get("attributes") or {})}
    parts = []
    for code, value in named.items():
        values = value if isinstance(value, list) else [value]
        texts = [text for text in (_limited(v, 60) for v in values) if text]
        name = _limited(axis_label(str(code)), 60)
        if not texts or not name:
            continue
        parts.append(f"<FEATURE><FNAME>{name}</FNAME>")
        parts.extend(f"<FVALUE>{text}</FVALUE>" for text in texts)
        parts.append("</FEATURE>")
    return "".join(parts)


def _prices(fields: dict[str, Any], currency: str, price_type: str) -> str:
    entries = []  # (lower bound, amount, currency)
    price = fields.get("price")
    if isinstance(price, dict):
        amount = _decimal_text(price.get("amount"))
        if amount:
            entries.append(("1", amount, price.get("currency")))
    for tier in fields.get("tier_prices") or ():
        if isinstance(tier, dict):
            amount = _decimal_text(tier.get("amount"))
            lower_bound = _decimal_text(tier.get("min_quantity", 1))
            if amount and lower_bound:
                entries.append((lower_bound, amount, tier.get("currency")))
    if not entries:
        return ('<PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="on_request"/>'
                "</PRODUCT_PRICE_DETAILS>")
    parts = ["<PRODUCT_PRICE_DETAILS>"]
    for lower_bound, amount, price_currency in entries:
        parts.append(
            f'<PRODUCT_PRICE price_type="{price_type}"><PRICE_AMOUNT>{amount}</PRICE_AMOUNT>'
            f"<PRICE_CURRENCY>{xml_text(price_currency or currency)}</PRICE_CURRENCY>"
            f"<LOWER_BOUND>{lower_bound}</LOWER_BOUND></PRODUCT_PRICE>"
        )
    parts.append("</PRODUCT_PRICE_DETAILS>")
    return "".join(parts)


def _mime_info(fields: dict[str, Any]) -> str:
    parts = []
    for order, url in enumerate(image_list(fields), start=1):
        if len(url) > 255:  # MIME_SOURCE's limit; a clipped URL would point nowhere
            continue
        mime_type = _MIME_TYPES.get(url.rsplit("?", 1)[0].rsplit(".", 1)[-1].lower())
        purpose = "normal" if order == 1 else "detail"
        parts.append(
            "<MIME>"
            + (f"<MIME_TYPE>{mime_type}</MIME_TYPE>" if mime_type else "")
            + f"<MIME_SOURCE>{xml_text(url)}</MIME_SOURCE>"
            f"<MIME_PURPOSE>{purpose}</MIME_PURPOSE><MIME_ORDER>{order}</MIME_ORDER></MIME>"
        )
    return f"<MIME_INFO>{''.join(parts)}</MIME_INFO>" if parts else ""


def _references(fields: dict[str, Any]) -> str:
    parts = []
    parent = _limited(fields.get("parent_sku"), 80)
    if parent:
        parts.append(f'<PRODUCT_REFERENCE type="base_product"><PROD_ID_TO>{parent}'
                     "</PROD_ID_TO></PRODUCT_REFERENCE>")
    associations = fields.get("associations") or {}
    for kind, links in associations.items() if isinstance(associations, dict) else ():
        reference_type = _REFERENCE_TYPES.get(kind, "others")
        for link in links or ():
            sku = _limited(link.get("sku") if isinstance(link, dict) else link, 80)
            if not sku:
                continue
            quantity = link.get("quantity") if isinstance(link, dict) else None
            amount = f' quantity="{int(quantity)}"' if isinstance(quantity, int) else ""
            parts.append(f'<PRODUCT_REFERENCE type="{reference_type}"{amount}><PROD_ID_TO>'
                         f"{sku}</PROD_ID_TO></PRODUCT_REFERENCE>")
    return "".join(parts)


def _limited(value: Any, limit: int) -> str:
    """Escaped element text within the schema's length limits ("" when nothing is left)."""
    text = without_forbidden_xml(text_of(value)).strip()
    return xml_text(clip(text, limit)) if text else ""


def _kilograms(weight: Any) -> str | None:
    if not isinstance(weight, dict):
        return None
    factor = _KILOGRAMS_PER.get(str(weight.get("unit") or "KILOGRAM").upper())
    try:
        amount = Decimal(str(weight.get("amount")))
    except InvalidOperation:
        return None
    if factor is None or not amount.is_finite():
        return None
    return format((amount * factor).normalize(), "f")


def _decimal_text(value: Any) -> str | None:
    """A plain xsd:decimal ("12.50", never "1E+1"), or None for anything else."""
    if isinstance(value, str) and value.replace(".", "", 1).isdigit():
        return value  # the common case, already plain
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return format(number, "f") if number.is_finite() else None
