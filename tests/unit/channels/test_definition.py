from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from channels import ChannelDefinition, load_channel, load_presets, load_schema
from channels.definition import PRESETS_DIR

PRESET_CODES = {
    "webshop-uk",
    "webshop-ie",
    "distributor-eu",
    "google-retail",
    "shopify-store",
    "magento-store",
}


def minimal_channel(**overrides):
    raw = {
        "code": "test-shop",
        "label": "Test",
        "kind": "storefront",
        "locales": ["en_GB"],
        "currency": "GBP",
        "tax": {"jurisdiction": "GB", "vat_rate": "20"},
        "schema": "webshop-uk.json",
    }
    raw.update(overrides)
    return raw


def test_every_preset_loads_by_code(presets):
    assert set(presets) == PRESET_CODES


@pytest.mark.parametrize("code", sorted(PRESET_CODES))
def test_every_preset_names_a_schema_that_exists(presets, code):
    schema = load_schema(presets[code].schema_file)
    assert schema["$schema"].endswith("2020-12/schema")


def test_webshop_ie_declares_en_gb_as_fallback_for_en_ie(presets):
    assert presets["webshop-ie"].fallback_locales == {"en_IE": "en_GB"}


def test_vat_rate_is_a_decimal(presets):
    assert presets["webshop-ie"].tax.vat_rate == Decimal("23")


def test_mapping_accepts_a_plain_attribute_code_or_an_object():
    channel = ChannelDefinition.model_validate(
        minimal_channel(
            mapping={
                "title": "name",
                "short_description": {"attribute": "short_description", "scope": "webshop-uk"},
                "attributes": ["colour"],
            }
        )
    )
    assert channel.mapping.fields["title"][0].attribute == "name"
    assert channel.mapping.fields["short_description"][0].scope == "webshop-uk"
    assert channel.mapping.attributes == ("colour",)


def test_mapping_refuses_an_unknown_output_field():
    with pytest.raises(ValidationError, match="not a mappable output field"):
        ChannelDefinition.model_validate(minimal_channel(mapping={"headline": "name"}))


def test_mapping_refuses_a_computed_output_field():
    with pytest.raises(ValidationError, match="availability"):
        ChannelDefinition.model_validate(minimal_channel(mapping={"availability": "stock"}))


def test_fallback_must_be_declared_for_a_channel_locale():
    with pytest.raises(ValidationError, match="not a channel locale"):
        ChannelDefinition.model_validate(minimal_channel(fallback_locales={"fr_FR": "en_GB"}))


def test_unknown_keys_are_refused_so_typos_fail_at_load():
    with pytest.raises(ValidationError, match="currancy"):
        ChannelDefinition.model_validate(minimal_channel(currancy="EUR"))


def test_load_channel_reads_json(tmp_path):
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(minimal_channel()))
    assert load_channel(path).code == "test-shop"


def test_load_presets_reads_another_directory(tmp_path):
    (tmp_path / "shop.json").write_text(json.dumps(minimal_channel()))
    assert list(load_presets(tmp_path)) == ["test-shop"]


def test_load_presets_refuses_a_code_defined_twice(tmp_path):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(minimal_channel()))
    with pytest.raises(ValueError, match="defined twice"):
        load_presets(tmp_path)


def test_load_schema_reads_another_directory(tmp_path):
    (tmp_path / "mine.json").write_text('{"type": "object"}')
    assert load_schema("mine.json", tmp_path) == {"type": "object"}


def test_load_schema_refuses_a_path_outside_the_folder(tmp_path):
    with pytest.raises(ValueError, match="outside"):
        load_schema("../pyproject.toml")


def test_presets_are_yaml_data_files():
    assert {p.stem for p in PRESETS_DIR.glob("*.yaml")} == PRESET_CODES


def test_google_feeds_get_plain_text_descriptions_unless_the_channel_keeps_html():
    assert ChannelDefinition.model_validate(minimal_channel()).feed_options.google_description \
        == "text"
    kept = ChannelDefinition.model_validate(
        minimal_channel(feed_options={"google_description": "html"}))
    assert kept.feed_options.google_description == "html"
    with pytest.raises(ValidationError, match="google_description"):
        ChannelDefinition.model_validate(
            minimal_channel(feed_options={"google_description": "markdown"}))
