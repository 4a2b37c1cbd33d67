"""Human messages for schema failures, written from the keyword and its value rather than
taken from the engine, so the same variant reads the same whichever engine checked it and
a product manager never sees a dump of the whole variant (as an ``anyOf`` failure would)."""

from __future__ import annotations

from typing import Any


def describe(keyword: str, expected: Any, *, pointer: str, value: Any, fallback: str) -> str:
    name = pointer.lstrip("/").replace("/", ".") or "the product"
    if keyword == "required":
        return f"{name} is required"
    if keyword == "maxLength":
        size = len(value) if isinstance(value, str) else "?"
        return f"{name} is longer than {expected} characters ({size})"
    if keyword == "minLength":
        return f"{name} is empty" if expected == 1 else f"{name} is shorter than {expected}"
    if keyword == "maxItems":
        return f"{name} has more than {expected} items"
    if keyword == "minItems":
        return f"{name} needs at least {expected} item{'s' if expected != 1 else ''}"
    if keyword == "pattern":
        return f"{name} {value!r} is not in the expected format"
    if keyword == "format":
        if expected == "gtin":
            return f"{name} {value!r} is not a valid GTIN (8, 12, 13 or 14 digits, check digit)"
        return f"{name} {value!r} is not a valid {expected}"
    if keyword == "enum":
        return f"{name} {value!r} is not one of: {', '.join(map(str, expected))}"
    if keyword == "const":
        return f"{name} must be {expected!r}, not {value!r}"
    if keyword == "type":
        kinds = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{name} must be of type {kinds}"
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"{name} {value!r} is below the minimum {expected}"
    if keyword in ("maximum", "exclusiveMaximum"):
        return f"{name} {value!r} is above the maximum {expected}"
    if keyword == "anyOf" and isinstance(expected, list):
        names = [s["required"][0] for s in expected if isinstance(s, dict) and "required" in s]
        if len(names) == len(expected):
            return f"one of {' or '.join(names)} is required"
    if keyword == "additionalProperties":
        return f"{name} holds a field the channel does not accept"
    return fallback
