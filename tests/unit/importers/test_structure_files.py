"""Structure files in the same convention (Akeneo's layout) into StructureRecords."""

import pytest

from importers import ImportFileError, open_source
from importers.structure import extend_context
from pim.records import CatalogContext, RowError, StructureRecord


def read_structure(path, kind=None):
    items = list(open_source(path, context=CatalogContext(), kind=kind).records())
    return ([i for i in items if isinstance(i, StructureRecord)],
            [i for i in items if isinstance(i, RowError)])


def test_attributes_with_akeneo_types_and_validation(write_csv):
    records, errors = read_structure(write_csv(
        "code;type;localizable;scopable;group;metric_family;default_metric_unit;"
        "decimals_allowed;negative_allowed;max_characters;label-en_US\n"
        "weight;pim_catalog_metric;0;0;tech;Weight;KILOGRAM;1;0;;Weight\n"
        "name;pim_catalog_text;1;0;marketing;;;;;255;Name\n", name="attributes.csv"))
    assert errors == []
    weight, name = records
    assert weight.data == {"type": "measurement", "localizable": False, "scopable": False,
                           "group": "tech", "unit_family": "Weight", "default_unit": "KILOGRAM",
                           "validation": {"negative_allowed": False},
                           "labels": {"en_US": "Weight"}}
    assert name.data["validation"] == {"max_length": 255} and name.data["localizable"] is True


def test_attributes_with_the_hubs_own_names(write_csv):
    records, _ = read_structure(write_csv(
        "code,type,owner,min,max,decimals\nqty,number,erp,0,100,0\n", name="attributes.csv"))
    assert records[0].data == {"type": "number", "owner": "erp",
                               "validation": {"min": "0", "max": "100", "decimals": 0}}


def test_unsupported_attribute_type_is_a_row_error(write_csv):
    records, errors = read_structure(write_csv(
        "code,type\nt,pim_catalog_table\n", name="attributes.csv"))
    assert records == [] and errors[0].column == "type"


def test_attribute_options_keep_the_attribute_in_data(write_csv):
    records, _ = read_structure(write_csv(
        "code;attribute;sort_order;label-en_US\nred;color;1;Red\n", name="attribute_options.csv"))
    assert (records[0].code, records[0].data) == (
        "red", {"attribute": "color", "sort_order": 1, "labels": {"en_US": "Red"}})


def test_families_with_requirements_per_channel(write_csv):
    records, _ = read_structure(write_csv(
        'code;attributes;attribute_as_label;attribute_as_image;requirements-webshop\n'
        'mugs;"name,picture,sku";name;picture;"name,sku"\n', name="families.csv"))
    assert records[0].data == {"attributes": ["name", "picture", "sku"], "label_attribute": "name",
                               "image_attribute": "picture",
                               "requirements": {"webshop": ["name", "sku"]}}


def test_family_variants_with_one_or_two_levels(write_csv):
    records, _ = read_structure(write_csv(
        "code;family;variant-axes_1;variant-axes_2;variant-attributes_1;variant-attributes_2\n"
        "by_color_size;shirts;color;size;name,color;sku,size\n"
        "by_size;shirts;size;;sku,size;\n", name="family_variants.csv"))
    assert records[0].data["axes"] == [["color"], ["size"]]
    assert records[0].data["level_attributes"] == [["name", "color"], ["sku", "size"]]
    assert records[1].data["axes"] == [["size"]]


def test_categories_channels_association_types_locales_currencies(write_csv):
    assert read_structure(write_csv("code;parent;label-en_US\nmen;master;Men\n",
                                    name="categories.csv"))[0][0].data == {
        "parent": "master", "labels": {"en_US": "Men"}}
    assert read_structure(write_csv("code;locales;currencies;tree\nweb;en_US,de_DE;EUR;master\n",
                                    name="channels.csv"))[0][0].data == {
        "locales": ["en_US", "de_DE"], "currencies": ["EUR"], "category_tree": "master"}
    assert read_structure(write_csv("code;is_quantified;is_two_way\nPACK;1;0\n",
                                    name="association_types.csv"))[0][0].data == {
        "quantified": True, "two_way": False}
    assert read_structure(write_csv("code;activated\nEUR;1\n", name="currencies.csv"))[0][0].data \
        == {"enabled": True}


@pytest.mark.parametrize(("header", "kind"), [
    ("code,type", "attribute"), ("code,attribute", "attribute_option"),
    ("code,family_variant,parent", "product_model"), ("code,parent,label-en_US", "category"),
    ("code,family,variant-axes_1", "family_variant"), ("code,locales,currencies", "channel"),
    ("sku,name", "product")])
def test_file_kind_is_told_by_the_header(write_csv, header, kind):
    source = open_source(write_csv(header + "\n", name="export.csv"), context=CatalogContext())
    assert source.kind == kind


def test_unrecognisable_file_kind_is_a_clear_error(write_csv):
    # Names what the CLI offers (--format, a profile's kind), not a keyword argument.
    with pytest.raises(ImportFileError, match=r"--format.*--profile; \"kind: product\""):
        open_source(write_csv("code,label-en_US\nx,y\n", name="export.csv"),
                    context=CatalogContext())


def test_unknown_structure_column_is_a_warning(write_csv):
    _, errors = read_structure(write_csv("code,colour\nx,y\n", name="categories.csv"))
    assert (errors[0].column, errors[0].severity) == ("colour", "warning")


def test_structure_records_extend_a_context():
    context = CatalogContext()
    extend_context(context, StructureRecord("attribute", "color", {"type": "select"}))
    extend_context(context, StructureRecord("attribute_option", "red",
                                            {"attribute": "color", "labels": {"en_US": "Red"}}))
    assert context.attributes["color"].options == {"red": {"en_US": "Red"}}
