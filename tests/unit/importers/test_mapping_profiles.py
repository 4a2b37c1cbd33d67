"""Mapping profiles: YAML in, columns renamed, constants, transforms, ownership policy."""

import pytest

from importers import ImportFileError, MappingProfile, load_profile

PROFILE_YAML = """
name: supplier-a
overwrite_pim_owned: true
transforms:
  decimal_comma: true
  date_formats: ["%d.%m.%Y"]
columns:
  Article no: sku
  Bezeichnung: {attribute: title, locale: de_DE}
  Preis: {attribute: price, currency: EUR}
  Gewicht g: {attribute: weight, unit: GRAM, convert_unit_to: KILOGRAM}
  Farbe: {attribute: color, value_map: {Rot: red, Marine: navy}}
  Bestand: stock_level
  Datum: release_date
  Intern: ignore
constants:
  family: shirts
  enabled: true
"""


@pytest.fixture
def profile(tmp_path):
    path = tmp_path / "supplier.yaml"
    path.write_text(PROFILE_YAML)
    return load_profile(path)


def test_profile_is_read_from_yaml(profile):
    assert isinstance(profile, MappingProfile)
    assert profile.name == "supplier-a" and profile.overwrite_pim_owned is True
    assert profile.columns["Intern"].ignore and profile.columns["Article no"].target == "sku"


def test_overwrite_pim_owned_defaults_to_false():
    assert MappingProfile().overwrite_pim_owned is False


def test_invalid_profile_is_a_clear_error_naming_the_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("header_row: zero\nsurprise: 1\n")
    with pytest.raises(ImportFileError, match="header_row") as error:
        load_profile(path)
    assert "surprise" in str(error.value)


def supplier_file(write_csv):
    return write_csv("Article no;Bezeichnung;Preis;Gewicht g;Farbe;Bestand;Datum;Intern\n"
                     "A1;Hemd;1.299,50;250;Marine;1.000;24.12.2023;secret\n",
                     name="supplier.csv")


def test_profile_columns_map_onto_attributes(write_csv, read_one, profile):
    record, errors = read_one(supplier_file(write_csv), profile=profile)
    assert errors == []
    values = {code: entries[0] for code, entries in record.values.items()}
    assert values["title"] == {"locale": "de_DE", "scope": None, "data": "Hemd"}
    assert values["price"]["data"] == [{"amount": "1299.50", "currency": "EUR"}]
    assert values["color"]["data"] == "navy"
    assert values["stock_level"]["data"] == "1000"
    assert values["release_date"]["data"] == "2023-12-24"


def test_unit_conversion_converts_amounts_into_the_target_unit(write_csv, read_one, profile):
    record, _ = read_one(supplier_file(write_csv), profile=profile)
    assert record.values["weight"][0]["data"] == {"amount": "0.25", "unit": "KILOGRAM"}


def test_constants_fill_fields_the_file_does_not_give(write_csv, read_one, profile):
    record, _ = read_one(supplier_file(write_csv), profile=profile)
    assert (record.family, record.enabled) == ("shirts", True)


def test_constant_does_not_override_a_given_cell(write_csv, read_one):
    profile = MappingProfile(constants={"family": "shirts"})
    record, _ = read_one(write_csv("sku,family\nA1,mugs\n"), profile=profile)
    assert record.family == "mugs"


def test_ignored_columns_raise_no_warning(write_csv, read_one, profile):
    _, errors = read_one(supplier_file(write_csv), profile=profile)
    assert not [e for e in errors if e.column == "Intern"]


def test_profile_column_names_match_case_insensitively(write_csv, read_one):
    profile = MappingProfile(columns={"ARTICLE": "sku"})
    record, _ = read_one(write_csv("article,name\nA1,x\n"), profile=profile)
    assert record.sku == "A1"


def test_clear_on_empty_turns_empty_cells_into_clears(write_csv, read_one):
    record, _ = read_one(write_csv("sku,name,categories\nA1,,\n"),
                         profile=MappingProfile(clear_on_empty=True))
    assert record.values == {"name": [{"locale": None, "scope": None, "data": None}]}
    assert record.categories == []


def test_trim_can_be_switched_off_per_column(write_csv, read_one):
    profile = MappingProfile(columns={"name": {"attribute": "name", "trim": False}})
    record, _ = read_one(write_csv('sku,name\nA1,"  padded "\n'), profile=profile)
    assert record.values["name"][0]["data"] == "  padded "


def test_profile_mapping_to_unknown_attribute_is_a_warning(write_csv, read_all):
    profile = MappingProfile(columns={"x": {"attribute": "nope"}})
    _, errors = read_all(write_csv("sku,x\nA1,1\n"), profile=profile)
    assert errors[0].column == "x" and errors[0].severity == "warning"


def test_profile_delimiter_overrides_detection(write_csv, read_one):
    record, _ = read_one(write_csv("sku|name\nA1|a;b\n"), profile=MappingProfile(delimiter="|"))
    assert record.values["name"][0]["data"] == "a;b"
