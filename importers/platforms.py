"""Product files from other systems: which layout a file has, and Shopify and Magento product
CSVs read and fitted to the hub's catalog.

Layouts (``pim import --format``):

- ``akeneo``: the column convention (``sku``, ``family``, ``name-en_GB``, ...: Akeneo's CSV
  and XLSX exports, and the hub's own), or Akeneo's product NDJSON;
- ``shopify``: Shopify's product CSV (``importers.shopify_csv``);
- ``magento``: Magento 2's catalog product CSV (``importers.magento_csv``);
- ``auto``: told from the file: a workbook or an unknown header is the column convention, a
  first line that is a JSON object Akeneo NDJSON, a ``Handle`` (or ``URL handle``) column
  Shopify, ``sku`` with ``product_type`` and ``attribute_set_code`` Magento.

Shopify and Magento readers name their values with fixed codes (``name``, ``gtin``, option
names such as ``color``) and give text without a locale. ``fit_to_catalog`` makes their
records the catalog's: a value goes to the first of its code, the profile's ``attributes``
mapping and the usual other spellings (``ALIASES``: ``gtin`` -> ``ean``, ``color`` ->
``colour``) that the catalog has; a value for an attribute it lacks is left out with one
warning per code; localizable text gets the import locale (the profile's ``locale``, else the
catalog's only or first English locale); option labels become option codes; association
kinds go to the catalog's association type of that name (any case; ``cross_sell`` also to
``X_SELL``) or the profile's ``associations`` mapping, else are left out with a warning.
Prices are in the profile's ``currency``, else the catalog's first by code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from importers.errors import ImportFileError
from importers.magento_csv import read_magento_csv
from importers.profile import MappingProfile
from importers.shopify_csv import canonical_header, read_shopify_csv
from importers.sniff import (
    SAMPLE_BYTES,
    EncodingGuess,
    detect_delimiter,
    detect_format,
    sniff_encoding,
)
from pim.records import AttributeSpec, CatalogContext, ProductRecord, RowError, StructureRecord

IMPORT_FORMATS = ("auto", "akeneo", "shopify", "magento")
PLATFORM_FORMATS = ("shopify", "magento")
# Other spellings of the readers' codes, tried in order when the catalog lacks the code.
ALIASES: dict[str, tuple[str, ...]] = {
    "gtin": ("ean", "upc", "barcode"),
    "color": ("colour",),
    "colour": ("color",),
    "additional_images": ("images", "gallery"),
}

# The readers' association kinds, and other names a catalog may give them.
ASSOCIATION_ALIASES: dict[str, tuple[str, ...]] = {
    "cross_sell": ("x_sell", "crosssell"),
    "upsell": ("up_sell",),
    "related": ("related_products",),
    "pack": ("bundle",),
}

ImportRecord = ProductRecord | StructureRecord | RowError


def detect_import_format(path: Path) -> str:
    """``akeneo``, ``shopify`` or ``magento`` (see the module's description)."""
    if detect_format(path) == "xlsx":
        return "akeneo"
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    encoding = sniff_encoding(sample).encoding
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    if text.lstrip().startswith("{"):
        return "akeneo"  # NDJSON: Akeneo's product and product model lines
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = detect_delimiter(first_line, path.suffix.lower())
    names = {name.strip().strip('"').strip().lower() for name in first_line.split(delimiter)}
    if "handle" in {canonical_header(name) for name in names}:
        return "shopify"
    if {"sku", "product_type"} <= names and names & {"attribute_set_code", "store_view_code"}:
        return "magento"
    return "akeneo"


def is_ndjson(path: Path) -> bool:
    """Whether a file starts with a JSON object (after a BOM and blank space)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


class PlatformSource:
    """A Shopify or Magento product CSV ready to stream: ``records()`` yields the reader's
    records fitted to ``context`` (and its row errors), in file order. ``layout``, ``format``
    (``csv``), ``kind`` and ``encoding`` describe it as ``ImportSource`` does its file."""

    format = "csv"
    kind = "product"
    total_rows = None

    def __init__(self, path: Path, layout: str, *, context: CatalogContext,
                 profile: MappingProfile | None = None):
        if layout not in PLATFORM_FORMATS:
            raise ValueError(f"not a platform layout: {layout!r}")
        self.path = path
        self.layout = layout
        self.context = context
        self.profile = profile or MappingProfile()
        detect_format(path)  # an empty file or a workbook fails here, in the user's words
        if self.profile.encoding:
            self.encoding = EncodingGuess(self.profile.encoding, "profile")
        else:
            with open(path, "rb") as fh:
                self.encoding = sniff_encoding(fh.read(SAMPLE_BYTES))
        self.locale = self.profile.locale or default_locale(context.locales)
        self.currency = self.profile.currency or (min(context.currencies)
                                                  if context.currencies else "USD")

    def records(self) -> PlatformRecords:
        return PlatformRecords(self, self._records())

    def _records(self) -> Iterator[ImportRecord]:
        profile = self.profile
        read = read_shopify_csv if self.layout == "shopify" else read_magento_csv
        options: dict[str, Any] = {"currency": self.currency,
                                   "encoding": self.encoding.encoding}
        if profile.stock_source:
            options["stock_source"] = profile.stock_source
        try:
            items: Iterator[ImportRecord] = read(self.path, **options)
            if profile.family_variant:
                items = _in_family_variant(items, profile.family_variant)
            yield from fit_to_catalog(items, self.context, locale=self.locale,
                                      attributes=profile.attributes,
                                      associations=profile.associations)
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"not valid {self.encoding.encoding} text ({error.reason}); save the file as "
                "UTF-8 or name its encoding in the mapping profile", path=str(self.path),
            ) from None


class PlatformRecords(Iterator[ImportRecord]):
    """The records of a ``PlatformSource``, read lazily; knows its source."""

    def __init__(self, source: PlatformSource, items: Iterator[ImportRecord]):
        self.source = source
        self._items = items

    def __next__(self) -> ImportRecord:
        return next(self._items)


def default_locale(locales: list[str]) -> str | None:
    """The locale of a platform file's texts when the profile names none: the catalog's only
    locale, else its first English one (the platforms' admin language), else its first."""
    ordered = sorted(locales)
    english = [code for code in ordered if code.startswith("en")]
    candidates = english or ordered
    return candidates[0] if candidates else None


def _in_family_variant(items: Iterable[ImportRecord], family_variant: str
                       ) -> Iterator[ImportRecord]:
    """The profile's family variant on every product model that names none."""
    for item in items:
        if (isinstance(item, ProductRecord) and item.kind == "product_model"
                and item.family is None and item.family_variant is None):
            item.family_variant = family_variant
        yield item


def fit_to_catalog(items: Iterable[ImportRecord], context: CatalogContext, *,
                   locale: str | None, attributes: dict[str, str] | None = None,
                   associations: dict[str, str] | None = None) -> Iterator[ImportRecord]:
    """Records of a platform reader made the catalog's (see the module's description)."""
    fitter = _CatalogFit(context, locale, attributes or {}, associations or {})
    for item in items:
        if isinstance(item, ProductRecord):
            yield from fitter.fit(item)
        yield item


class _CatalogFit:
    def __init__(self, context: CatalogContext, locale: str | None, mapped: dict[str, str],
                 mapped_associations: dict[str, str]):
        self.context = context
        self.locale = locale
        self.mapped = mapped
        self.targets: dict[str, str | None] = {}
        self.options: dict[str, dict[str, str]] = {}
        self.warned: set[str] = set()
        self.association_types = {code.casefold(): code for code in context.association_types}
        self.mapped_associations = mapped_associations

    def fit(self, record: ProductRecord) -> list[RowError]:
        """Rewrite ``record.values`` in place; returns the warnings to report first."""
        warnings = []
        values: dict[str, list] = {}
        for code, entries in record.values.items():
            target = self.target(code)
            if target is None:
                if code not in self.warned:
                    self.warned.add(code)
                    tried = ", ".join(self.candidates(code))
                    warnings.append(RowError(
                        record.row, f"the catalog has no attribute {tried}: values left out "
                        f"(name one in the mapping profile's attributes: {{{code}: ...}}); "
                        "later rows are not warned again", column=code, sku=record.sku,
                        severity="warning"))
                continue
            spec = self.context.attributes[target]
            values[target] = [self.entry(spec, entry) for entry in entries]
        record.values = values
        if record.associations:
            record.associations = self.fit_associations(record, warnings)
        return warnings

    def fit_associations(self, record: ProductRecord, warnings: list[RowError]) -> dict:
        fitted: dict[str, Any] = {}
        for kind, links in (record.associations or {}).items():
            names = [self.mapped_associations.get(kind, kind), *ASSOCIATION_ALIASES.get(kind, ())]
            target = next((self.association_types[name.casefold()] for name in names
                           if name.casefold() in self.association_types), None)
            if target is not None:
                fitted.setdefault(target, []).extend(links)
            elif f"associations.{kind}" not in self.warned:
                self.warned.add(f"associations.{kind}")
                warnings.append(RowError(
                    record.row, f"the catalog has no association type {kind!r}: links left "
                    f"out (name one in the mapping profile's associations: {{{kind}: ...}}); "
                    "later rows are not warned again", column=f"associations.{kind}",
                    sku=record.sku, severity="warning"))
        return fitted

    def candidates(self, code: str) -> list[str]:
        found = [self.mapped[code]] if code in self.mapped else []
        return list(dict.fromkeys([*found, code, *ALIASES.get(code, ())]))

    def target(self, code: str) -> str | None:
        if code not in self.targets:
            self.targets[code] = next(
                (name for name in self.candidates(code) if name in self.context.attributes),
                None)
        return self.targets[code]

    def entry(self, spec: AttributeSpec, entry: dict[str, Any]) -> dict[str, Any]:
        locale = entry.get("locale")
        if spec.localizable and locale is None:
            locale = self.locale
        elif not spec.localizable:
            locale = None
        data = entry.get("data")
        if spec.type == "select" and isinstance(data, str):
            data = self.option(spec, data)
        elif spec.type == "multiselect" and isinstance(data, list):
            data = [self.option(spec, item) if isinstance(item, str) else item for item in data]
        return {"locale": locale, "scope": entry.get("scope"), "data": data}

    def option(self, spec: AttributeSpec, text: str) -> str:
        """The option code ``text`` names (as code or label, any case); else ``text``, for
        validation to refuse with the attribute's name."""
        lookup = self.options.get(spec.code)
        if lookup is None:
            lookup = self.options[spec.code] = {}
            for code, labels in spec.options.items():
                for label in labels.values():
                    lookup.setdefault(label.casefold(), code)
            for code in spec.options:
                lookup[code.casefold()] = code
        return lookup.get(text.strip().casefold(), text)

