"""Every format: registered under the code channels use, and streamed."""

from __future__ import annotations

import inspect
from itertools import islice
from typing import get_args

import pytest

from channels.definition import FeedFormat
from exporters import FORMATS
from exporters.base import CHUNK_SIZE
from tests.unit.exporters.variants import endless_variants, export, make_feed, make_variant

ALL_CODES = sorted(FORMATS)
# Formats written from channel variants; akeneo writes product records (test_akeneo).
VARIANT_CODES = sorted(code for code, fmt in FORMATS.items() if fmt.reads == "variants")


def test_every_channel_feed_format_has_a_writer():
    assert set(FORMATS) == set(get_args(FeedFormat))


@pytest.mark.parametrize(
    ("code", "media_type", "extension"),
    [
        ("ndjson", "application/x-ndjson", "ndjson"),
        ("csv", "text/csv; charset=utf-8", "csv"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        ("google_merchant_rss", "application/rss+xml", "xml"),
        ("google_merchant_tsv", "text/tab-separated-values; charset=utf-8", "tsv"),
        ("bmecat", "application/xml", "xml"),
        ("shopify_csv", "text/csv; charset=utf-8", "csv"),
        ("magento_csv", "text/csv; charset=utf-8", "csv"),
        ("akeneo", "application/x-ndjson", "ndjson"),
    ],
)
def test_format_declares_its_media_type_and_extension(code, media_type, extension):
    fmt = FORMATS[code]
    assert (fmt.code, fmt.media_type, fmt.extension) == (code, media_type, extension)


@pytest.mark.parametrize("code", VARIANT_CODES)
def test_writer_is_a_generator_of_bytes(code):
    output = FORMATS[code].write(iter([make_variant()]), make_feed())
    assert inspect.isgenerator(output)
    chunks = list(output)
    assert chunks and all(isinstance(chunk, bytes) for chunk in chunks)


@pytest.mark.parametrize("code", VARIANT_CODES)
def test_writer_yields_before_the_input_ends(code):
    # An endless input: the writer must hand out chunks as it goes, in bounded sizes.
    chunks = list(islice(FORMATS[code].write(endless_variants(), make_feed()), 3))
    assert len(chunks) == 3
    assert all(0 < len(chunk) < 4 * CHUNK_SIZE for chunk in chunks)


@pytest.mark.parametrize("code", VARIANT_CODES)
def test_writer_copes_with_a_variant_that_has_only_a_sku(code):
    assert export(code, [make_variant("BARE", **dict.fromkeys(_all_fields()))])


@pytest.mark.parametrize("code", VARIANT_CODES)
def test_writer_copes_with_no_variants(code):
    output = export(code, [])
    # An empty NDJSON feed is zero lines; every other format still has its header/envelope.
    assert output == b"" if code == "ndjson" else output


@pytest.mark.parametrize("code", VARIANT_CODES)
def test_one_megabyte_description_is_written(code):
    description = "<p>" + "Lorem ipsum dolor sit amet. " * 40_000 + "</p>"
    assert len(description) > 1_000_000
    assert export(code, [make_variant(description=description)])


def _all_fields():
    return [name for name in make_variant().fields if name not in ("sku",)]
