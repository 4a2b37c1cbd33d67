"""Checking a channel variant against its channel schema: completeness and errors that point
back at the attribute (and locale/scope) a person must fix.

The hot path is ``is_valid`` on a compiled validator; only an invalid variant pays for
collecting and describing its errors. Both engines (``jsonschema_rs`` when installed,
``jsonschema`` otherwise or on request) share the rules in :mod:`channels.keywords` and are
normalised here to the same :class:`Violation` list, so messages do not depend on the engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from channels import keywords
from channels.definition import ChannelDefinition
from channels.messages import describe
from channels.patterns import check_schema_patterns
from pim.records import CatalogContext, ChannelVariant, ValueProblem

try:  # the Rust engine is optional; the pure-Python one is always there
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema_rs = None  # type: ignore[assignment]

Engine = Literal["auto", "rust", "python"]
PathSegment = str | int


@dataclass(frozen=True, slots=True)
class Violation:
    """One schema failure, engine-neutral. ``path`` leads to the offending (or missing)
    value; ``schema_path`` to the keyword that refused it."""

    path: tuple[PathSegment, ...]
    keyword: str
    schema_path: tuple[PathSegment, ...]
    engine_message: str


class SchemaValidator:
    """A compiled channel schema. Build it once per schema with :func:`build_validator`."""

    def __init__(self, schema: dict[str, Any], engine: Engine = "auto"):
        check_schema_patterns(schema)  # SchemaPatternError, naming where, before compiling
        self.schema = schema
        self.required_fields: tuple[str, ...] = tuple(schema.get("required", ()))
        use_rust = engine == "rust" or (engine == "auto" and jsonschema_rs is not None)
        if use_rust:
            if jsonschema_rs is None:
                raise RuntimeError("jsonschema_rs is not installed")
            self.engine = "rust"
            self._compiled = jsonschema_rs.Draft202012Validator(
                schema,
                keywords=keywords.RS_KEYWORDS,
                formats=keywords.RS_FORMATS,
                validate_formats=True,
            )
        else:
            self.engine = "python"
            keywords.ChannelSchemaValidator.check_schema(
                schema, format_checker=keywords.METASCHEMA_FORMAT_CHECKER)
            self._compiled = keywords.ChannelSchemaValidator(
                schema, format_checker=keywords.FORMAT_CHECKER
            )
        self._reverse_mappings: dict[str, dict[str, Any]] = {}

    def is_valid(self, instance: Any) -> bool:
        return self._compiled.is_valid(instance)

    def violations(self, instance: Any) -> list[Violation]:
        if self.engine == "rust":
            found = [
                _from_rust(error, self.schema) for error in self._compiled.iter_errors(instance)
            ]
        else:
            found = [_from_python(error) for error in self._compiled.iter_errors(instance)]
        # Engines differ in order; sort so the same variant always lists the same errors.
        return sorted(found, key=lambda v: (_sort_key(v.path), v.keyword, _sort_key(v.schema_path)))


_VALIDATORS: dict[tuple[str, str], SchemaValidator] = {}


def build_validator(schema: dict[str, Any], engine: Engine = "auto") -> SchemaValidator:
    """The compiled validator for ``schema``, cached by the schema's content."""
    key = (json.dumps(schema, sort_keys=True), engine)
    validator = _VALIDATORS.get(key)
    if validator is None:
        validator = _VALIDATORS[key] = SchemaValidator(schema, engine)
    return validator


@dataclass(slots=True)
class FieldError:
    """A validation error a UI can point at: the output field (JSON pointer), and the
    attribute, locale and scope to edit (None where the field is not an attribute's, e.g.
    availability comes from stock, categories from classification)."""

    field: str
    message: str
    keyword: str
    attribute: str | None = None
    locale: str | None = None
    scope: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "attribute": self.attribute,
            "locale": self.locale,
            "scope": self.scope,
            "keyword": self.keyword,
            "message": self.message,
        }


@dataclass(slots=True)
class VariantCheck:
    """Completeness of one (product, channel, locale) and every error found."""

    channel: str
    locale: str
    sku: str
    required: int
    present: int
    percent: int  # share of required fields present, 0-100, rounded down
    errors: list[FieldError] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required fields not present

    @property
    def passed(self) -> bool:
        return not self.errors

    def problems(self) -> list[ValueProblem]:
        """The errors that point at an attribute, in the hub's record type."""
        return [
            ValueProblem(e.attribute, e.message, e.locale, e.scope)
            for e in self.errors
            if e.attribute
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "locale": self.locale,
            "sku": self.sku,
            "required": self.required,
            "present": self.present,
            "percent": self.percent,
            "passed": self.passed,
            "missing": list(self.missing),
            "errors": [e.as_dict() for e in self.errors],
        }


def check_variant(
    variant: ChannelVariant,
    channel: ChannelDefinition,
    validator: SchemaValidator,
    *,
    family_requirements: Sequence[str] = (),
    context: CatalogContext | None = None,
) -> VariantCheck:
    """Completeness and errors of ``variant``.

    Required fields are the schema's top-level ``required`` plus ``family_requirements``
    (attribute codes the product's family requires for this channel), each counted at the
    output field that carries it: the mapped field, the price field, ``axes.<code>`` or
    ``attributes.<code>``. ``context`` supplies the attribute flags that decide whether an
    error's locale and scope are the variant's (localizable / scopable attributes).
    """
    fields = variant.fields
    reverse = _reverse_mapping(validator, channel)
    required = list(validator.required_fields)
    family_fields = []
    for code in family_requirements:
        output = _output_field_of(code, reverse, fields)
        if output not in required:
            required.append(output)
            family_fields.append((output, code))
    missing = [name for name in required if not _present(fields, name)]

    present = len(required) - len(missing)
    percent = 100 if not required else present * 100 // len(required)

    errors: list[FieldError] = []
    if not validator.is_valid(fields):
        for violation in validator.violations(fields):
            errors.append(_field_error(violation, validator, variant, channel, reverse, context))
    for problem in variant.problems:
        errors.append(_problem_error(problem, variant, channel, context))
    for output, code in family_fields:
        if output in missing:
            error = _locate(output.split("."), variant, channel, reverse, context)
            error.keyword = "familyRequirement"
            error.message = f"{output} is required for this channel by the product's family"
            error.attribute = code
            errors.append(error)
    return VariantCheck(
        channel=variant.channel,
        locale=variant.locale,
        sku=variant.sku,
        required=len(required),
        present=present,
        percent=percent,
        errors=errors,
        missing=missing,
    )


# --- Mapping output fields back to attributes.


def _reverse_mapping(validator: SchemaValidator, channel: ChannelDefinition) -> dict[str, Any]:
    """output field -> FieldSource (or attribute code for prices); attribute -> field."""
    cached = validator._reverse_mappings.get(channel.code)
    if cached is not None:
        return cached
    by_field: dict[str, Any] = {}
    by_attribute: dict[str, str] = {}
    for name, sources in channel.mapping.fields.items():
        by_field[name] = sources[0]
        for source in sources:
            by_attribute.setdefault(source.attribute, name)
    pricing = channel.pricing
    for name, code in (
        ("price", pricing.price),
        ("tier_prices", pricing.price),
        ("sale_price", pricing.sale_price),
        ("map_price", pricing.map_price),
    ):
        if code:
            by_field[name] = code
            by_attribute.setdefault(code, name)
    cached = {"by_field": by_field, "by_attribute": by_attribute}
    validator._reverse_mappings[channel.code] = cached
    return cached


def _output_field_of(code: str, reverse: dict[str, Any], fields: dict[str, Any]) -> str:
    mapped = reverse["by_attribute"].get(code)
    if mapped:
        return mapped
    if code in fields.get("axes", ()):
        return f"axes.{code}"
    return f"attributes.{code}"


_EMPTY: tuple[Any, ...] = (None, "", [], {})


def _present(fields: dict[str, Any], name: str) -> bool:
    value = fields.get(name)
    if value is None and "." in name:
        head, _, rest = name.partition(".")
        value = fields.get(head)
        value = value.get(rest) if isinstance(value, dict) else None
    return value not in _EMPTY


def _field_error(violation, validator, variant, channel, reverse, context) -> FieldError:
    path = list(violation.path)
    keyword_value, subschema = _schema_at(validator.schema, violation.schema_path)
    if violation.keyword == "anyOf" and _alternatives_required(keyword_value):
        # "gtin or mpn": point at the first alternative; the message names them all.
        path.append(keyword_value[0]["required"][0])
    error = _locate(path, variant, channel, reverse, context)
    error.keyword = violation.keyword
    error.message = describe(
        violation.keyword,
        keyword_value,
        pointer=error.field,
        value=_value_at(variant.fields, path),
        fallback=violation.engine_message,
    )
    return error


def _locate(path, variant, channel, reverse, context) -> FieldError:
    pointer = "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)
    attribute = locale = scope = None
    head = path[0] if path else None
    source = reverse["by_field"].get(head) if isinstance(head, str) else None
    if source is not None:
        attribute = source if isinstance(source, str) else source.attribute
        if not isinstance(source, str):
            locale, scope = source.locale, source.scope
    elif head in ("attributes", "axes") and len(path) > 1:
        attribute = str(path[1])
    if attribute and context is not None:
        spec = context.attributes.get(attribute)
        if spec is not None:
            locale = locale or (variant.locale if spec.localizable else None)
            scope = scope or (channel.code if spec.scopable else None)
    return FieldError(pointer, "", "", attribute, locale, scope)


def _problem_error(problem: ValueProblem, variant: ChannelVariant, channel: ChannelDefinition,
                   context: CatalogContext | None) -> FieldError:
    """A value the projection had to leave out (an image with no rendition), at the field it
    would have filled."""
    locale, scope = problem.locale, problem.scope
    spec = context.attributes.get(problem.attribute) if context is not None else None
    if spec is not None:
        locale = locale or (variant.locale if spec.localizable else None)
        scope = scope or (channel.code if spec.scopable else None)
    return FieldError("/images", problem.message, "rendition", problem.attribute, locale, scope)


def _alternatives_required(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(s, dict) and list(s) == ["required"] for s in value)
    )


def _schema_at(schema: dict, schema_path: Iterable[PathSegment]) -> tuple[Any, Any]:
    """The keyword's value and the subschema holding it, following local ``$ref``s (the
    Python engine leaves ``$ref`` out of its paths, the Rust one may keep it)."""
    node: Any = schema
    parent: Any = None
    for segment in schema_path:
        if isinstance(node, dict) and segment not in node and "$ref" in node:
            node = _resolve_local(schema, node["$ref"])
        if segment == "$ref" and isinstance(node, dict):
            node = _resolve_local(schema, node["$ref"])
            continue
        parent = node
        try:
            node = node[segment] if isinstance(node, dict) else node[int(segment)]
        except (KeyError, IndexError, ValueError, TypeError):
            return None, None
    return node, parent


def _resolve_local(schema: dict, ref: str) -> Any:
    node: Any = schema
    for part in ref.lstrip("#/").split("/") if ref.startswith("#/") else ():
        node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
    return node


def _value_at(instance: Any, path: Sequence[PathSegment]) -> Any:
    node = instance
    for segment in path:
        if isinstance(node, dict):
            node = node.get(segment)
        elif isinstance(node, list) and isinstance(segment, int) and segment < len(node):
            node = node[segment]
        else:
            return None
    return node


def _from_python(error) -> Violation:
    return Violation(
        tuple(error.absolute_path),
        str(error.validator),
        tuple(error.absolute_schema_path),
        error.message,
    )


def _from_rust(error, schema: dict) -> Violation:
    path = list(error.instance_path)
    schema_path = tuple(error.schema_path)
    keyword = str(schema_path[-1]) if schema_path else ""
    kind = error.kind
    if keyword == "required":
        path.append(kind.property)
    elif keyword in keywords.RULES:
        # Same pointer as the Python engine's keyword: the field the rule names.
        config, _ = _schema_at(schema, schema_path)
        field_name = config.get("field") if isinstance(config, dict) else None
        if field_name:
            path.append(field_name)
    message = kind.message if keyword in keywords.RULES else error.message
    return Violation(tuple(path), keyword, schema_path, message)


def _sort_key(path: Iterable[PathSegment]) -> tuple:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in path)
