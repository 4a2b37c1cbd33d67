"""Channel variants to feed the writers, and a helper to run a writer to completion."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any

from exporters import FORMATS
from exporters.base import FeedInfo
from pim.records import ChannelVariant

HOSTILE_TEXT = '=HYPERLINK("http://evil") </title><x> & "quoted", \'single\'\r\nnext\tline'
# Characters XML 1.0 forbids (NUL, other C0 controls, a lone surrogate, U+FFFE).
FORBIDDEN_IN_XML = "a\x00b\x01c\x0bd\ud800e\ufffef"


def make_variant(sku: str = "SKU-1", **fields: Any) -> ChannelVariant:
    """A complete variant; keyword arguments replace fields (None removes one)."""
    base: dict[str, Any] = {
        "id": sku,
        "sku": sku,
        "title": f"Shirt {sku}",
        "description": "<p>Soft <b>cotton</b> shirt.</p>",
        "brand": "Acme",
        "gtin": "4006381333931",
        "mpn": f"MPN-{sku}",
        "link": f"https://shop.example/p/{sku}",
        "images": [f"https://media.example/{sku}/{n}.jpg" for n in range(1, 4)],
        "price": {"amount": "25.00", "currency": "GBP"},
        "availability": "in_stock",
        "quantity": 7,
        "categories": ["Clothing > Shirts"],
        "condition": "new",
        "weight": {"amount": "0.25", "unit": "KILOGRAM"},
        "enabled": True,
        "updated_at": "2024-05-01T10:00:00Z",
    }
    base.update(fields)
    return ChannelVariant("test", "en_GB", sku, {k: v for k, v in base.items() if v is not None})


def model_variants(parent: str, colours=("Red", "Blue"), sizes=("S", "M")) -> list[ChannelVariant]:
    """The variants of one product model, consecutive as the hub delivers them."""
    variants = []
    for colour in colours:
        for size in sizes:
            sku = f"{parent}-{colour[:3].upper()}-{size}"
            variants.append(make_variant(sku, parent_sku=parent,
                                         axes={"colour": colour, "size": size}))
    return variants


def endless_variants():
    for n in count():
        yield make_variant(f"SKU-{n}", parent_sku=f"MODEL-{n // 3}")


def make_feed(**overrides: Any) -> FeedInfo:
    values: dict[str, Any] = {
        "channel": "test",
        "channel_label": "Test channel",
        "locale": "en_GB",
        "currency": "GBP",
        "generated_at": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        "base_url": "https://shop.example",
        "supplier_name": "Acme Ltd",
        "catalog_id": "ACME-GB",
    }
    values.update(overrides)
    return FeedInfo(**values)


def export(code: str, variants, feed: FeedInfo | None = None) -> bytes:
    return b"".join(FORMATS[code].write(variants, feed or make_feed()))
