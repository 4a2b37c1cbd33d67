"""Rows of products or product models into ``ProductRecord``s, following the column plan.

Empty cells mean "not given": the value is left out and the hub keeps what it has. A
profile with ``clear_on_empty`` turns an empty value cell into ``data: None`` (clear it).
A cell that cannot be converted is a RowError naming row, column and value; the rest of the
row is still yielded. A second row with the same SKU is a RowError and is skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from importers.cells import CellError, parse_boolean, parse_decimal, split_list
from importers.columns import (
    ColumnNameError,
    ColumnTarget,
    parse_column_name,
    target_from_mapping,
)
from importers.converters import (
    Converter,
    MissingMedia,
    convert_measurement,
    make_value_converter,
    parse_price_list,
    unit_factors,
)
from importers.csv_file import BrokenRow
from importers.errors import ImportFileError
from importers.profile import MappingProfile
from pim.records import (
    AssociationLink,
    AttributeSpec,
    CatalogContext,
    ProductRecord,
    RecordKind,
    RowError,
)

ProductRow = ProductRecord | RowError


def ragged_row_error(row_number: int, cells: int, width: int) -> RowError:
    return RowError(row_number, f"the row has {cells} cells but the header has {width}; "
                    "the row is skipped (check for a stray delimiter or quote)", value=cells)


@dataclass(slots=True)
class _Column:
    index: int  # -1: a profile constant with no column in the file
    header: str
    default: str
    target: ColumnTarget
    convert: Converter | None = None
    decimal_comma: bool = False  # the column's transforms, looked up once (prices, amounts)


def _cell_index(column: _Column, width: int) -> int:
    """Where the row loop reads the column's cell: a constant's is past the file's cells."""
    return column.index if column.index >= 0 else width


def _first_flags(codes: list[str]) -> Iterator[bool]:
    """For each code in order, whether it is its first occurrence."""
    seen: set[str] = set()
    for code in codes:
        yield code not in seen
        seen.add(code)


class ProductRowReader:
    def __init__(
        self,
        header: list[str],
        header_row: int,
        *,
        kind: RecordKind = "product",
        context: CatalogContext,
        channels: set[str] | frozenset[str],
        profile: MappingProfile | None = None,
        media_root: Path | None = None,
        seen_skus: dict[str, int] | None = None,
    ):
        self.kind = kind
        self.header = header
        self.header_row = header_row
        self.context = context
        self.profile = profile or MappingProfile()
        self.media_root = media_root
        self.header_problems: list[RowError] = []
        # SKU -> first row; shared between sources when the caller wants cross-file checks.
        self.seen_skus = {} if seen_skus is None else seen_skus
        columns = self._plan(header, channels)
        self._assign(columns)

    # --- the plan, built once ---------------------------------------------------------

    def _plan(self, header: list[str], channels) -> list[_Column]:
        constants = dict(self.profile.constants)
        columns = []
        for index, name in enumerate(header):
            if not name.strip():
                continue
            mapping = self.profile.mapping_for(name)
            try:
                if mapping is not None:
                    target = target_from_mapping(name, mapping, self.context, channels)
                else:
                    target = parse_column_name(name, self.context, channels)
            except ColumnNameError as error:
                self._header_warning(str(error), name)
                continue
            default = constants.pop(mapping.target if mapping and mapping.target else name, "")
            columns.append(_Column(index, name, default, target))
        for name, text in constants.items():
            try:
                target = parse_column_name(name, self.context, channels)
            except ColumnNameError as error:
                self._header_warning(f"profile constant: {error}", name)
                continue
            columns.append(_Column(-1, name, text, target))
        return columns

    def _header_warning(self, message: str, column: str) -> None:
        self.header_problems.append(
            RowError(self.header_row, message, column=column, value=column, severity="warning")
        )

    def _assign(self, columns: list[_Column]) -> None:
        defaults = self.profile.transforms
        self.fields: dict[str, _Column] = {}
        self.values: list[_Column] = []
        self.prices: dict[tuple, list[_Column]] = {}
        self.amounts: dict[tuple, _Column] = {}
        self.units: dict[tuple, _Column] = {}
        self.links: dict[tuple[str, str | None], _Column] = {}
        self.quantities: dict[tuple[str, str | None], _Column] = {}
        for column in columns:
            target = column.target
            key = (target.name, target.locale, target.scope)
            mapping = target.mapping
            if target.role == "field":
                self.fields[target.name] = column
            elif target.role == "value":
                try:
                    column.convert = make_value_converter(
                        cast(AttributeSpec, target.spec), mapping.transforms(defaults) if mapping else defaults,
                        mapping.value_map if mapping else {}, self.media_root)
                except CellError as error:
                    self._header_warning(str(error), column.header)
                    continue
                self.values.append(column)
            elif target.role == "price":
                column.decimal_comma = self._transforms(column).decimal_comma
                self.prices.setdefault(key, []).append(column)
            elif target.role == "amount":
                column.decimal_comma = self._transforms(column).decimal_comma
                self.amounts[key] = column
            elif target.role == "unit":
                self.units[key] = column
            elif target.role == "association":
                self.links[(target.name, target.association_target)] = column
            elif target.role == "quantity":
                self.quantities[(target.name, target.association_target)] = column
        self.field_columns = tuple(
            self.fields.get(name)
            for name in ("family", "family_variant", "parent", "enabled", "categories"))
        identifier = "code" if self.kind == "product_model" else "sku"
        identifier_column = self.fields.get(identifier) or self.fields.get("sku")
        if identifier_column is None:
            raise ImportFileError(f"no {identifier!r} column in the header "
                                  f"({', '.join(h for h in self.header if h)[:200]})")
        self.identifier: _Column = identifier_column
        self.measurement_factors = {
            key: unit_factors(cast(AttributeSpec, column.target.spec), self.context)
            for key, column in self.amounts.items()
        }

    # --- rows ----------------------------------------------------------------------------

    def records(self, rows: Iterable[tuple[int, list[str]]], *, ragged_check: bool = True
                ) -> Iterator[ProductRow]:
        yield from self.header_problems
        width = len(self.header)
        clear = self.profile.clear_on_empty
        kind = self.kind
        seen_skus = self.seen_skus
        id_index = self.identifier.index
        id_header = self.identifier.header
        read_fields = self._read_fields
        # Every column's attributes read once, not once per row. ``first``: no column read
        # before this one in a row gives the same attribute, so its list is new.
        firsts = _first_flags([column.target.name for column in self.values]
                             + [code for code, _, _ in self.prices]
                             + [code for code, _, _ in self.amounts])
        # A profile constant without a column reads the empty cell appended past the end
        # of such a row (index ``width``), then its default, as a column's empty cell does.
        pad = any(column.index < 0 for column in
                  [*self.values, *self.amounts.values(), *self.units.values(),
                   *(column for columns in self.prices.values() for column in columns)])
        value_plan = [(_cell_index(column, width), column.default, column.target.name,
                       column.target.locale, column.target.scope,
                       cast(Converter, column.convert), column,
                       clear and column.index >= 0, next(firsts))
                      for column in self.values]
        price_plan = [
            (code, locale, scope, [(_cell_index(column, width), column.default,
                                    column.target.currency, column.decimal_comma, column)
                                   for column in columns],
             next(firsts))
            for (code, locale, scope), columns in self.prices.items()
        ]
        measurement_plan = [(*self._measurement_plan(key, column, width), next(firsts))
                            for key, column in self.amounts.items()]
        links = self.links
        for row_number, cells in rows:
            if cells.__class__ is BrokenRow:
                yield RowError(row_number, cells.message)
                continue
            if len(cells) != width:
                if not any(cells):
                    continue
                if ragged_check:
                    yield ragged_row_error(row_number, len(cells), width)
                    continue
                cells = (cells + [""] * (width - len(cells)))[:width]
            if pad:
                cells = [*cells, ""]
            sku = cells[id_index].strip() if id_index >= 0 else self.identifier.default
            if not sku:
                if any(cells):
                    yield RowError(row_number, f"the {id_header!r} cell is empty; "
                                   "the row is skipped", column=id_header)
                continue
            first_row = seen_skus.get(sku)
            if first_row is not None:
                yield RowError(row_number, f"duplicate {id_header} {sku!r} (first "
                               f"at row {first_row}); this row is skipped",
                               column=id_header, value=sku, sku=sku)
                continue
            seen_skus[sku] = row_number
            errors: list[RowError] = []
            record = ProductRecord(sku=sku, kind=kind, row=row_number)
            read_fields(record, cells, errors)
            values = record.values
            for index, default, code, locale, scope, convert, column, clears, first in value_plan:
                text = cells[index] or default
                if not text or text.isspace():
                    if clears:
                        values.setdefault(code, []).append(
                            {"locale": locale, "scope": scope, "data": None})
                    continue
                try:
                    data = convert(text)
                except CellError as error:
                    errors.append(RowError(
                        row_number, str(error), column=column.header, value=text, sku=sku,
                        severity="warning" if isinstance(error, MissingMedia) else "error"))
                    continue
                if first:
                    values[code] = [{"locale": locale, "scope": scope, "data": data}]
                else:
                    values.setdefault(code, []).append(
                        {"locale": locale, "scope": scope, "data": data})
            for code, locale, scope, columns, first in price_plan:
                prices = []
                for index, default, currency, decimal_comma, column in columns:
                    text = (cells[index] or default).strip()
                    if not text:
                        continue
                    try:
                        if currency:
                            prices.append({"amount": parse_decimal(text, decimal_comma=decimal_comma),
                                           "currency": currency})
                        else:
                            prices.extend(parse_price_list(text, decimal_comma=decimal_comma))
                    except CellError as error:
                        errors.append(RowError(row_number, str(error), column=column.header,
                                               value=text, sku=sku))
                if prices:
                    entry = {"locale": locale, "scope": scope, "data": prices}
                    if first:
                        values[code] = [entry]
                    else:
                        values.setdefault(code, []).append(entry)
            for (code, locale, scope, index, default, unit_index, unit_default, spec,
                 fixed_unit, convert_to, factors, decimal_comma, column, first
                 ) in measurement_plan:
                text = (cells[index] or default).strip()
                if not text:
                    continue
                unit_text = "" if unit_index is None else (cells[unit_index] or unit_default).strip()
                try:
                    last = text[-1]
                    if (unit_text and (not factors or unit_text in factors)
                            and (not convert_to or convert_to == unit_text)
                            and not (last.isascii() and (last.isalpha() or last == "_"))):
                        # A bare amount and a known unit in its own cell, nothing to convert:
                        # what convert_measurement gives, without its general path.
                        data = {"amount": parse_decimal(text, decimal_comma=decimal_comma),
                                "unit": unit_text}
                    else:
                        data = convert_measurement(
                            text, unit_text, spec=spec, fixed_unit=fixed_unit,
                            convert_to=convert_to, factors=factors, decimal_comma=decimal_comma)
                except CellError as error:
                    errors.append(RowError(row_number, str(error), column=column.header,
                                           value=text, sku=sku))
                    continue
                if first:
                    values[code] = [{"locale": locale, "scope": scope, "data": data}]
                else:
                    values.setdefault(code, []).append(
                        {"locale": locale, "scope": scope, "data": data})
            if links:
                self._read_associations(record, cells, errors)
            if errors:
                yield from errors
            yield record

    def _measurement_plan(self, key: tuple, column: _Column, width: int) -> tuple:
        """One amount column's attributes and its unit column's, as the row loop reads them
        (a unit index of None: no unit column)."""
        unit_column = self.units.get(key)
        mapping = column.target.mapping
        return (*key, _cell_index(column, width), column.default,
                _cell_index(unit_column, width) if unit_column else None,
                unit_column.default if unit_column else "",
                column.target.spec, mapping.unit if mapping else None,
                mapping.convert_unit_to if mapping else None,
                self.measurement_factors[key], column.decimal_comma, column)

    def _cell(self, column: _Column, cells: list[str]) -> str:
        text = cells[column.index] if column.index >= 0 else ""
        return (text or column.default).strip()

    def _error(self, errors, record, column, message, text) -> None:
        errors.append(RowError(record.row, message, column=column.header, value=text,
                               sku=record.sku))

    def _read_fields(self, record: ProductRecord, cells: list[str], errors) -> None:
        family, family_variant, parent, enabled, categories = self.field_columns
        context = self.context
        if family is not None and (text := self._cell(family, cells)):
            if context.families and text not in context.families:
                self._error(errors, record, family, f"unknown family {text!r}", text)
            else:
                record.family = text
        if family_variant is not None and (text := self._cell(family_variant, cells)):
            variant = context.family_variants.get(text)
            if context.family_variants and variant is None:
                self._error(errors, record, family_variant,
                            f"unknown family variant {text!r}", text)
            else:
                record.family_variant = text
                if variant and record.family is None:
                    record.family = variant.family
        if parent is not None and (text := self._cell(parent, cells)):
            record.parent = text
        if enabled is not None and (text := self._cell(enabled, cells)):
            try:
                record.enabled = parse_boolean(text)
            except CellError as error:
                self._error(errors, record, enabled, str(error), text)
        if categories is not None:
            text = self._cell(categories, cells)
            if text:
                codes = split_list(text, self.profile.transforms.list_separator)
                known = context.categories
                if known:
                    for code in codes:
                        if code not in known:
                            self._error(errors, record, categories,
                                        f"unknown category {code!r}", code)
                    codes = [code for code in codes if code in known]
                record.categories = codes
            elif self.profile.clear_on_empty and categories.index >= 0:
                record.categories = []

    def _transforms(self, column: _Column):
        mapping = column.target.mapping
        defaults = self.profile.transforms
        return mapping.transforms(defaults) if mapping else defaults

    def _read_associations(self, record: ProductRecord, cells: list[str], errors) -> None:
        associations: dict[str, list[AssociationLink]] = {}
        for (code, target), column in self.links.items():
            text = self._cell(column, cells)
            if not text:
                continue
            quantity_column = self.quantities.get((code, target))
            quantities = split_list(self._cell(quantity_column, cells)) if quantity_column else []
            links = associations.setdefault(code, [])
            for position, item in enumerate(split_list(text)):
                sku, _, quantity_text = item.partition("|")
                if not quantity_text and position < len(quantities):
                    quantity_text = quantities[position]
                quantity = None
                if quantity_text:
                    try:
                        quantity = int(quantity_text.strip())
                        if quantity < 1:
                            raise ValueError
                    except ValueError:
                        self._error(errors, record, column,
                                    f"quantity {quantity_text!r} for {sku!r} is not a whole "
                                    "number of at least 1", item)
                        continue
                links.append(AssociationLink(sku=sku.strip(), quantity=quantity))
        if associations:
            record.associations = associations
