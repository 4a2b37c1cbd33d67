"""Mapping profiles: how a file that does not follow the column convention maps onto it.

A profile is YAML, for example::

    format: auto               # the file's layout: akeneo (this column convention), shopify,
                               # magento, or auto (told from the header; the default)
    kind: product              # what the file holds (default: told by the file name/header)
    sheet: Products            # sheet name or 0-based index (XLSX)
    header_row: 3              # 1-based; default: detected below any title rows
    delimiter: ";"             # CSV; default: detected
    encoding: cp1252           # CSV; default: detected
    overwrite_pim_owned: false # carried to the hub, which enforces ownership
    clear_on_empty: false      # true: an empty cell clears the stored value
    transforms:                # defaults for every column
      trim: true
      decimal_comma: false
      date_formats: ["%d.%m.%Y"]
      list_separator: ","
    columns:
      Article no: sku                              # a convention column name
      Name (DE): {attribute: name, locale: de_DE}
      Price EUR: {attribute: price, currency: EUR, decimal_comma: true}
      Weight g: {attribute: weight, unit: GRAM, convert_unit_to: KILOGRAM}
      Colour: {attribute: color, value_map: {Red: red, Dark blue: navy}}
      Internal note: ignore
    constants:                 # convention column -> text, used where the file gives nothing
      family: shirts
      enabled: "1"

For Shopify and Magento files (``format: shopify`` / ``magento``) the columns are the
platform's; what a profile says is where their values go (``importers.platforms``)::

    format: shopify
    locale: en_GB              # the locale of their texts (default: the catalog's first)
    currency: GBP              # the currency of their prices (default: the catalog's first)
    stock_source: shopify_uk   # where their stock quantities go (default: shopify / magento)
    family_variant: apparel_colour_size  # of the product models they bring (a new one needs one)
    attributes:                # their value codes -> the catalog's attributes
      gtin: ean
      color: colour
    associations:              # their link kinds (related, cross_sell, upsell, pack) ->
      related: ACCESSORY       # the catalog's association types
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from importers.errors import ImportFileError

RecordKind = Literal[
    "product",
    "product_model",
    "attribute",
    "attribute_option",
    "attribute_group",
    "family",
    "family_variant",
    "category",
    "channel",
    "association_type",
    "locale",
    "currency",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnTransforms(_Strict):
    """Cell clean-up; set on the profile for every column, or on one column to override."""

    trim: bool = True
    decimal_comma: bool = False
    date_formats: list[str] = Field(default_factory=list)
    list_separator: str = ","


class ColumnMapping(_Strict):
    """Where one source column goes. Give ``target`` (a convention column name such as
    ``name-en_US`` or ``family``) or ``attribute`` with its locale/scope/currency/unit."""

    target: str | None = None
    attribute: str | None = None
    locale: str | None = None
    scope: str | None = None
    currency: str | None = None
    unit: str | None = None  # the unit the column's amounts are in
    convert_unit_to: str | None = None  # convert amounts into this unit of the same family
    ignore: bool = False
    value_map: dict[str, str] = Field(default_factory=dict)  # cell text -> option code/text
    trim: bool | None = None
    decimal_comma: bool | None = None
    date_formats: list[str] | None = None
    list_separator: str | None = None

    def transforms(self, defaults: ColumnTransforms) -> ColumnTransforms:
        overrides = {
            name: getattr(self, name)
            for name in ColumnTransforms.model_fields
            if getattr(self, name) is not None
        }
        return defaults.model_copy(update=overrides) if overrides else defaults


ImportFormat = Literal["auto", "akeneo", "shopify", "magento"]


class MappingProfile(_Strict):
    name: str | None = None
    format: ImportFormat | None = None
    kind: RecordKind | None = None
    sheet: str | int | None = None
    header_row: int | None = Field(default=None, ge=1)
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = None
    overwrite_pim_owned: bool = False
    clear_on_empty: bool = False
    transforms: ColumnTransforms = Field(default_factory=ColumnTransforms)
    columns: dict[str, ColumnMapping] = Field(default_factory=dict)
    constants: dict[str, str] = Field(default_factory=dict)
    # Shopify and Magento files (``importers.platforms``).
    locale: str | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    stock_source: str | None = None
    # The family variant of the product models the file brings (Shopify and Magento have
    # no families; a new model needs one). A model the catalog has keeps its own.
    family_variant: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    associations: dict[str, str] = Field(default_factory=dict)

    @field_validator("columns", mode="before")
    @classmethod
    def _shorthand_columns(cls, columns: Any) -> Any:
        # "Source: target" and "Source: ignore" (or null) are the common cases in YAML.
        if not isinstance(columns, dict):
            return columns
        expanded: dict[str, Any] = {}
        for source, target in columns.items():
            if target is None or target == "ignore":
                expanded[str(source)] = {"ignore": True}
            elif isinstance(target, str):
                expanded[str(source)] = {"target": target}
            else:
                expanded[str(source)] = target
        return expanded

    @field_validator("constants", mode="before")
    @classmethod
    def _constants_as_text(cls, constants: Any) -> Any:
        if not isinstance(constants, dict):
            return constants
        return {str(k): _as_cell_text(v) for k, v in constants.items()}

    def mapping_for(self, header: str) -> ColumnMapping | None:
        if header in self.columns:
            return self.columns[header]
        folded = header.strip().casefold()
        for source, mapping in self.columns.items():
            if source.strip().casefold() == folded:
                return mapping
        return None


def _as_cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return "" if value is None else str(value)


PROFILES_DIR = Path(__file__).parent / "profiles"


def shipped_profiles() -> dict[str, Path]:
    """The example profiles shipped in ``importers/profiles``, by name (file stem)."""
    return {path.stem: path for path in sorted(PROFILES_DIR.glob("*.yaml"))}


def profile_path(name_or_path: str | Path) -> Path:
    """A profile file: ``name_or_path`` if it is one, else the shipped profile of that name;
    an ImportFileError naming the shipped ones otherwise."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = shipped_profiles()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    raise ImportFileError(f"no such mapping profile (a file, or one of the shipped profiles: "
                          f"{', '.join(shipped)})", path=str(name_or_path))


def load_profile(path: str | Path) -> MappingProfile:
    """Read a YAML mapping profile (a file, or a shipped profile's name); an invalid one is an
    ImportFileError listing each fault."""
    path = profile_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ImportFileError(f"cannot read the mapping profile: {error}", path=str(path)) from None
    return parse_profile(data, source=str(path))


def parse_profile(data: Any, *, source: str | None = None) -> MappingProfile:
    try:
        return MappingProfile.model_validate(data)
    except ValidationError as error:
        faults = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'profile'}: {e['msg']}" for e in error.errors()
        )
        raise ImportFileError(f"invalid mapping profile: {faults}", path=source) from None
