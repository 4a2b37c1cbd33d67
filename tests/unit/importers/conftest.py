"""A small catalog context and helpers to write files and read them back."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from importers import open_source
from pim.records import (
    AttributeSpec,
    CatalogContext,
    CategorySpec,
    FamilySpec,
    FamilyVariantSpec,
    ProductRecord,
    RowError,
    UnitFamilySpec,
)

CHANNELS = {"webshop", "print"}
REFERENCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference"


def make_context() -> CatalogContext:
    attributes = [
        AttributeSpec("name", "text"),
        AttributeSpec("title", "text", localizable=True),
        AttributeSpec("description", "textarea", localizable=True, scopable=True),
        AttributeSpec("teaser", "text", scopable=True),
        AttributeSpec("weight", "measurement", unit_family="Weight", default_unit="KILOGRAM"),
        AttributeSpec("price", "price"),
        AttributeSpec("color", "select", options={"red": {"en_US": "Red"}, "navy": {}}),
        AttributeSpec("tags", "multiselect", options={"new": {}, "sale": {}, "eco": {}}),
        AttributeSpec("organic", "boolean"),
        AttributeSpec("release_date", "date"),
        AttributeSpec("image", "media"),
        AttributeSpec("ean", "identifier"),
        AttributeSpec("stock_level", "number"),
        AttributeSpec("replaces", "reference"),
    ]
    return CatalogContext(
        attributes={spec.code: spec for spec in attributes},
        families={"shirts": FamilySpec("shirts", ["name"]), "mugs": FamilySpec("mugs", [])},
        family_variants={"shirts_by_color": FamilyVariantSpec("shirts_by_color", "shirts",
                                                              [["color"]])},
        categories={"men": CategorySpec("men", None), "shirts": CategorySpec("shirts", "men")},
        unit_families={"Weight": UnitFamilySpec("Weight", "KILOGRAM", {
            "GRAM": Decimal("0.001"), "KILOGRAM": Decimal("1")})},
        locales=["en_US", "de_DE"],
        currencies=["EUR", "USD"],
    )


@pytest.fixture
def context() -> CatalogContext:
    return make_context()


@pytest.fixture
def write_csv(tmp_path):
    def write(text: str, name: str = "products.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def read_all(context):
    """Read a file; return (records, errors)."""

    def read(path, **options):
        options.setdefault("context", context)
        options.setdefault("channels", CHANNELS)
        items = list(open_source(path, **options).records())
        records = [item for item in items if not isinstance(item, RowError)]
        errors = [item for item in items if isinstance(item, RowError)]
        return records, errors

    return read


@pytest.fixture
def read_one(read_all):
    """Read a file of one product; return (record, errors)."""

    def read(path, **options):
        records, errors = read_all(path, **options)
        assert len(records) == 1, (records, errors)
        assert isinstance(records[0], ProductRecord)
        return records[0], errors

    return read


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference data not found at {REFERENCE.resolve()} (../shared/reference): the suite needs the official artefacts beside the clone")
    return REFERENCE.resolve()
