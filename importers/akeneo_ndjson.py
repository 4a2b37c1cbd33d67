"""Akeneo's product and product model NDJSON (its API's and its NDJSON imports' shape, and the
hub's own ``akeneo`` export) read into ProductRecords.

A line with ``identifier`` is a product, a line with ``code`` a product model; models come
first, a parent before its children (the file is read twice: models, then products), so
``write_product_models`` finds every parent. Values keep their ``{locale, scope, data}``;
numbers Akeneo writes as JSON numbers (integers for numbers without decimals, measurement and
price amounts) become the hub's decimal text. Associations (``products`` and
``product_models`` of each type; groups are not read) and quantified associations become
links. A line that is not a JSON object, or names neither, is a row error (its line number
is its row); the other lines still load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from importers.errors import ImportFileError
from importers.sniff import EncodingGuess, detect_format
from pim.records import AssociationLink, ProductRecord, RowError

ImportItem = ProductRecord | RowError


def read_akeneo_ndjson(path: str | Path) -> Iterator[ImportItem]:
    """Product models (parents first), then products, in file order otherwise."""
    path = Path(path)
    models: list[ProductRecord] = []
    for number, item in _objects(path):
        if isinstance(item, RowError):
            yield item
        elif "identifier" not in item and "code" in item:
            models.append(_model(item, number))
    yield from _parents_first(models)
    for number, item in _objects(path):
        if not isinstance(item, RowError) and "identifier" in item:
            yield _product(item, number)
        elif not isinstance(item, RowError) and "code" not in item:
            yield RowError(number, "neither a product (identifier) nor a product model (code)",
                           value=json.dumps(item)[:200])


class AkeneoNdjsonSource:
    """An Akeneo NDJSON file ready to stream, described as ``ImportSource`` describes its
    file (``layout`` akeneo, ``format`` ndjson, ``encoding`` UTF-8 as JSON is)."""

    layout = "akeneo"
    format = "ndjson"
    kind = "product"
    total_rows = None

    def __init__(self, path: Path):
        detect_format(path)  # an empty file fails here, in the user's words
        self.path = path
        self.encoding = EncodingGuess("utf-8", "json")  # JSON text is UTF-8 (RFC 8259)

    def records(self) -> AkeneoRecords:
        return AkeneoRecords(self, read_akeneo_ndjson(self.path))


class AkeneoRecords(Iterator[ImportItem]):
    """The records of an ``AkeneoNdjsonSource``, read lazily; knows its source."""

    def __init__(self, source: AkeneoNdjsonSource, items: Iterator[ImportItem]):
        self.source = source
        self._items = items

    def __next__(self) -> ImportItem:
        return next(self._items)


def _objects(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as error:
                    yield number, RowError(number, f"not JSON: {error.msg}", value=line[:200])
                    continue
                if not isinstance(item, dict):
                    yield number, RowError(number, "not a JSON object", value=line[:200])
                    continue
                yield number, item
    except UnicodeDecodeError as error:
        raise ImportFileError(f"not UTF-8 text ({error.reason}): NDJSON is UTF-8",
                              path=str(path)) from None


def _product(item: dict[str, Any], number: int) -> ProductRecord:
    enabled = item.get("enabled")
    return ProductRecord(
        sku=str(item["identifier"]),
        family=item.get("family"),
        parent=item.get("parent"),
        categories=_list(item.get("categories")),
        enabled=enabled if isinstance(enabled, bool) else None,
        values=_values(item.get("values")),
        associations=_associations(item),
        row=number,
    )


def _model(item: dict[str, Any], number: int) -> ProductRecord:
    return ProductRecord(
        sku=str(item["code"]),
        kind="product_model",
        family=item.get("family"),
        family_variant=item.get("family_variant"),
        parent=item.get("parent"),
        categories=_list(item.get("categories")),
        values=_values(item.get("values")),
        associations=_associations(item) if "associations" in item else None,
        row=number,
    )


def _list(value: Any) -> list[str] | None:
    return [str(entry) for entry in value] if isinstance(value, list) else None


def _values(values: Any) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(values, dict):
        return {}
    return {code: [{"locale": entry.get("locale"), "scope": entry.get("scope"),
                    "data": _data(entry.get("data"))}
                   for entry in entries if isinstance(entry, dict)]
            for code, entries in values.items() if isinstance(entries, list)}


def _data(data: Any) -> Any:
    """JSON numbers as the hub's decimal text, wherever Akeneo puts them."""
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int | float):
        return _text(data)
    if isinstance(data, dict) and "amount" in data:
        return {**data, "amount": _text(data["amount"])}
    if isinstance(data, list):
        return [_data(entry) if isinstance(entry, dict) else entry for entry in data]
    return data


def _text(number: Any) -> Any:
    if isinstance(number, bool) or not isinstance(number, int | float):
        return number
    return str(number) if isinstance(number, int) else format(number, "f").rstrip("0")


def _associations(item: dict[str, Any]) -> dict[str, list[AssociationLink]] | None:
    plain, quantified = item.get("associations"), item.get("quantified_associations")
    if not isinstance(plain, dict) and not isinstance(quantified, dict):
        return None
    links: dict[str, list[AssociationLink]] = {}
    for kind, targets in (plain or {}).items():
        if isinstance(targets, dict):
            links[kind] = [AssociationLink(str(sku)) for key in ("products", "product_models")
                           for sku in targets.get(key) or ()]
    for kind, targets in (quantified or {}).items():
        if isinstance(targets, dict):
            links.setdefault(kind, []).extend(
                AssociationLink(str(link["identifier"]), int(link["quantity"]))
                for key in ("products", "product_models") for link in targets.get(key) or ()
                if isinstance(link, dict) and "identifier" in link and "quantity" in link)
    return links


def _parents_first(models: list[ProductRecord]) -> Iterator[ProductRecord]:
    by_code = {model.sku: model for model in models}
    emitted: set[str] = set()

    def emit(model: ProductRecord, chain: tuple[str, ...] = ()) -> Iterator[ProductRecord]:
        if model.sku in emitted:
            return
        parent = by_code.get(model.parent or "")
        if parent is not None and parent.sku not in chain:
            yield from emit(parent, (*chain, model.sku))
        emitted.add(model.sku)
        yield model

    for model in models:
        yield from emit(model)
