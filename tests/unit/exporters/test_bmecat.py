"""BMEcat 2005: every document we produce validates against the official schema."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.unit.exporters.variants import (
    FORBIDDEN_IN_XML,
    HOSTILE_TEXT,
    export,
    make_feed,
    make_variant,
    model_variants,
)

NS = {"b": "http://www.bmecat.org/bmecat/2005fd"}


@pytest.fixture
def reference_schema(reference_dir):
    return etree.XMLSchema(etree.parse(str(reference_dir / "bmecat" / "bmecat_2005.xsd")))


def tiered(sku="TIER-1"):
    return make_variant(sku, tier_prices=[
        {"min_quantity": 10, "amount": "22.50", "currency": "GBP"},
        {"min_quantity": 100, "amount": "20.00", "currency": "GBP"},
    ])


def parse_valid(document: bytes, schema) -> etree._Element:
    root = etree.fromstring(document)
    assert schema.validate(root), schema.error_log
    return root


def test_full_feed_with_tiers_and_images_validates(reference_schema):
    variants = [tiered(), *model_variants("SHIRT"), make_variant("PLAIN")]
    root = parse_valid(export("bmecat", variants), reference_schema)
    assert root.find("b:T_NEW_CATALOG", NS) is not None
    assert len(root.findall("b:T_NEW_CATALOG/b:PRODUCT", NS)) == 6


def test_delta_feed_with_updates_and_deletions_validates(reference_schema):
    feed = make_feed(delta=True, withdrawn=["GONE-1", "GONE-2"], prev_version=4)
    root = parse_valid(export("bmecat", [tiered()], feed), reference_schema)
    update = root.find("b:T_UPDATE_PRODUCTS", NS)
    assert update.get("prev_version") == "4"
    modes = [(p.get("mode"), p.findtext("b:SUPPLIER_PID", namespaces=NS))
             for p in update.findall("b:PRODUCT", NS)]
    assert modes == [("delete", "GONE-1"), ("delete", "GONE-2"), ("update", "TIER-1")]


def test_a_delta_says_new_for_a_product_published_for_the_first_time(reference_schema):
    first, changed = make_variant("FIRST"), make_variant("CHANGED")
    first.version, changed.version = 1, 3
    root = parse_valid(export("bmecat", [first, changed], make_feed(delta=True)),
                       reference_schema)
    assert [p.get("mode") for p in root.findall(".//b:PRODUCT", NS)] == ["new", "update"]


def test_versions_count_publications_so_updates_chain(reference_schema):
    full = parse_valid(export("bmecat", [make_variant()], make_feed(version=7)),
                       reference_schema)
    delta = parse_valid(export("bmecat", [make_variant()],
                               make_feed(delta=True, version=9, prev_version=7)),
                        reference_schema)

    def version_of(root):
        major, minor = root.findtext(".//b:CATALOG_VERSION", namespaces=NS).split(".")
        return int(major) * 1000 + int(minor)

    assert version_of(full) == 7
    # The update applies to the version the full catalog had and brings the receiver on.
    assert int(delta.find("b:T_UPDATE_PRODUCTS", NS).get("prev_version")) == version_of(full)
    assert version_of(delta) == 9


@pytest.mark.parametrize(("version", "text"), [(0, "0.0"), (7, "0.7"), (999, "0.999"),
                                               (1000, "1.0"), (123456, "123.456")])
def test_catalog_version_is_major_minor_of_the_publication_count(reference_schema, version,
                                                                  text):
    root = parse_valid(export("bmecat", [make_variant()], make_feed(version=version)),
                       reference_schema)
    assert root.findtext(".//b:CATALOG_VERSION", namespaces=NS) == text


def test_an_empty_delta_is_refused_rather_than_written_invalid():
    from exporters.bmecat import EmptyDeltaError

    with pytest.raises(EmptyDeltaError):
        export("bmecat", [], make_feed(delta=True))


def test_an_empty_full_catalog_validates(reference_schema):
    parse_valid(export("bmecat", [], make_feed()), reference_schema)


def test_deletions_alone_make_a_valid_delta(reference_schema):
    feed = make_feed(delta=True, withdrawn=["GONE-1"])
    parse_valid(export("bmecat", [], feed), reference_schema)


def test_header_names_catalog_language_currency_and_supplier(reference_schema):
    feed = make_feed(locale="de_DE", currency="EUR", version=2001)
    root = parse_valid(export("bmecat", [make_variant()], feed), reference_schema)
    catalog = root.find("b:HEADER/b:CATALOG", NS)
    assert catalog.findtext("b:LANGUAGE", namespaces=NS) == "deu"
    assert catalog.findtext("b:CATALOG_ID", namespaces=NS) == "ACME-GB"
    assert catalog.findtext("b:CATALOG_VERSION", namespaces=NS) == "2.1"  # publication 2001
    assert catalog.findtext("b:CURRENCY", namespaces=NS) == "EUR"
    assert root.findtext("b:HEADER/b:SUPPLIER/b:SUPPLIER_NAME", namespaces=NS) == "Acme Ltd"


def test_one_product_price_per_tier_with_lower_bound(reference_schema):
    root = parse_valid(export("bmecat", [tiered()]), reference_schema)
    prices = root.findall(".//b:PRODUCT_PRICE", NS)
    assert [(p.findtext("b:LOWER_BOUND", namespaces=NS), p.findtext("b:PRICE_AMOUNT",
             namespaces=NS)) for p in prices] == [("1", "25.00"), ("10", "22.50"), ("100", "20.00")]
    assert {p.get("price_type") for p in prices} == {"net_list"}


def test_product_without_price_is_on_request(reference_schema):
    root = parse_valid(export("bmecat", [make_variant(price=None)]), reference_schema)
    assert root.find(".//b:PRODUCT_PRICE", NS).get("price_type") == "on_request"


def test_images_are_mime_info_main_image_first(reference_schema):
    root = parse_valid(export("bmecat", [make_variant("IMG")]), reference_schema)
    mimes = root.findall(".//b:MIME_INFO/b:MIME", NS)
    assert [m.findtext("b:MIME_SOURCE", namespaces=NS) for m in mimes] == [
        "https://media.example/IMG/1.jpg", "https://media.example/IMG/2.jpg",
        "https://media.example/IMG/3.jpg"]
    assert [m.findtext("b:MIME_PURPOSE", namespaces=NS) for m in mimes] == [
        "normal", "detail", "detail"]


def test_identifiers_and_axes_are_written(reference_schema):
    root = parse_valid(export("bmecat", model_variants("SHIRT")[:1]), reference_schema)
    details = root.find(".//b:PRODUCT_DETAILS", NS)
    assert details.find("b:INTERNATIONAL_PID", NS).get("type") == "gtin"
    assert details.findtext("b:INTERNATIONAL_PID", namespaces=NS) == "4006381333931"
    assert details.findtext("b:MANUFACTURER_NAME", namespaces=NS) == "Acme"
    features = {f.findtext("b:FNAME", namespaces=NS): f.findtext("b:FVALUE", namespaces=NS)
                for f in root.findall(".//b:FEATURE", NS)}
    assert features == {"Colour": "Red", "Size": "S"}
    reference = root.find(".//b:PRODUCT_REFERENCE", NS)
    assert reference.get("type") == "base_product"
    assert reference.findtext("b:PROD_ID_TO", namespaces=NS) == "SHIRT"


def test_hostile_and_forbidden_text_stays_valid(reference_schema):
    variant = make_variant(title=HOSTILE_TEXT + FORBIDDEN_IN_XML, brand=FORBIDDEN_IN_XML,
                           description=HOSTILE_TEXT * 3,
                           axes={"colour": "<Red & \"Blue\">", "size": "\x00"})
    root = parse_valid(export("bmecat", [variant]), reference_schema)
    assert root.findtext(".//b:DESCRIPTION_LONG", namespaces=NS) == HOSTILE_TEXT * 3
    assert root.findtext(".//b:MANUFACTURER_NAME", namespaces=NS) == "abcdef"


def test_schema_length_limits_are_respected(reference_schema):
    variant = make_variant(title="T" * 500, description="D" * 1_000_000, brand="B" * 80,
                           attributes={"material": "M" * 100})
    root = parse_valid(export("bmecat", [variant]), reference_schema)
    assert len(root.findtext(".//b:DESCRIPTION_SHORT", namespaces=NS)) == 150
    assert len(root.findtext(".//b:DESCRIPTION_LONG", namespaces=NS)) == 64000


def test_bare_variant_validates(reference_schema):
    parse_valid(export("bmecat", [make_variant("BARE", **dict.fromkeys(
        ["title", "description", "brand", "gtin", "mpn", "images", "price", "weight"]))]),
        reference_schema)
