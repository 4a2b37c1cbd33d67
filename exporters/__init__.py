"""Feed writers: channel variants in, bytes out, streamed in ~64 KB chunks.

``FORMATS`` maps each feed format code a channel may list (``ChannelDefinition.feed_formats``)
to its ``ExportFormat``; ``write(variants, feed)`` returns a generator of bytes. Writers that
emit a row per product model (Shopify, Magento) expect the variants of one model to arrive
consecutively. ``akeneo`` reads product records instead of variants
(``ExportFormat.reads``).
"""

from __future__ import annotations

from exporters import (
    akeneo,
    bmecat,
    csv_file,
    google_merchant,
    magento_csv,
    ndjson,
    shopify_csv,
    xlsx_file,
)
from exporters.base import ExportFormat, FeedInfo

FORMATS: dict[str, ExportFormat] = {
    fmt.code: fmt
    for fmt in (
        ExportFormat("ndjson", "NDJSON", ndjson.MEDIA_TYPE, "ndjson", ndjson.write_ndjson),
        ExportFormat("csv", "CSV", csv_file.MEDIA_TYPE, "csv", csv_file.write_csv),
        ExportFormat("xlsx", "Excel workbook", xlsx_file.MEDIA_TYPE, "xlsx",
                     xlsx_file.write_xlsx),
        ExportFormat("google_merchant_rss", "Google Merchant (RSS)",
                     google_merchant.RSS_MEDIA_TYPE, "xml", google_merchant.write_google_rss),
        ExportFormat("google_merchant_tsv", "Google Merchant (TSV)",
                     google_merchant.TSV_MEDIA_TYPE, "tsv", google_merchant.write_google_tsv),
        ExportFormat("bmecat", "BMEcat 2005", bmecat.MEDIA_TYPE, "xml", bmecat.write_bmecat),
        ExportFormat("shopify_csv", "Shopify product CSV", shopify_csv.MEDIA_TYPE, "csv",
                     shopify_csv.write_shopify_csv),
        ExportFormat("magento_csv", "Magento 2 product CSV", magento_csv.MEDIA_TYPE, "csv",
                     magento_csv.write_magento_csv),
        ExportFormat("akeneo", "Akeneo product NDJSON", akeneo.MEDIA_TYPE, "ndjson",
                     akeneo.write_akeneo, reads="records"),
    )
}

__all__ = ["FORMATS", "ExportFormat", "FeedInfo"]
