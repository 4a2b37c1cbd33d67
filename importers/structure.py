"""Catalog structure files (attributes, options, groups, families, family variants,
categories, channels, association types, locales, currencies) into ``StructureRecord``s.

Columns follow Akeneo's export layout, which most PIM users already have, and also accept
this hub's own names (``label_attribute`` for ``attribute_as_label`` and so on). ``data``
holds only what the file gives, in the keys the hub's structure schemas take.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from importers.cells import CellError, parse_boolean, parse_date, parse_decimal, split_list
from importers.csv_file import BrokenRow
from pim.records import (
    ATTRIBUTE_TYPES,
    AttributeSpec,
    CatalogContext,
    CategorySpec,
    FamilySpec,
    FamilyVariantSpec,
    RowError,
    StructureKind,
    StructureRecord,
)

AKENEO_ATTRIBUTE_TYPES = {
    "pim_catalog_identifier": "identifier",
    "pim_catalog_text": "text",
    "pim_catalog_textarea": "textarea",
    "pim_catalog_number": "number",
    "pim_catalog_metric": "measurement",
    "pim_catalog_price_collection": "price",
    "pim_catalog_boolean": "boolean",
    "pim_catalog_date": "date",
    "pim_catalog_simpleselect": "select",
    "pim_catalog_multiselect": "multiselect",
    "pim_reference_data_simpleselect": "select",
    "pim_reference_data_multiselect": "multiselect",
    "pim_catalog_image": "media",
    "pim_catalog_file": "media",
    "akeneo_reference_entity": "select",
    "akeneo_reference_entity_collection": "multiselect",
}


def _text(value: str) -> str:
    return value.strip()


def _integer(value: str) -> int:
    try:
        return int(parse_decimal(value).split(".")[0])
    except CellError:
        raise CellError(f"{value!r} is not a whole number") from None


def _attribute_type(value: str) -> str:
    code = value.strip()
    mapped = AKENEO_ATTRIBUTE_TYPES.get(code, code)
    if mapped not in ATTRIBUTE_TYPES:
        raise CellError(f"unsupported attribute type {code!r} (known: {', '.join(ATTRIBUTE_TYPES)})")
    return mapped


def _no_decimals(value: str) -> int | None:
    return None if parse_boolean(value) else 0


def _file_size_mb(value: str) -> float:
    return float(parse_decimal(value))


Parser = Callable[[str], Any]
# column -> (data key, parser); a dotted key nests ("validation.max_length").
COMMON = {"code": ("code", _text)}
FIELDS: dict[str, dict[str, tuple[str, Parser]]] = {
    "attribute": {
        "type": ("type", _attribute_type),
        "localizable": ("localizable", parse_boolean),
        "scopable": ("scopable", parse_boolean),
        "owner": ("owner", _text),
        "group": ("group", _text),
        "unit_family": ("unit_family", _text),
        "metric_family": ("unit_family", _text),
        "default_unit": ("default_unit", _text),
        "default_metric_unit": ("default_unit", _text),
        "unique": ("unique", parse_boolean),
        "sort_order": ("sort_order", _integer),
        "max_length": ("validation.max_length", _integer),
        "max_characters": ("validation.max_length", _integer),
        "min_length": ("validation.min_length", _integer),
        "regex": ("validation.regex", _text),
        "validation_regexp": ("validation.regex", _text),
        "min": ("validation.min", parse_decimal),
        "number_min": ("validation.min", parse_decimal),
        "max": ("validation.max", parse_decimal),
        "number_max": ("validation.max", parse_decimal),
        "decimals": ("validation.decimals", _integer),
        "decimals_allowed": ("validation.decimals", _no_decimals),
        "negative_allowed": ("validation.negative_allowed", parse_boolean),
        "date_min": ("validation.date_min", parse_date),
        "date_max": ("validation.date_max", parse_date),
        "allowed_extensions": ("validation.allowed_extensions", split_list),
        "max_file_size": ("validation.max_file_size_mb", _file_size_mb),
    },
    "attribute_option": {
        "attribute": ("attribute", _text),
        "sort_order": ("sort_order", _integer),
    },
    "attribute_group": {"sort_order": ("sort_order", _integer)},
    "family": {
        "attributes": ("attributes", split_list),
        "attribute_as_label": ("label_attribute", _text),
        "label_attribute": ("label_attribute", _text),
        "attribute_as_image": ("image_attribute", _text),
        "image_attribute": ("image_attribute", _text),
    },
    "family_variant": {
        "family": ("family", _text),
        "variant-axes_1": ("axes.0", split_list),
        "variant-axes_2": ("axes.1", split_list),
        "variant-attributes_1": ("level_attributes.0", split_list),
        "variant-attributes_2": ("level_attributes.1", split_list),
        "axes_1": ("axes.0", split_list),
        "axes_2": ("axes.1", split_list),
        "attributes_1": ("level_attributes.0", split_list),
        "attributes_2": ("level_attributes.1", split_list),
    },
    "category": {
        "parent": ("parent", _text),
        "position": ("position", _integer),
        "sort_order": ("position", _integer),
    },
    "channel": {
        "locales": ("locales", split_list),
        "currencies": ("currencies", split_list),
        "tree": ("category_tree", _text),
        "category_tree": ("category_tree", _text),
    },
    "association_type": {
        "is_quantified": ("quantified", parse_boolean),
        "quantified": ("quantified", parse_boolean),
        "is_two_way": ("two_way", parse_boolean),
        "two_way": ("two_way", parse_boolean),
    },
    "locale": {"activated": ("enabled", parse_boolean), "enabled": ("enabled", parse_boolean)},
    "currency": {"activated": ("enabled", parse_boolean), "enabled": ("enabled", parse_boolean)},
}
# Akeneo columns with no counterpart in this hub: read without a warning.
AKENEO_IGNORED = frozenset({
    "auto_option_sorting", "available_locales", "reference_data_name", "useable_as_grid_filter",
    "validation_rule", "wysiwyg_enabled", "minimum_input_length", "attributes",
})
STRUCTURE_KINDS = frozenset(FIELDS)


class StructureRowReader:
    def __init__(self, header: list[str], header_row: int, *, kind: StructureKind):
        if kind not in FIELDS:
            raise ValueError(f"not a structure kind: {kind!r}")
        self.kind = kind
        self.header_row = header_row
        self.width = len(header)
        self.header_problems: list[RowError] = []
        self.columns: list[tuple[int, str, str, Parser]] = []  # index, header, key, parser
        fields = {**COMMON, **FIELDS[kind]}
        for index, raw in enumerate(header):
            name = raw.strip()
            if not name:
                continue
            if name in fields:
                key, parser = fields[name]
            elif name.startswith("label-"):
                key, parser = f"labels.{name[6:]}", _text
            elif kind == "family" and name.startswith("requirements-"):
                key, parser = f"requirements.{name[13:]}", split_list
            elif name in AKENEO_IGNORED:
                continue
            else:
                self.header_problems.append(RowError(
                    header_row, f"unknown column {name!r} for {kind} rows: ignored",
                    column=name, value=name, severity="warning"))
                continue
            self.columns.append((index, name, key, parser))
        if not any(key == "code" for _, _, key, _ in self.columns):
            from importers.errors import ImportFileError

            raise ImportFileError(f"no 'code' column in the {kind} file header")

    def records(self, rows: Iterable[tuple[int, list[str]]], *, ragged_check: bool = True
                ) -> Iterator[StructureRecord | RowError]:
        from importers.product_rows import ragged_row_error

        yield from self.header_problems
        for row_number, cells in rows:
            if cells.__class__ is BrokenRow:
                yield RowError(row_number, cells.message)
                continue
            if len(cells) != self.width:
                if not any(cells):
                    continue
                if ragged_check:
                    yield ragged_row_error(row_number, len(cells), self.width)
                    continue
                cells = (cells + [""] * self.width)[: self.width]
            if not any(cells):
                continue
            yield from self._record(row_number, cells)

    def _record(self, row_number: int, cells: list[str]):
        data: dict[str, Any] = {}
        code = ""
        errors = []
        for index, name, key, parser in self.columns:
            text = cells[index]
            if not text.strip():
                continue
            try:
                value = parser(text)
            except CellError as error:
                errors.append(RowError(row_number, str(error), column=name, value=text))
                continue
            if key == "code":
                code = value
            elif value is not None:
                _set_nested(data, key, value)
        if not code:
            yield RowError(row_number, "the 'code' cell is empty; the row is skipped",
                           column="code")
            return
        yield from errors
        if self.kind == "attribute" and "type" not in data:
            yield RowError(row_number, f"attribute {code!r} has no type; the row is skipped",
                           column="type")
            return
        _shape_variant_levels(data)
        yield StructureRecord(self.kind, code, data, row=row_number)


def _set_nested(data: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


def _shape_variant_levels(data: dict) -> None:
    # family variants: {"0": [...], "1": [...]} -> [[...], [...]] without empty levels.
    for key in ("axes", "level_attributes"):
        levels = data.get(key)
        if isinstance(levels, dict):
            data[key] = [levels[level] for level in sorted(levels) if levels[level]]


def extend_context(context: CatalogContext, record: StructureRecord) -> None:
    """Teach a CatalogContext what a structure record declares, so later files in the same
    import (options after attributes, products after families) are read with it."""
    data = record.data
    labels = data.get("labels", {})
    if record.kind == "attribute":
        context.attributes[record.code] = AttributeSpec(
            code=record.code, type=data["type"], localizable=data.get("localizable", False),
            scopable=data.get("scopable", False), owner=data.get("owner", "pim"),
            group=data.get("group"), labels=labels, unit_family=data.get("unit_family"),
            default_unit=data.get("default_unit"), validation=data.get("validation", {}),
            unique=data.get("unique", False))
    elif record.kind == "attribute_option":
        spec = context.attributes.get(data.get("attribute", ""))
        if spec is not None:
            spec.options[record.code] = labels
    elif record.kind == "category":
        context.categories[record.code] = CategorySpec(record.code, data.get("parent"), labels)
    elif record.kind == "family":
        context.families[record.code] = FamilySpec(
            record.code, data.get("attributes", []), labels, data.get("label_attribute"),
            data.get("image_attribute"), data.get("requirements", {}))
    elif record.kind == "family_variant":
        context.family_variants[record.code] = FamilyVariantSpec(
            record.code, data.get("family", ""), data.get("axes", []),
            data.get("level_attributes", []), labels)
    elif record.kind in ("locale", "currency") and data.get("enabled", True):
        known = context.locales if record.kind == "locale" else context.currencies
        if record.code not in known:
            known.append(record.code)
