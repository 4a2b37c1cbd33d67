"""Feed writers: generated channel variants through each format, written to /dev/null.

Variants are generated lazily (a realistic apparel/electronics mix: three variants per
product model, tier prices on a third, three images each), so peak RSS measures the writer,
not the input. The baseline is a bare ``csv.writer`` over the same variants' scalar fields,
generation included on both sides: the floor for turning a variant into bytes at all.
Targets: NDJSON and CSV >= 50,000 rows/s, XML >= 20,000, XLSX >= 10,000, RSS < 200 MB.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from exporters import FORMATS, FeedInfo
from pim.records import ChannelVariant
from tests.bench.harness import Measurement, workload

COLOURS = ("Red", "Blue", "Green", "Black")
SIZES = ("S", "M", "L")
DESCRIPTION = (
    "<p>Organic cotton shirt with a relaxed fit, reinforced seams and mother-of-pearl "
    "buttons. Machine washable at 30 &deg;C.</p><ul><li>100% cotton</li><li>Regular fit</li>"
    "</ul>"
)
FEED = FeedInfo(
    channel="bench", channel_label="Bench channel", locale="en_GB", currency="GBP",
    generated_at=datetime(2024, 5, 1, tzinfo=UTC), base_url="https://shop.example",
    supplier_name="Bench Ltd", catalog_id="BENCH", attribute_codes=("material",),
)


def generated_variants(size: int) -> Iterator[ChannelVariant]:
    for n in range(size):
        model = n // 3
        sku = f"SKU-{n:08d}"
        fields = {
            "id": sku,
            "sku": sku,
            "parent_sku": f"MODEL-{model:07d}",
            "title": f"Organic shirt {model} {COLOURS[model % 4]} {SIZES[n % 3]}",
            "description": DESCRIPTION,
            "brand": "Acme",
            "gtin": "4006381333931",
            "mpn": f"AC-{n:08d}",
            "link": f"https://shop.example/p/{sku}",
            "images": [f"https://media.example/r/{sku}/{i}.jpg" for i in range(3)],
            "price": {"amount": f"{20 + n % 50}.99", "currency": "GBP"},
            "availability": "in_stock" if n % 7 else "out_of_stock",
            "quantity": n % 40,
            "categories": ["Clothing > Shirts", "Sale"],
            "axes": {"colour": COLOURS[model % 4], "size": SIZES[n % 3]},
            "attributes": {"material": "Cotton", "fit": "Regular"},
            "weight": {"amount": "0.25", "unit": "KILOGRAM"},
            "condition": "new",
            "enabled": True,
            "updated_at": "2024-05-01T10:00:00Z",
        }
        if n % 3 == 0:
            fields["tier_prices"] = [{"min_quantity": 10, "amount": "18.00", "currency": "GBP"},
                                     {"min_quantity": 50, "amount": "16.00", "currency": "GBP"}]
            fields["sale_price"] = {"amount": "15.99", "currency": "GBP"}
        yield ChannelVariant("bench", "en_GB", sku, fields)


def baseline_seconds(size: int) -> float:
    started = time.perf_counter()
    with open("/dev/null", "w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink)
        for variant in generated_variants(size):
            f = variant.fields
            writer.writerow((f["id"], f["sku"], f["parent_sku"], f["title"], f["description"],
                             f["brand"], f["gtin"], f["mpn"], f["link"], f["images"][0],
                             f["price"]["amount"], f["availability"], f["quantity"]))
    return time.perf_counter() - started


def measure(code: str, size: int, feed: FeedInfo = FEED) -> Measurement:
    write = FORMATS[code].write
    written = 0
    started = time.perf_counter()
    with open("/dev/null", "wb") as sink:
        for chunk in write(generated_variants(size), feed):
            sink.write(chunk)
            written += len(chunk)
    seconds = time.perf_counter() - started
    return Measurement(items=size, seconds=seconds, baseline_seconds=baseline_seconds(size),
                       notes=f"{written / 1e6:.1f} MB written")


@workload("export_ndjson", size=100_000, unit="rows")
def export_ndjson(size: int) -> Measurement:
    return measure("ndjson", size)


@workload("export_csv", size=100_000, unit="rows")
def export_csv(size: int) -> Measurement:
    return measure("csv", size)


@workload("export_xlsx", size=100_000, unit="rows")
def export_xlsx(size: int) -> Measurement:
    return measure("xlsx", size)


@workload("export_google_rss", size=100_000, unit="rows")
def export_google_rss(size: int) -> Measurement:
    return measure("google_merchant_rss", size)


@workload("export_bmecat", size=100_000, unit="rows")
def export_bmecat(size: int) -> Measurement:
    return measure("bmecat", size)


@workload("export_shopify_csv", size=100_000, unit="rows")
def export_shopify_csv(size: int) -> Measurement:
    return measure("shopify_csv", size)


@workload("export_magento_csv", size=100_000, unit="rows")
def export_magento_csv(size: int) -> Measurement:
    return measure("magento_csv", size)
