"""Value validation per attribute type: pure functions over ``CatalogContext``.

``validate_values`` returns the values in their canonical stored form (see ``pim.records``)
and every problem found, each naming attribute, locale and scope. A refused value is left
out of the clean result; the caller decides whether one problem refuses the whole write.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import nh3

from pim.records import AttributeSpec, CatalogContext, ValueProblem, Values

TEXT_MAX_LENGTH = 255
TEXTAREA_MAX_LENGTH = 65_535
GTIN_LENGTHS = (8, 12, 13, 14)

# Rich text: formatting and lists, links without scripts, nothing that runs or embeds.
RICH_TEXT_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "ul", "ol", "li",
    "h2", "h3", "h4", "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "span",
}
RICH_TEXT_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan"}, "td": {"colspan"}}


class Refused(Exception):
    """One value refused: the message says why, in words a product manager understands."""


def gtin_check_digit_ok(digits: str) -> bool:
    """GS1 check digit (GTIN-8, -12, -13, -14)."""
    if not digits.isdigit() or len(digits) not in GTIN_LENGTHS:
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def gtin_with_check_digit(body: str) -> str:
    """Complete a GTIN body (all digits but the last) with its check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=RICH_TEXT_TAGS,
        attributes=RICH_TEXT_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def to_decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise Refused(f"expected a number, got {raw!r}")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        # JSON clients send floats; repr() is the shortest text that round-trips, so 12.5
        # stays 12.5 and never becomes 12.4999...
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            raise Refused(f"{raw!r} is not a number") from None
    else:
        raise Refused(f"expected a number, got {type(raw).__name__}")
    if not value.is_finite():
        raise Refused(f"{raw!r} is not a finite number")
    return value


def decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return "0" if text in ("-0", "") else text


def money_text(value: Decimal) -> str:
    """At least two decimal places ("12.50"); more only when the amount has them."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return format(value, "f")


def _check_number(value: Decimal, rules: dict[str, Any], what: str = "value") -> Decimal:
    decimals = rules.get("decimals")
    if decimals is not None:
        exponent = value.normalize().as_tuple().exponent
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if places > int(decimals):
            if int(decimals) == 0:
                raise Refused(f"{what} must be a whole number")
            raise Refused(f"{what} allows at most {decimals} decimal places")
    if rules.get("negative_allowed") is False and value < 0:
        raise Refused(f"{what} must not be negative")
    if rules.get("min") is not None and value < Decimal(str(rules["min"])):
        raise Refused(f"{what} must be at least {rules['min']}")
    if rules.get("max") is not None and value > Decimal(str(rules["max"])):
        raise Refused(f"{what} must be at most {rules['max']}")
    return value


def _check_text(value: Any, rules: dict[str, Any], default_max: int) -> str:
    if not isinstance(value, str):
        raise Refused(f"expected text, got {type(value).__name__}")
    max_length = rules.get("max_length", default_max)
    if max_length is not None and len(value) > int(max_length):
        raise Refused(f"is {len(value)} characters long; at most {max_length} allowed")
    if rules.get("min_length") and len(value) < int(rules["min_length"]):
        raise Refused(f"must be at least {rules['min_length']} characters long")
    pattern = rules.get("regex")
    if pattern and not re.fullmatch(pattern, value):
        raise Refused(f"{value!r} does not match the pattern {pattern}")
    return value


def clean_data(spec: AttributeSpec, data: Any, context: CatalogContext) -> Any:
    """Return ``data`` in canonical form for ``spec``'s type, or raise ``Refused``."""
    rules = spec.validation or {}
    kind = spec.type
    if kind == "text":
        return _check_text(data, rules, TEXT_MAX_LENGTH)
    if kind == "textarea":
        if not isinstance(data, str):
            raise Refused(f"expected text, got {type(data).__name__}")
        return _check_text(sanitize_html(data), rules, TEXTAREA_MAX_LENGTH)
    if kind == "identifier":
        text = _check_text(data, rules, TEXT_MAX_LENGTH).strip()
        if rules.get("format") == "gtin":
            if not text.isdigit() or len(text) not in GTIN_LENGTHS:
                raise Refused(f"{text!r} is not a GTIN (8, 12, 13 or 14 digits)")
            if not gtin_check_digit_ok(text):
                raise Refused(f"{text!r} has a wrong check digit")
        return text
    if kind == "number":
        return decimal_text(_check_number(to_decimal(data), rules))
    if kind == "measurement":
        return _clean_measurement(spec, data, context)
    if kind == "price":
        return _clean_prices(data, rules, context)
    if kind == "boolean":
        if not isinstance(data, bool):
            raise Refused(f"expected true or false, got {data!r}")
        return data
    if kind == "date":
        return _clean_date(data, rules)
    if kind == "select":
        if not isinstance(data, str) or data not in spec.options:
            raise Refused(f"{data!r} is not an option of {spec.code}")
        return data
    if kind == "multiselect":
        if isinstance(data, str):
            data = [data]
        if not isinstance(data, list):
            raise Refused("expected a list of option codes")
        unknown = [code for code in data if code not in spec.options]
        if unknown:
            raise Refused(f"{', '.join(map(repr, unknown))} not options of {spec.code}")
        return list(dict.fromkeys(data))
    if kind == "media":
        if not isinstance(data, str) or not data.strip():
            raise Refused("expected a file path or URL")
        if not data.startswith(("http://", "https://")) and (
            data.startswith("/") or ".." in data.split("/")
        ):
            raise Refused(f"{data!r} must be a relative path inside the media folder or a URL")
        return data.strip()
    if kind == "reference":
        if not isinstance(data, str) or not data.strip():
            raise Refused("expected a SKU")
        return data.strip()
    raise Refused(f"unknown attribute type {kind!r}")


def _clean_measurement(spec: AttributeSpec, data: Any, context: CatalogContext) -> dict:
    if not isinstance(data, dict) or "amount" not in data:
        raise Refused('expected {"amount": ..., "unit": ...}')
    unit = data.get("unit") or spec.default_unit
    family = context.unit_families.get(spec.unit_family or "")
    if not unit:
        raise Refused("a unit is required")
    if family is not None and unit not in family.units:
        allowed = ", ".join(sorted(family.units))
        raise Refused(f"unit {unit!r} is not in unit family {family.code} ({allowed})")
    amount = _check_number(to_decimal(data["amount"]), spec.validation or {}, "amount")
    return {"amount": decimal_text(amount), "unit": unit}


def _clean_prices(data: Any, rules: dict[str, Any], context: CatalogContext) -> list[dict]:
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise Refused('expected [{"amount": ..., "currency": ...}]')
    seen: set[tuple[str, int]] = set()
    cleaned = []
    price_rules = {"decimals": 2, "negative_allowed": False, **rules}
    for entry in data:
        if not isinstance(entry, dict) or "currency" not in entry:
            raise Refused('each price needs "amount" and "currency"')
        currency = str(entry["currency"]).upper()
        if context.currencies and currency not in context.currencies:
            raise Refused(f"currency {currency} is not enabled")
        if entry.get("amount") is None:
            continue  # an empty amount for one currency clears that currency only
        amount = _check_number(to_decimal(entry["amount"]), price_rules, f"{currency} amount")
        min_quantity = entry.get("min_quantity") or 1
        if not isinstance(min_quantity, int) or isinstance(min_quantity, bool) or min_quantity < 1:
            raise Refused(f"min_quantity must be a whole number >= 1, got {min_quantity!r}")
        if (currency, min_quantity) in seen:
            raise Refused(f"two {currency} prices for quantity {min_quantity}")
        seen.add((currency, min_quantity))
        item = {"amount": money_text(amount), "currency": currency}
        if min_quantity != 1:
            item["min_quantity"] = min_quantity
        cleaned.append(item)
    cleaned.sort(key=lambda p: (p["currency"], p.get("min_quantity", 1)))
    return cleaned


def _clean_date(data: Any, rules: dict[str, Any]) -> str:
    if isinstance(data, datetime):
        data = data.date()
    if isinstance(data, date):
        value = data
    elif isinstance(data, str):
        try:
            value = date.fromisoformat(data.strip()[:10]) if len(data.strip()) >= 10 else None
        except ValueError:
            value = None
        if value is None or (len(data.strip()) > 10 and data.strip()[10] not in "T "):
            raise Refused(f"{data!r} is not an ISO 8601 date (YYYY-MM-DD)")
    else:
        raise Refused(f"expected a date, got {type(data).__name__}")
    if rules.get("date_min") and value < date.fromisoformat(rules["date_min"]):
        raise Refused(f"must be on or after {rules['date_min']}")
    if rules.get("date_max") and value > date.fromisoformat(rules["date_max"]):
        raise Refused(f"must be on or before {rules['date_max']}")
    return value.isoformat()


def validate_values(
    values: Values,
    context: CatalogContext,
    *,
    channels: set[str] | frozenset[str] = frozenset(),
    allowed_attributes: set[str] | None = None,
) -> tuple[Values, list[ValueProblem]]:
    """Check every value against its attribute. ``data: None`` passes through (it clears)."""
    clean: Values = {}
    problems: list[ValueProblem] = []
    locales = set(context.locales)
    for code, entries in values.items():
        spec = context.attributes.get(code)
        if spec is None:
            problems.append(ValueProblem(code, "unknown attribute"))
            continue
        if allowed_attributes is not None and code not in allowed_attributes:
            problems.append(ValueProblem(code, "is not an attribute of this product's family"))
            continue
        if not isinstance(entries, list):
            problems.append(ValueProblem(code, 'expected a list of {"locale", "scope", "data"}'))
            continue
        seen: set[tuple[str | None, str | None]] = set()
        for entry in entries:
            if not isinstance(entry, dict) or "data" not in entry:
                problems.append(ValueProblem(code, 'each value needs "locale", "scope", "data"'))
                continue
            locale, scope = entry.get("locale"), entry.get("scope")
            problem = _check_coordinates(spec, locale, scope, locales, channels)
            if problem is None and (locale, scope) in seen:
                problem = "given twice for the same locale and scope"
            if problem:
                problems.append(ValueProblem(code, problem, locale, scope))
                continue
            seen.add((locale, scope))
            data = entry["data"]
            if data is not None and data != "" and data != []:
                try:
                    data = clean_data(spec, data, context)
                except Refused as refused:
                    problems.append(ValueProblem(code, str(refused), locale, scope))
                    continue
            else:
                data = None
            clean.setdefault(code, []).append({"locale": locale, "scope": scope, "data": data})
    return clean, problems


def _check_coordinates(
    spec: AttributeSpec,
    locale: str | None,
    scope: str | None,
    locales: set[str],
    channels: set[str] | frozenset[str],
) -> str | None:
    if spec.localizable and not locale:
        return "is localizable: a locale is required"
    if not spec.localizable and locale:
        return f"is not localizable: locale {locale!r} not allowed"
    if locale and locales and locale not in locales:
        return f"locale {locale!r} is not enabled"
    if spec.scopable and not scope:
        return "is scopable: a channel (scope) is required"
    if not spec.scopable and scope:
        return f"is not scopable: scope {scope!r} not allowed"
    if scope and channels and scope not in channels:
        return f"channel {scope!r} does not exist"
    return None
