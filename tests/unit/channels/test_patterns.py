"""Channel schema patterns run on RE2 in both engines, and a pattern RE2 cannot compile is
refused when the schema is loaded or a channel naming it is saved, naming where it is."""

from __future__ import annotations

import json

import pytest

import channels.definition as definition_module
from channels.patterns import SchemaPatternError, schema_patterns
from channels.validation import SchemaValidator
from pim.errors import Invalid
from pim.workflow.channels import channel_schema

ENGINES = ["rust", "python"]


def schema_with(pattern: str) -> dict:
    return {"type": "object", "properties": {
        "images": {"type": "array", "items": {"type": "string", "pattern": pattern}}}}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_pattern_matches_as_re2_does_with_ascii_digits(engine):
    validator = SchemaValidator({"type": "object", "properties": {
        "mpn": {"type": "string", "pattern": "^\\d+$"}}}, engine)

    # Python's re and the Rust engine's own regexes take U+0661..U+0663 for \d; RE2 does not.
    assert not validator.is_valid({"mpn": "\u0661\u0662\u0663"})
    assert validator.is_valid({"mpn": "123"})
    [violation] = validator.violations({"mpn": "\u0661\u0662\u0663"})
    assert (violation.keyword, violation.path) == ("pattern", ("mpn",))


@pytest.mark.parametrize("engine", ENGINES)
def test_an_re2_letter_class_is_a_valid_schema_pattern(engine):
    validator = SchemaValidator({"type": "object", "properties": {
        "brand": {"type": "string", "pattern": "^\\pL+$"}}}, engine)

    assert validator.is_valid({"brand": "Élan"})
    assert not validator.is_valid({"brand": "Élan 2"})


@pytest.mark.parametrize("engine", ENGINES)
def test_a_pattern_is_searched_not_anchored(engine):
    validator = SchemaValidator(schema_with("^https?://"), engine)

    assert validator.is_valid({"images": ["https://cdn.example.com/a.jpg"]})
    assert not validator.is_valid({"images": ["ftp://cdn.example.com/a.jpg"]})


@pytest.mark.parametrize("engine", ENGINES)
def test_a_backtracking_pattern_is_answered_on_a_long_value(engine):
    # Exponential on a backtracking engine (it would not finish); linear on RE2.
    validator = SchemaValidator(schema_with("^(a+)+$"), engine)

    assert not validator.is_valid({"images": ["a" * 5000 + "!"]})
    assert validator.is_valid({"images": ["a" * 5000]})


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("pattern", ["(?<=x)y", "(a)\\1", "(?=a)b"])
def test_a_pattern_re2_cannot_compile_is_refused_naming_its_place(engine, pattern):
    with pytest.raises(SchemaPatternError) as refused:
        SchemaValidator(schema_with(pattern), engine)

    assert refused.value.pointer == "/properties/images/items/pattern"
    assert "/properties/images/items/pattern" in str(refused.value)
    assert "RE2" in str(refused.value)


def test_pattern_property_names_are_patterns_too():
    schema = {"type": "object", "$defs": {"tiers": {"patternProperties": {
        "^x-(?!y)": {"type": "string"}}}}, "anyOf": [{"pattern": "a"}]}

    assert list(schema_patterns(schema)) == [
        ("/$defs/tiers/patternProperties/^x-(?!y)", "^x-(?!y)"), ("/anyOf/0/pattern", "a")]
    with pytest.raises(SchemaPatternError, match="patternProperties"):
        SchemaValidator(schema, "python")


def test_a_property_named_pattern_is_a_schema_not_a_pattern():
    schema = {"type": "object", "properties": {"pattern": {"type": "string"}}}

    assert list(schema_patterns(schema)) == []
    assert SchemaValidator(schema, "rust").is_valid({"pattern": "(?<=x)"})


def test_saving_a_channel_whose_schema_has_such_a_pattern_is_refused_naming_it(
        presets, tmp_path, monkeypatch):
    (tmp_path / "lookbehind.json").write_text(json.dumps(schema_with("(?<=x)y")))
    monkeypatch.setattr(definition_module, "SCHEMAS_DIR", tmp_path)
    channel = presets["webshop-uk"].model_copy(update={"schema_file": "lookbehind.json"})

    with pytest.raises(Invalid) as refused:
        channel_schema(channel)

    assert refused.value.errors[0]["field"] == "schema"
    assert "/properties/images/items/pattern" in refused.value.errors[0]["message"]
