"""What comes in and what goes out of the catalog, as pydantic models.

The same models validate a structure row from a file, a CLI call and an API body, so every
path refuses the same things with the same words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pim.catalog.values import PatternError, compile_pattern
from pim.db import INT_MAX
from pim.records import ATTRIBUTE_TYPES

ATTRIBUTE_CODE = r"^[a-z][a-z0-9_]*$"
CODE = r"^[A-Za-z0-9][A-Za-z0-9_\-.]*$"
LOCALE = r"^[a-z]{2,3}(_[A-Z][a-z]{3})?_([A-Z]{2}|[0-9]{3})$"
MAX_QUANTITY = 1_000_000_000  # an association's quantity (a pack of at most a billion)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LocaleIn(_In):
    code: str = Field(pattern=LOCALE, max_length=16)
    enabled: bool = True


class CurrencyIn(_In):
    code: str = Field(pattern=r"^[A-Z]{3}$")
    enabled: bool = True


class UnitIn(_In):
    factor: str = "1"
    symbol: str = ""


class UnitFamilyIn(_In):
    code: str = Field(pattern=CODE, max_length=64)
    standard_unit: str
    units: dict[str, UnitIn]
    labels: dict[str, str] = {}


class AttributeGroupIn(_In):
    code: str = Field(pattern=CODE, max_length=100)
    labels: dict[str, str] = {}
    sort_order: int = Field(0, ge=-INT_MAX, le=INT_MAX)


class AttributeValidation(_In):
    max_length: int | None = Field(None, ge=1)
    min_length: int | None = Field(None, ge=0)
    regex: str | None = None
    min: str | None = None
    max: str | None = None
    decimals: int | None = Field(None, ge=0, le=10)  # MAX_DECIMAL_PLACES of values
    negative_allowed: bool | None = None
    date_min: str | None = None
    date_max: str | None = None
    format: Literal["gtin", "mpn"] | None = None
    allowed_extensions: list[str] | None = None
    max_file_size_mb: float | None = None

    @field_validator("min", "max", mode="before")
    @classmethod
    def _decimal_text(cls, value: Any) -> Any:
        return None if value is None or value == "" else str(value)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value:
            try:
                compile_pattern(value)
            except PatternError as error:
                raise ValueError(f"invalid regular expression: {error}") from None
        return value


class AttributeIn(_In):
    code: str = Field(pattern=ATTRIBUTE_CODE, max_length=100)
    type: Literal[ATTRIBUTE_TYPES]  # type: ignore[valid-type]
    localizable: bool = False
    scopable: bool = False
    owner: Literal["erp", "pim"] = "pim"
    unique: bool = False
    group: str | None = None
    unit_family: str | None = None
    default_unit: str | None = None
    validation: AttributeValidation = AttributeValidation()
    labels: dict[str, str] = {}
    sort_order: int = Field(0, ge=-INT_MAX, le=INT_MAX)


class AttributeOptionIn(_In):
    attribute: str
    code: str = Field(pattern=CODE, max_length=100)
    labels: dict[str, str] = {}
    sort_order: int = Field(0, ge=-INT_MAX, le=INT_MAX)


class FamilyIn(_In):
    code: str = Field(pattern=CODE, max_length=100)
    attributes: list[str] = []
    labels: dict[str, str] = {}
    label_attribute: str | None = None
    image_attribute: str | None = None
    requirements: dict[str, list[str]] = {}


class FamilyVariantIn(_In):
    code: str = Field(pattern=CODE, max_length=100)
    family: str
    axes: list[list[str]] = Field(min_length=1, max_length=2, json_schema_extra={
        "items": {"type": "array", "items": {"type": "string"}, "minItems": 1}})
    level_attributes: list[list[str]] = []
    labels: dict[str, str] = {}

    @field_validator("axes")
    @classmethod
    def _axes_not_empty(cls, axes: list[list[str]]) -> list[list[str]]:
        axes = [level for level in axes if level]
        if not axes:
            raise ValueError("at least one variant axis is required")
        return axes


class CategoryIn(_In):
    code: str = Field(pattern=CODE, max_length=100)
    parent: str | None = None
    labels: dict[str, str] = {}
    position: int = Field(0, ge=-INT_MAX, le=INT_MAX)


class AssociationTypeIn(_In):
    code: str = Field(pattern=CODE, max_length=100)
    labels: dict[str, str] = {}
    quantified: bool = False
    two_way: bool = False


STRUCTURE_MODELS: dict[str, type[_In]] = {
    "locale": LocaleIn,
    "currency": CurrencyIn,
    "unit_family": UnitFamilyIn,
    "attribute_group": AttributeGroupIn,
    "attribute": AttributeIn,
    "attribute_option": AttributeOptionIn,
    "family": FamilyIn,
    "family_variant": FamilyVariantIn,
    "category": CategoryIn,
    "association_type": AssociationTypeIn,
}


# --- products


class ValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    locale: str | None = None
    scope: str | None = None
    data: Any = None


class AssociationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str
    quantity: int | None = Field(None, ge=1, le=MAX_QUANTITY)


class ProductIn(BaseModel):
    """A product as written by the API or UI. Absent fields are left alone (merge)."""

    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=255)
    family: str | None = None
    parent: str | None = None
    categories: list[str] | None = None
    enabled: bool | None = None
    values: dict[str, list[ValueIn]] = {}
    associations: dict[str, list[AssociationIn]] | None = None


class ProductPatch(BaseModel):
    """A partial product: absent fields are untouched, a value with ``data: null`` clears it."""

    model_config = ConfigDict(extra="forbid")
    sku: str | None = Field(None, description="If given, must equal the SKU in the path.")
    family: str | None = None
    parent: str | None = Field(None, description='"" detaches the product from its model.')
    categories: list[str] | None = None
    enabled: bool | None = None
    values: dict[str, list[ValueIn]] = {}
    associations: dict[str, list[AssociationIn]] | None = None


class BulkLine(ProductIn):
    """One line of a bulk upsert: a product, optionally with the version it was read at."""

    version: int | None = Field(None, ge=0, le=INT_MAX)


class ProductModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    family_variant: str | None = None
    family: str | None = None
    parent: str | None = None
    categories: list[str] | None = None
    values: dict[str, list[ValueIn]] = {}


class ValueOut(BaseModel):
    """A stored value: ``data`` is the attribute type's shape (text, number as a decimal
    string, ``{"amount", "unit"}``, a list of ``{"amount", "currency"}``, option codes...)."""

    locale: str | None = None
    scope: str | None = None
    data: Any = None


class AssociationOut(BaseModel):
    sku: str = Field(description="The associated product.")
    quantity: int | None = Field(None, description="For quantified types (packs), else null.")


class ProductOut(BaseModel):
    sku: str
    family: str | None
    parent: str | None
    categories: list[str]
    enabled: bool
    values: dict[str, list[ValueOut]]
    associations: dict[str, list[AssociationOut]] = Field(
        description="Association type code -> the linked products, in SKU order.")
    version: int
    created_at: datetime
    updated_at: datetime
