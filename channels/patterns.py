"""The regular expressions of a channel schema (``pattern``, ``patternProperties``), run on
RE2 (google-re2), as attribute regexes are: matching takes time linear in the value,
whatever the pattern, so a schema cannot make checking a product backtrack for seconds.

A pattern RE2 cannot compile (backreferences, lookaround) is refused when the schema is
loaded or a channel naming it is saved: ``check_schema_patterns`` raises
``SchemaPatternError`` naming the pattern's place in the schema (a JSON pointer). RE2's
syntax is Perl's without those; ``\\d``, ``\\w`` and ``\\s`` are ASCII.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported to whoever saves it, not logged

# Keywords whose value is a schema, a list of schemas or a map of names to schemas: the walk
# looks for patterns only there, never in data (``enum``, ``const``, ``examples``...).
_SCHEMA = frozenset({"additionalProperties", "items", "contains", "propertyNames", "not",
                     "if", "then", "else", "unevaluatedItems", "unevaluatedProperties",
                     "additionalItems"})
_SCHEMAS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "definitions",
                            "dependentSchemas"})


class SchemaPatternError(ValueError):
    """A pattern of a channel schema that RE2 cannot compile; ``pointer`` says where."""

    def __init__(self, pointer: str, pattern: str, reason: str):
        super().__init__(f"the pattern at {pointer} ({pattern!r}) cannot be compiled by RE2: "
                         f"{reason} (RE2 syntax: no backreferences or lookaround)")
        self.pointer = pointer


@lru_cache(maxsize=1024)
def pattern_matcher(pattern: str) -> Callable[[str], bool]:
    """Whether ``pattern``, compiled by RE2, matches somewhere in a text (JSON Schema
    patterns are not anchored); raises ``re2.error`` (saying why) when RE2 cannot compile
    it. A one-pattern ``re2.Set`` answers the question without building a match (a sixth
    of ``search``'s time: checking a variant runs several)."""
    re2.compile(pattern, _OPTIONS)  # the reason, when it cannot be compiled
    patterns = re2.Set.SearchSet(_OPTIONS)
    patterns.Add(pattern)
    patterns.Compile()
    match = patterns.Match
    return lambda text: match(text) is not None


def check_schema_patterns(schema: Any) -> None:
    """Raise ``SchemaPatternError`` for the first pattern of ``schema`` RE2 cannot
    compile."""
    for pointer, pattern in schema_patterns(schema):
        try:
            pattern_matcher(pattern)
        except re2.error as error:
            reason = error.args[0] if error.args else error
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise SchemaPatternError(pointer, pattern, str(reason)) from None


def schema_patterns(schema: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(JSON pointer, pattern)`` of ``schema``: ``pattern`` values and the names
    of ``patternProperties``."""
    if not isinstance(schema, dict):
        return
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        yield f"{pointer}/pattern", pattern
    for key, value in schema.items():
        here = f"{pointer}/{_escape(key)}"
        if key in _SCHEMA and not isinstance(value, list):
            yield from schema_patterns(value, here)
        elif (key in _SCHEMAS or key in _SCHEMA) and isinstance(value, list):
            for index, item in enumerate(value):
                yield from schema_patterns(item, f"{here}/{index}")
        elif key in _NAMED_SCHEMAS and isinstance(value, dict):
            for name, item in value.items():
                if key == "patternProperties":
                    yield f"{here}/{_escape(name)}", name
                yield from schema_patterns(item, f"{here}/{_escape(name)}")


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
