"""Shopify and Magento product files: told apart from the column convention by their header,
read by their readers and fitted to the catalog (attribute spellings, locale, option labels,
association types); their variants keep the product's name, brand and description."""

from __future__ import annotations

import io

import pytest

from exporters import FORMATS
from importers import MappingProfile, open_source
from importers.platforms import PlatformSource, detect_import_format, fit_to_catalog
from importers.shopify_csv import read_shopify_csv
from pim.records import AssociationLink, AttributeSpec, ProductRecord, RowError
from tests.unit.exporters.variants import make_feed, model_variants
from tests.unit.importers.conftest import make_context


def written(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def exported(tmp_path, code: str, variants) -> object:
    path = tmp_path / f"{code}.csv"
    path.write_bytes(b"".join(FORMATS[code].write(variants, make_feed())))
    return path


@pytest.fixture
def context():
    context = make_context()
    context.attributes["size"] = AttributeSpec(
        "size", "select", options={"s": {"en_US": "Small"}, "m": {"en_US": "Medium"}})
    context.attributes["brand"] = AttributeSpec("brand", "text")
    context.association_types = ["UPSELL", "X_SELL"]
    return context


def test_the_reference_files_are_told_apart_by_their_header(reference_dir, tmp_path):
    assert detect_import_format(reference_dir / "shopify" / "product_template.csv") == "shopify"
    assert detect_import_format(reference_dir / "magento" / "catalog_product.csv") == "magento"
    assert detect_import_format(reference_dir / "akeneo-icecat" / "products.csv") == "akeneo"
    renamed = written(tmp_path, "export.csv", "Title,URL handle,SKU\nShirt,shirt,S-1\n")
    assert detect_import_format(renamed) == "shopify"
    ndjson = written(tmp_path, "products.ndjson", '{"identifier": "A"}\n')
    assert detect_import_format(ndjson) == "akeneo"
    convention = written(tmp_path, "p.csv", "sku;family;name-en_US\nA;shirts;Shirt\n")
    assert detect_import_format(convention) == "akeneo"


def test_open_source_reads_a_platform_file_by_its_layout(reference_dir, context):
    source = open_source(reference_dir / "magento" / "catalog_product.csv", context=context)
    assert isinstance(source, PlatformSource)
    assert (source.layout, source.format, source.encoding.encoding) == ("magento", "csv", "utf-8")
    named = open_source(reference_dir / "magento" / "catalog_product.csv", context=context,
                        profile=MappingProfile(format="magento", locale="de_DE",
                                               currency="USD"))
    assert (named.locale, named.currency) == ("de_DE", "USD")


def test_shopify_values_are_fitted_to_the_catalog(tmp_path, context):
    path = exported(tmp_path, "shopify_csv", model_variants("SHIRT", colours=("Red",),
                                                            sizes=("Small", "m")))
    records = list(open_source(path, context=context).records())
    warnings = [r for r in records if isinstance(r, RowError)]
    products = {r.sku: r for r in records if isinstance(r, ProductRecord)}

    variant = products["SHIRT-RED-Small"]
    assert variant.values["ean"][0]["data"] == "4006381333931"  # gtin: the catalog says ean
    assert variant.values["color"][0]["data"] == "red"  # "Red": the option's label
    assert variant.values["size"][0]["data"] == "s"  # "Small": the label of s
    assert products["SHIRT-RED-m"].values["size"][0]["data"] == "m"
    # name is not localizable in this catalog: its value carries no locale
    assert variant.values["name"] == [{"locale": None, "scope": None,
                                       "data": "Shirt SHIRT-RED-Small"}]
    assert {w.column for w in warnings} >= {"mpn"}  # no such attribute: left out, said once
    assert sum(w.column == "mpn" for w in warnings) == 1
    assert all(w.severity == "warning" for w in warnings)


def test_localizable_platform_text_gets_the_import_locale(context):
    record = ProductRecord("A", values={"title": [{"locale": None, "scope": None,
                                                   "data": "Shirt"}]})
    (fitted,) = [r for r in fit_to_catalog([record], context, locale="de_DE")
                 if isinstance(r, ProductRecord)]
    assert fitted.values["title"] == [{"locale": "de_DE", "scope": None, "data": "Shirt"}]


def test_a_profile_maps_codes_and_association_kinds_the_catalog_spells_otherwise(context):
    record = ProductRecord("A", values={"vendor_code": [{"locale": None, "scope": None,
                                                         "data": "Acme"}]},
                           associations={"cross_sell": [AssociationLink("B")],
                                         "related": [AssociationLink("C")],
                                         "upsell": [AssociationLink("D")]})
    items = list(fit_to_catalog([record], context, locale="en_US",
                                attributes={"vendor_code": "brand"},
                                associations={"related": "UPSELL"}))
    fitted = items[-1]
    assert fitted.values == {"brand": [{"locale": None, "scope": None, "data": "Acme"}]}
    assert {kind: [link.sku for link in links] for kind, links in
            fitted.associations.items()} == {"X_SELL": ["B"], "UPSELL": ["C", "D"]}


def test_an_association_kind_the_catalog_lacks_is_left_out_with_a_warning(context):
    record = ProductRecord("A", associations={"related": [AssociationLink("C")]})
    warning, fitted = list(fit_to_catalog([record], context, locale="en_US"))
    assert fitted.associations == {}
    assert warning.severity == "warning" and "association type 'related'" in warning.message


def test_shopify_variants_keep_the_products_name_brand_and_description(reference_dir):
    records = [r for r in read_shopify_csv(reference_dir / "shopify" / "product_template.csv")
               if isinstance(r, ProductRecord)]
    variant = next(r for r in records if r.sku == "SRT_COT_222")
    assert variant.parent == "example-shirt"
    assert variant.values["name"][0]["data"] == "Example T-Shirt"
    assert variant.values["brand"][0]["data"] == "Acme"
    assert variant.values["description"][0]["data"].startswith("<p>This t-shirt")


def test_magento_simples_keep_the_configurables_name_brand_and_description(tmp_path):
    from importers.magento_csv import read_magento_csv

    text = ("sku,attribute_set_code,product_type,name,description,additional_attributes,"
            "configurable_variations\n"
            "MUG-RED,Default,simple,,,color=Red,\n"
            "MUG-BLUE,Default,simple,Blue mug,,color=Blue,\n"
            'MUG,Default,configurable,Mug,<p>Stoneware.</p>,brand=Acme,'
            '"sku=MUG-RED,color=Red|sku=MUG-BLUE,color=Blue"\n')
    records = {r.sku: r for r in read_magento_csv(io.StringIO(text))
               if isinstance(r, ProductRecord)}
    red, blue = records["MUG-RED"], records["MUG-BLUE"]
    assert (red.parent, red.values["name"][0]["data"]) == ("MUG", "Mug")
    assert red.values["brand"][0]["data"] == "Acme"
    assert red.values["description"][0]["data"] == "<p>Stoneware.</p>"
    assert blue.values["name"][0]["data"] == "Blue mug"  # its own name stays


def test_a_polish_shopify_file_in_windows_1250_reads_right(tmp_path, context):
    text = ("Handle,Title,Body (HTML),Vendor,Option1 Name,Option1 Value,Variant SKU\n"
            "lodz,Żółta łódź,<p>Łódź wiosłowa z drewna dębowego.</p>,Łucznik,Title,"
            "Default Title,LODZ-1\n"
            'koszula,Koszula męska,"<p>Bawełniana koszula, łatwa w prasowaniu.</p>",Źródło,'
            "Title,Default Title,KOSZ-1\n")
    source = open_source(written(tmp_path, "shopify.csv", text, "cp1250"), context=context)
    assert source.encoding.encoding == "cp1250"
    products = {r.sku: r for r in source.records() if isinstance(r, ProductRecord)}
    assert products["LODZ-1"].values["name"][0]["data"] == "Żółta łódź"
    assert products["KOSZ-1"].values["brand"][0]["data"] == "Źródło"


# -- hostile files: the protections of every CSV the hub reads (importers.csv_file) -----------

LAYOUTS = {
    "shopify": (b"Handle,Title,Variant SKU,Variant Price\n",
                lambda n, name: f"p{n},{name},P-{n},10\n".encode()),
    "magento": (b"sku,attribute_set_code,product_type,name,price\n",
                lambda n, name: f"P-{n},Default,simple,{name},10\n".encode()),
}


def hostile_file(tmp_path, layout: str, row_3: bytes):
    """Rows 2 and 4 good, row 3 as given."""
    header, row = LAYOUTS[layout]
    path = tmp_path / f"{layout}.csv"
    path.write_bytes(header + row(2, "Good") + row_3 + row(4, "Also good"))
    return path


def read_platform(path, layout: str, context):
    source = PlatformSource(path, layout, context=context,
                            profile=MappingProfile(encoding="utf-8"))
    items = list(source.records())
    skus = {item.sku for item in items if isinstance(item, ProductRecord)}
    errors = [item for item in items if isinstance(item, RowError) and item.severity == "error"]
    return skus, errors


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_platform_row_that_is_not_utf8_is_refused_by_number_and_the_rest_read(
        tmp_path, context, layout):
    path = hostile_file(tmp_path, layout, LAYOUTS[layout][1](3, "Cafe").replace(
        b"Cafe", b"Caf\xe9"))  # latin-1 in a UTF-8 file
    skus, [error] = read_platform(path, layout, context)
    assert skus == {"P-2", "P-4"}
    assert error.row == 3 and "line 3 is not valid utf-8 text" in error.message


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_platform_row_holding_a_nul_byte_is_refused_by_number(tmp_path, context, layout):
    path = hostile_file(tmp_path, layout, LAYOUTS[layout][1](3, "Bad\x00name"))
    skus, [error] = read_platform(path, layout, context)
    assert skus == {"P-2", "P-4"}
    assert error.row == 3 and "NUL byte" in error.message


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_platform_row_with_more_cells_than_the_header_is_refused_by_number(
        tmp_path, context, layout):
    path = hostile_file(tmp_path, layout, LAYOUTS[layout][1](3, "Shifted").replace(
        b"\n", b",extra,cells\n"))
    width = LAYOUTS[layout][0].count(b",") + 1
    skus, [error] = read_platform(path, layout, context)
    assert skus == {"P-2", "P-4"}
    assert error.row == 3
    assert f"the row has {width + 2} cells but the header has {width}" in error.message


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_platform_quote_left_open_refuses_its_row_and_the_lines_after_are_read(
        tmp_path, context, layout):
    path = hostile_file(tmp_path, layout, LAYOUTS[layout][1](3, '"Open quote'))
    skus, [error] = read_platform(path, layout, context)
    assert skus == {"P-2", "P-4"}
    assert error.row == 3 and "is not closed" in error.message


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_platform_field_past_the_size_limit_names_its_row(tmp_path, context, layout):
    from importers.csv_file import MAX_FIELD_BYTES
    from importers.errors import ImportFileError

    huge = "x" * (MAX_FIELD_BYTES + 1)
    path = hostile_file(tmp_path, layout, LAYOUTS[layout][1](3, f'"{huge}"'))
    with pytest.raises(ImportFileError, match="row 3 cannot be read as CSV"):
        read_platform(path, layout, context)
