"""NDJSON: one JSON object per line, the variant's canonical fields as the hub snapshots them.

A delta feed starts with one ``{"sku": ..., "deleted": true}`` line per withdrawn SKU, so a
consumer applying lines in order ends with the right state even if a SKU was withdrawn and
then re-published.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from exporters.base import CHUNK_SIZE, FeedInfo
from pim.records import ChannelVariant

MEDIA_TYPE = "application/x-ndjson"


def write_ndjson(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[bytes]:
    pieces: list[bytes] = []
    size = 0
    if feed.delta:
        for sku in feed.withdrawn:
            pieces.append(json_line({"sku": sku, "deleted": True}))
            size += len(pieces[-1])
    for variant in variants:
        fields = variant.fields
        if fields.get("sku") != variant.sku:
            fields = {**fields, "sku": variant.sku}
        line = json_line(fields)
        pieces.append(line)
        size += len(line)
        if size >= CHUNK_SIZE:
            yield b"".join(pieces)
            pieces.clear()
            size = 0
    if pieces:
        yield b"".join(pieces)


def json_line(fields: dict[str, Any]) -> bytes:
    """One object as a JSON line (lone surrogates dropped, big integers kept)."""
    try:
        return orjson.dumps(fields, default=str, option=orjson.OPT_APPEND_NEWLINE)
    except (orjson.JSONEncodeError, TypeError):
        # Lone surrogates (orjson refuses them) or integers beyond 64 bits: the slow path.
        return _slowjson_line(fields)


def _slowjson_line(fields: dict[str, Any]) -> bytes:
    text = json.dumps(_without_surrogates(fields), default=str, ensure_ascii=False)
    return text.encode("utf-8") + b"\n"


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "ignore").decode("utf-8")
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_surrogates(item) for item in value]
    return value

