"""Generic CSV: the flat layout of ``exporters.flat_rows``, RFC 4180 quoting, UTF-8."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from exporters.base import CHUNK_SIZE, FeedInfo
from exporters.flat_rows import flat_header, flat_row
from pim.records import ChannelVariant

MEDIA_TYPE = "text/csv; charset=utf-8"


def write_rows_as_csv(rows: Iterable[list[str]], **dialect) -> Iterator[bytes]:
    """CSV bytes of ``rows`` in ~64 KB chunks. Quotes, delimiters and line breaks inside
    cells are quoted by the csv module, so no value can leave its cell. ``dialect`` passes
    csv formatting parameters (delimiter, quoting) through."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, **{"lineterminator": "\r\n", **dialect})
    writerow = writer.writerow
    for row in rows:
        writerow(row)
        if buffer.tell() >= CHUNK_SIZE:
            yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in product text
        return text.encode("utf-8", "replace")


def write_csv(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[bytes]:
    def rows():
        yield flat_header(feed)
        for variant in variants:
            yield flat_row(variant, feed)

    return write_rows_as_csv(rows())
