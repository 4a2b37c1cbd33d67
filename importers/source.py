"""The one entry point the hub calls: ``open_source(path, ...)`` -> ``ImportSource``."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from importers.csv_file import BrokenRow, CsvRows
from importers.errors import EmptyFileError, ImportFileError
from importers.product_rows import ProductRowReader
from importers.profile import MappingProfile
from importers.sniff import detect_format
from importers.structure import STRUCTURE_KINDS, StructureRowReader
from importers.xlsx_file import MAX_TOTAL_BYTES, XlsxRows
from pim.records import (
    CatalogContext,
    ProductRecord,
    RecordKind,
    RowError,
    StructureKind,
    StructureRecord,
)

if TYPE_CHECKING:
    from importers.akeneo_ndjson import AkeneoNdjsonSource
    from importers.platforms import PlatformSource

ImportRecord = ProductRecord | StructureRecord | RowError
HEADER_SEARCH_ROWS = 30  # title rows above the header are looked past up to this depth
IDENTIFIER_COLUMNS = frozenset({"sku", "code"})
# File stems that say what a file holds (Akeneo's export names among them).
KIND_BY_STEM = {
    "products": "product", "product_models": "product_model", "attributes": "attribute",
    "attribute_options": "attribute_option", "attribute_groups": "attribute_group",
    "families": "family", "family_variants": "family_variant", "categories": "category",
    "channels": "channel", "association_types": "association_type", "locales": "locale",
    "currencies": "currency",
}


class ImportSource:
    """One file in the column convention (layout ``akeneo``), ready to stream. ``records()`` yields ProductRecord (products and product
    models), StructureRecord or RowError, in file order, each with its row number.

    ``kind`` is what the file holds, ``format`` "csv" or "xlsx", ``encoding`` how a CSV's
    encoding was found, ``total_rows`` the number of rows below the header when cheaply
    known (XLSX), else None, and ``estimated_rows`` a CSV's, from its size in bytes.

    ``data_rows`` counts the rows below the header holding anything (or unreadable), as
    the file is read and before any of them becomes a record: every one of them is a row of
    the import's summary (created, updated, unchanged, refused or skipped), which the hub
    checks against this count once the records are read to the end.
    """

    def __init__(
        self,
        path: Path,
        *,
        context: CatalogContext,
        channels: set[str] | frozenset[str],
        profile: MappingProfile | None = None,
        media_root: Path | None = None,
        kind: str | None = None,
        seen_skus: dict[str, int] | None = None,
        max_uncompressed_bytes: int = MAX_TOTAL_BYTES,
    ):
        self.path = path
        self.max_uncompressed_bytes = max_uncompressed_bytes
        self.context = context
        self.channels = frozenset(channels)
        self.profile = profile or MappingProfile()
        self.media_root = media_root
        self.seen_skus = seen_skus
        self.format = detect_format(path)
        self._rows = self._open_rows()
        # How a text file's encoding was found (``sniff.EncodingGuess``); None for XLSX.
        self.encoding = getattr(self._rows, "encoding_guess", None)
        self._row_iter = iter(self._rows)
        self.header_row, self.header = self._find_header()
        self.kind = kind or self.profile.kind or detect_kind(path, self._mapped_header())
        self.layout = "akeneo"
        total = self._rows.total_rows
        self.total_rows = total - self.header_row if total is not None else None
        # A CSV's rows below the header, estimated from its size (see CsvRows).
        estimated = getattr(self._rows, "estimated_rows", None)
        self.estimated_rows = (max(0, estimated - self.header_row) if estimated is not None
                               else None)
        self._consumed = False
        self.data_rows = 0

    def _mapped_header(self) -> list[str]:
        """The header as the convention sees it once the profile renamed columns."""
        names = []
        for name in self.header:
            mapping = self.profile.mapping_for(name)
            names.append(mapping.target if mapping and mapping.target else name)
        return names

    def _open_rows(self):
        if self.format == "xlsx":
            return XlsxRows(self.path, sheet=self.profile.sheet,
                            max_uncompressed_bytes=self.max_uncompressed_bytes)
        return CsvRows(self.path, encoding=self.profile.encoding, delimiter=self.profile.delimiter)

    def _find_header(self) -> tuple[int, list[str]]:
        buffered: list[tuple[int, list[str]]] = []
        for row_number, cells in self._row_iter:
            buffered.append((row_number, cells))
            if self.profile.header_row is not None:
                if row_number == self.profile.header_row:
                    break
            elif len(buffered) >= HEADER_SEARCH_ROWS:
                break
        if not any(any(cell.strip() for cell in cells) for _, cells in buffered):
            raise EmptyFileError("the file has no header row (it is empty)", path=str(self.path))
        index = self._header_index(buffered)
        row_number, header = buffered[index]
        header = [cell.strip().lstrip("\ufeff") for cell in header]
        if isinstance(self._rows, CsvRows):
            self._rows.width = len(header)
        # Rows read past the header while searching are replayed before the rest.
        self._row_iter = chain(buffered[index + 1 :], self._row_iter)
        return row_number, header

    def _header_index(self, buffered) -> int:
        if self.profile.header_row is not None:
            for i, (row_number, _) in enumerate(buffered):
                if row_number == self.profile.header_row:
                    return i
            raise ImportFileError(f"header row {self.profile.header_row} is past the end",
                                  path=str(self.path))
        mapped_identifiers = {
            source.strip().casefold() for source, mapping in self.profile.columns.items()
            if mapping.target in IDENTIFIER_COLUMNS
        }
        wanted = IDENTIFIER_COLUMNS | mapped_identifiers
        for i, (_, cells) in enumerate(buffered):
            if any(cell.strip().casefold() in wanted for cell in cells):
                return i
        # No identifier column: the first row with the most distinct non-empty cells, which
        # skips title rows (one cell, or one merged value repeated across the width).
        distinct = [len({cell for cell in cells if cell.strip()}) for _, cells in buffered]
        return distinct.index(max(distinct))

    def records(self) -> SourceRecords:
        if self._consumed:  # a second pass reads the file again
            self._rows = self._open_rows()
            self._row_iter = iter(self._rows)
            self._find_header()
        self._consumed = True
        self.data_rows = 0
        ragged_check = self.format == "csv"
        reader: ProductRowReader | StructureRowReader
        if self.kind in ("product", "product_model"):
            reader = ProductRowReader(
                self.header, self.header_row, kind=cast(RecordKind, self.kind),
                context=self.context,
                channels=self.channels, profile=self.profile, media_root=self.media_root,
                seen_skus=self.seen_skus)
        elif self.kind in STRUCTURE_KINDS:
            reader = StructureRowReader(self.header, self.header_row,
                                        kind=cast(StructureKind, self.kind))
        else:
            raise ImportFileError(f"cannot import {self.kind!r} rows", path=str(self.path))
        return SourceRecords(self, reader.records(self._counted(self._row_iter),
                                                  ragged_check=ragged_check))

    def _counted(self, rows: Iterator[tuple[int, list[str]]]
                 ) -> Iterator[tuple[int, list[str]]]:
        """``rows``, counting in ``data_rows`` those a reader must account for: all but the
        blank ones, which the readers pass over without a word."""
        for row in rows:
            cells = row[1]
            if cells.__class__ is BrokenRow or any(cells):
                self.data_rows += 1
            yield row

    def release(self) -> None:
        """Let go of the open file (and a workbook's sheet held in memory)."""
        self._rows = None
        self._row_iter = iter(())
        self._consumed = True  # records() opens the file again

    def reopen_args(self) -> dict[str, Any]:
        """What ``open_source`` needs to read the same records again, in another process
        (plain, picklable data)."""
        return {"path": self.path, "context": self.context, "channels": self.channels,
                "profile": self.profile, "media_root": self.media_root, "kind": self.kind,
                "layout": self.layout, "max_uncompressed_bytes": self.max_uncompressed_bytes}


class SourceRecords(Iterator[ImportRecord]):
    """The records of one ``ImportSource``, read lazily. Knows its source, so a consumer
    may read the same file elsewhere instead (``pim.catalog.import_worker``), as long as
    nothing was taken from it yet."""

    def __init__(self, source: ImportSource, items: Iterator[ImportRecord]):
        self.source = source
        self._items = items
        self.started = False

    def __next__(self) -> ImportRecord:
        self.started = True
        return next(self._items)

    def close(self) -> None:
        """Stop reading: closes the file and lets go of what was read of it (a workbook's
        sheet); ``source.records()`` reads it again."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()
        self.source.release()


def detect_kind(path: Path, header: list[str]) -> str:
    """What the file holds: by its name (Akeneo's export names), else by its header."""
    stem = path.stem.lower()
    if stem in KIND_BY_STEM:
        return KIND_BY_STEM[stem]
    names = {name.strip().lower() for name in header}
    if "sku" in names:
        return "product"
    if "code" in names:
        if "family_variant" in names:
            return "product_model"
        if "type" in names:
            return "attribute"
        if "attribute" in names:
            return "attribute_option"
        if names & {"variant-axes_1", "axes_1"}:
            return "family_variant"
        if any(n.startswith("requirements-") for n in names) or "attribute_as_label" in names:
            return "family"
        if {"locales", "currencies"} <= names:
            return "channel"
        if names & {"is_quantified", "quantified", "is_two_way", "two_way"}:
            return "association_type"
        if "parent" in names:
            return "category"
    raise ImportFileError(
        "cannot tell what the file holds from its name or header; "
        "if it is a Shopify or Magento file, say so with --format, otherwise map its "
        "columns in a mapping profile (--profile; \"kind: product\" and a column mapped to "
        "sku)", path=str(path))


def open_source(
    path: str | Path,
    *,
    context: CatalogContext,
    channels: set[str] | frozenset[str] = frozenset(),
    profile: MappingProfile | None = None,
    media_root: str | Path | None = None,
    kind: str | None = None,
    layout: str | None = None,
    max_uncompressed_bytes: int = MAX_TOTAL_BYTES,
) -> ImportSource | PlatformSource | AkeneoNdjsonSource:
    """Open a CSV/TSV/TXT or XLSX/XLSM file for import.

    ``layout`` (else the profile's ``format``, else ``auto``): ``akeneo`` (the column
    convention, or Akeneo's NDJSON: ``importers.akeneo_ndjson``), ``shopify``, ``magento``
    or ``auto`` (told from the file; see ``importers.platforms``). The source's ``layout``
    says which it is.

    Raises ImportFileError (or a subclass) when the file as a whole cannot be read: empty,
    corrupt, encrypted, a zip bomb (a workbook declaring more than
    ``max_uncompressed_bytes`` uncompressed), an unknown encoding. Problems in rows come
    later, as RowError records from ``records()``.
    """
    from importers.akeneo_ndjson import AkeneoNdjsonSource
    from importers.platforms import (
        IMPORT_FORMATS,
        PlatformSource,
        detect_import_format,
        is_ndjson,
    )

    path = Path(path)
    if not path.is_file():
        raise ImportFileError("no such file", path=str(path))
    layout = layout or (profile.format if profile else None) or "auto"
    if layout not in IMPORT_FORMATS:
        raise ImportFileError(f"unknown format {layout!r} (known: {', '.join(IMPORT_FORMATS)})",
                              path=str(path))
    if layout == "auto":
        layout = detect_import_format(path)
    if layout != "akeneo":
        return PlatformSource(path, layout, context=context, profile=profile)
    if is_ndjson(path):
        return AkeneoNdjsonSource(path)
    return ImportSource(path, context=context, channels=channels, profile=profile,
                        media_root=Path(media_root) if media_root else None, kind=kind,
                        max_uncompressed_bytes=max_uncompressed_bytes)
