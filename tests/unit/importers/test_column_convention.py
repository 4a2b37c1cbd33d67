"""The column convention: fields, locales, scopes, currencies, units and associations."""

from pim.records import AssociationLink


def test_product_fields_are_read(write_csv, read_one):
    path = write_csv("sku,family,parent,categories,enabled\nA1,shirts,M1,\"men, shirts\",yes\n")
    record, errors = read_one(path)
    assert errors == []
    assert (record.family, record.parent, record.categories, record.enabled) == (
        "shirts", "M1", ["men", "shirts"], True)
    assert record.kind == "product" and record.row == 2


def test_fields_not_in_the_file_stay_none_meaning_not_given(write_csv, read_one):
    record, _ = read_one(write_csv("sku,name\nA1,x\n"))
    assert (record.family, record.parent, record.categories, record.enabled) == (None,) * 4
    assert record.associations is None


def test_empty_cells_mean_not_given(write_csv, read_one):
    record, errors = read_one(write_csv("sku,name,family,stock_level\nA1,,,\n"))
    assert record.values == {} and record.family is None and errors == []


def test_localizable_attribute_takes_the_locale_from_the_column(write_csv, read_one):
    record, _ = read_one(write_csv("sku,title-en_US,title-de_DE\nA1,Shirt,Hemd\n"))
    assert record.values["title"] == [
        {"locale": "en_US", "scope": None, "data": "Shirt"},
        {"locale": "de_DE", "scope": None, "data": "Hemd"},
    ]


def test_scopable_attribute_takes_the_channel_from_the_column(write_csv, read_one):
    record, _ = read_one(write_csv("sku,teaser-webshop\nA1,Buy now\n"))
    assert record.values["teaser"] == [{"locale": None, "scope": "webshop", "data": "Buy now"}]


def test_locale_and_scope_together(write_csv, read_one):
    record, _ = read_one(write_csv("sku,description-de_DE-print\nA1,<p>Hallo</p>\n"))
    assert record.values["description"] == [
        {"locale": "de_DE", "scope": "print", "data": "<p>Hallo</p>"}]


def test_prices_in_currency_columns_form_one_price_list(write_csv, read_one):
    record, _ = read_one(write_csv("sku,price-EUR,price-USD\nA1,12.50,14\n"))
    assert record.values["price"][0]["data"] == [
        {"amount": "12.50", "currency": "EUR"}, {"amount": "14", "currency": "USD"}]


def test_price_cell_may_name_its_currencies(write_csv, read_one):
    record, _ = read_one(write_csv('sku,price\nA1,"12.50 EUR, 14 USD"\n'))
    assert record.values["price"][0]["data"] == [
        {"amount": "12.50", "currency": "EUR"}, {"amount": "14", "currency": "USD"}]


def test_measurement_amount_and_unit_columns_combine(write_csv, read_one):
    record, _ = read_one(write_csv("sku,weight,weight-unit\nA1,500,GRAM\n"))
    assert record.values["weight"][0]["data"] == {"amount": "500", "unit": "GRAM"}


def test_measurement_unit_may_sit_in_the_amount_cell(write_csv, read_one):
    record, _ = read_one(write_csv("sku,weight\nA1,1.25 KILOGRAM\n"))
    assert record.values["weight"][0]["data"] == {"amount": "1.25", "unit": "KILOGRAM"}


def test_measurement_without_unit_uses_the_default_unit(write_csv, read_one):
    record, _ = read_one(write_csv("sku,weight\nA1,2\n"))
    assert record.values["weight"][0]["data"] == {"amount": "2", "unit": "KILOGRAM"}


def test_unknown_unit_is_a_row_error(write_csv, read_one):
    record, errors = read_one(write_csv("sku,weight,weight-unit,name\nA1,2,PARSEC,x\n"))
    assert "weight" not in record.values and record.values["name"]
    assert errors[0].column == "weight" and "PARSEC" in errors[0].message


def test_associations_list_skus(write_csv, read_one):
    record, _ = read_one(write_csv('sku,X_SELL-products,UPSELL-product_models\nA1,"B1,B2",M1\n'))
    assert record.associations == {
        "X_SELL": [AssociationLink("B1"), AssociationLink("B2")],
        "UPSELL": [AssociationLink("M1")],
    }


def test_quantified_associations_as_sku_qty_pairs(write_csv, read_one):
    record, _ = read_one(write_csv('sku,PACK-products\nA1,"B1|2,B2|10"\n'))
    assert record.associations == {"PACK": [AssociationLink("B1", 2), AssociationLink("B2", 10)]}


def test_quantified_associations_as_a_quantity_column(write_csv, read_one):
    record, _ = read_one(write_csv('sku,PACK-products,PACK-products-quantity\nA1,"B1,B2","3,4"\n'))
    assert record.associations == {"PACK": [AssociationLink("B1", 3), AssociationLink("B2", 4)]}


def test_bad_association_quantity_is_a_row_error(write_csv, read_one):
    record, errors = read_one(write_csv('sku,PACK-products\nA1,"B1|two,B2|1"\n'))
    assert record.associations == {"PACK": [AssociationLink("B2", 1)]}
    assert errors[0].column == "PACK-products" and "two" in errors[0].message


def test_akeneo_group_columns_are_accepted_and_ignored(write_csv, read_one):
    record, errors = read_one(write_csv("sku,groups,X_SELL-groups\nA1,promo,promo\n"))
    assert errors == [] and record.associations is None


def test_unknown_column_is_a_warning_naming_it_and_not_fatal(write_csv, read_one):
    record, errors = read_one(write_csv("sku,colour_code,name\nA1,R,Shirt\n"))
    assert record.values == {"name": [{"locale": None, "scope": None, "data": "Shirt"}]}
    assert [(e.row, e.column, e.severity) for e in errors] == [(1, "colour_code", "warning")]


def test_unknown_locale_or_channel_suffix_is_a_warning(write_csv, read_all):
    _, errors = read_all(write_csv("sku,title-xx_XX,teaser-nowhere\nA1,a,b\n"))
    assert [e.column for e in errors] == ["title-xx_XX", "teaser-nowhere"]
    assert all(e.severity == "warning" for e in errors)


def test_localizable_attribute_without_locale_is_a_warning(write_csv, read_all):
    _, errors = read_all(write_csv("sku,title\nA1,a\n"))
    assert errors[0].column == "title" and "localizable" in errors[0].message


def test_locale_on_a_non_localizable_attribute_is_a_warning(write_csv, read_all):
    _, errors = read_all(write_csv("sku,name-en_US\nA1,a\n"))
    assert "not localizable" in errors[0].message


def test_missing_sku_column_is_a_clear_error(write_csv, context):
    import pytest

    from importers import ImportFileError, open_source

    source = open_source(write_csv("name,family\nx,shirts\n", name="products.csv"),
                         context=context, channels=set())
    with pytest.raises(ImportFileError, match="sku"):
        list(source.records())


def test_empty_sku_cell_is_a_row_error(write_csv, read_all):
    records, errors = read_all(write_csv("sku,name\n,orphan\nA2,ok\n"))
    assert [r.sku for r in records] == ["A2"]
    assert (errors[0].row, errors[0].column) == (2, "sku")


def test_duplicate_sku_keeps_the_first_and_reports_the_second(write_csv, read_all):
    records, errors = read_all(write_csv("sku,name\nA1,first\nA2,x\nA1,second\n"))
    assert [r.values["name"][0]["data"] for r in records if r.sku == "A1"] == ["first"]
    assert (errors[0].row, errors[0].sku, errors[0].severity) == (4, "A1", "error")
    assert "row 2" in errors[0].message


def test_unknown_family_is_a_row_error_and_the_rest_of_the_row_loads(write_csv, read_one):
    record, errors = read_one(write_csv("sku,family,name\nA1,bikes,Bike\n"))
    assert record.family is None and record.values["name"][0]["data"] == "Bike"
    assert (errors[0].column, errors[0].value) == ("family", "bikes")


def test_unknown_category_is_a_row_error_and_known_ones_load(write_csv, read_one):
    record, errors = read_one(write_csv('sku,categories\nA1,"men,nowhere"\n'))
    assert record.categories == ["men"]
    assert (errors[0].column, errors[0].value) == ("categories", "nowhere")


def test_product_models_are_read_by_code_with_family_from_the_variant(write_csv, read_one):
    path = write_csv("code,family_variant,parent,name\nM1,shirts_by_color,,Tee\n",
                     name="product_models.csv")
    record, errors = read_one(path)
    assert (record.kind, record.sku, record.family_variant, record.family) == (
        "product_model", "M1", "shirts_by_color", "shirts")
