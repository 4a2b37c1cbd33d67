"""Value validation per attribute type: pure functions over ``CatalogContext``.

``validate_values`` returns the values in their canonical stored form (see ``pim.records``)
and every problem found, each naming attribute, locale and scope. A refused value is left
out of the clean result; the caller decides whether one problem refuses the whole write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, cast

import nh3
import orjson
import re2

from pim.records import AttributeSpec, CatalogContext, ValueProblem, Values, is_gtin

TEXT_MAX_LENGTH = 255
TEXTAREA_MAX_LENGTH = 65_535
# The maximum precision of numbers, measurement amounts and prices: 18 digits before the
# decimal point and 10 after (trailing zeros do not count), so that every value holds in 28
# significant digits, Decimal's precision, and sums, comparisons and two-place prices stay
# exact. A number given as text is at most MAX_NUMBER_TEXT characters. These bounds are
# checked before a number is expanded into digits: "1e30000000" is refused, never written
# out as 30 MB of zeros.
MAX_INTEGER_DIGITS = 18
MAX_DECIMAL_PLACES = 10
MAX_NUMBER_TEXT = 64
MAX_MIN_QUANTITY = 1_000_000_000  # a price tier's min_quantity
_INTEGER_LIMIT = 10**MAX_INTEGER_DIGITS
_ZERO = Decimal(0)

# Rich text: formatting and lists, links without scripts, nothing that runs or embeds.
RICH_TEXT_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "ul", "ol", "li",
    "h2", "h3", "h4", "blockquote", "a", "table", "thead", "tbody", "tr", "th", "td", "span",
}
RICH_TEXT_ATTRIBUTES = {"a": {"href", "title"}, "th": {"colspan"}, "td": {"colspan"}}


class Refused(Exception):
    """One value refused: the message says why, in words a product manager understands."""


_RICH_TEXT_RULES: dict[str, Any] = {
    "tags": RICH_TEXT_TAGS,
    "attributes": RICH_TEXT_ATTRIBUTES,
    "url_schemes": {"http", "https", "mailto"},
    "link_rel": "noopener noreferrer",
}
# Built once: ``nh3.clean`` rebuilds the same rules on every call, which costs more than
# cleaning a short description.
_clean_rich_text = nh3.Cleaner(**_RICH_TEXT_RULES).clean


def sanitize_html(html: str) -> str:
    return _clean_rich_text(html)


def _shown(raw: Any) -> str:
    """``repr(raw)``, cut short: a refusal never echoes a megabyte."""
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def _parsed(raw: str) -> Decimal:
    text = raw.strip()
    if len(text) > MAX_NUMBER_TEXT:
        raise Refused(f"{_shown(raw)} is longer than a number may be "
                      f"({MAX_NUMBER_TEXT} characters)")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Refused(f"{_shown(raw)} is not a number") from None
    if not value.is_finite():
        raise Refused(f"{_shown(raw)} is not a finite number")
    return value


def bounded(value: Decimal, raw: Any) -> Decimal:
    """``value`` within the maximum precision (see MAX_INTEGER_DIGITS), zero without sign
    or exponent; else Refused. Reads the digits and exponent only, never expands them."""
    if value.is_zero():
        return _ZERO
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        raise Refused(f"{_shown(raw)} is too large: at most {MAX_INTEGER_DIGITS} digits "
                      "before the decimal point")
    _, digits, exponent = value.as_tuple()
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if isinstance(exponent, int) and -(exponent + trailing) > MAX_DECIMAL_PLACES:
        raise Refused(f"{_shown(raw)} has too many decimal places: at most "
                      f"{MAX_DECIMAL_PLACES}")
    return value


def to_decimal(raw: Any) -> Decimal:
    """A number given as text, int, float or Decimal, within the maximum precision."""
    if raw.__class__ is str:  # what imports and forms send: the common case first
        return bounded(_parsed(raw), raw)
    if isinstance(raw, bool):
        raise Refused(f"expected a number, got {raw!r}")
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        if not -_INTEGER_LIMIT < raw < _INTEGER_LIMIT:
            raise Refused(f"{_shown(raw)} is too large: at most {MAX_INTEGER_DIGITS} digits "
                          "before the decimal point")
        value = Decimal(raw)
    elif isinstance(raw, float):
        # JSON clients send floats; repr() is the shortest text that round-trips, so 12.5
        # stays 12.5 and never becomes 12.4999...
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        value = _parsed(raw)
    else:
        raise Refused(f"expected a number, got {type(raw).__name__}")
    if not value.is_finite():
        raise Refused(f"{_shown(raw)} is not a finite number")
    return bounded(value, raw)


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


Cleaner = Callable[[Any], Any]
"""One attribute's checks, compiled: raw data in, canonical data out (or ``Refused``)."""


def _number_checker(rules: dict[str, Any]) -> Callable[[Decimal, str], Decimal]:
    """``rules`` (decimals, negative_allowed, min, max) looked up once."""
    decimals = rules.get("decimals")
    places_allowed = int(decimals) if decimals is not None else None
    no_negative = rules.get("negative_allowed") is False
    low = Decimal(str(rules["min"])) if rules.get("min") is not None else None
    high = Decimal(str(rules["max"])) if rules.get("max") is not None else None

    def check(value: Decimal, what: str = "value") -> Decimal:
        if value.is_zero():
            value = _ZERO  # "-0" and "0E+9" are 0
        if places_allowed is not None:
            exponent = value.as_tuple().exponent
            # Trailing zeros ("12.50") are not decimal places: normalise only when needed.
            if isinstance(exponent, int) and -exponent > places_allowed:
                exponent = value.normalize().as_tuple().exponent
            places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
            if places > places_allowed:
                if places_allowed == 0:
                    raise Refused(f"{what} must be a whole number")
                raise Refused(f"{what} allows at most {decimals} decimal places")
        if no_negative and value < 0:
            raise Refused(f"{what} must not be negative")
        if low is not None and value < low:
            raise Refused(f"{what} must be at least {rules['min']}")
        if high is not None and value > high:
            raise Refused(f"{what} must be at most {rules['max']}")
        return value

    return check


_REMEMBERED_TEXTS = 1024


def _number_texter(
    rules: dict[str, Any], money: bool = False,
) -> Callable[..., str | Decimal]:
    """``to_decimal``, ``_number_checker``'s checks, then ``decimal_text`` of the value:
    ``text(raw, what="value")``.
    With ``money``, ``money_text`` of the value, or the checked value itself where that text
    needs ``Decimal.quantize``, which may fail: the caller makes it once the entry passed all
    its other checks, as before.

    The usual value is read from ``str(value)``, which is ``format(value, "f")`` when it has
    no exponent: its decimal places without ``as_tuple()``, its text without ``format``. A
    value in scientific notation, or one the checks refuse or must normalise, goes through
    ``_number_checker`` (for the very same message) and the functions above. ``what`` is the
    checked value's name in messages, or for prices the currency (named "<currency> amount"),
    so that the name is only built for a refusal.

    Without ``money``, the text of a number given as text is remembered (up to
    ``_REMEMBERED_TEXTS`` of them): numbers and measurements repeat from product to product
    (a voltage, a warranty), and the same text always makes the same clean text."""
    check = _number_checker(rules)
    texts: dict[str, str] = {}
    decimals = rules.get("decimals")
    places_allowed = int(decimals) if decimals is not None else None
    no_negative = rules.get("negative_allowed") is False
    low = Decimal(str(rules["min"])) if rules.get("min") is not None else None
    high = Decimal(str(rules["max"])) if rules.get("max") is not None else None
    name = (lambda what: f"{what} amount") if money else (lambda what: what)

    def text(raw: Any, what: Any = "value") -> str | Decimal:
        if raw.__class__ is str:  # to_decimal's first case
            if not money:
                known = texts.get(raw)
                if known is not None:
                    return known
            value = _parsed(raw)
        else:
            value = to_decimal(raw)
            if value.__class__ is not Decimal:  # a subclass: its own str() and format()
                value = check(value, name(what))
                return value if money else decimal_text(value)
        text = str(value)
        if "E" in text or "e" in text:  # exponent above 0 or far below
            value = check(bounded(value, raw), name(what))
            return value if money else decimal_text(value)
        dot = text.find(".")
        places = len(text) - dot - 1 if dot >= 0 else 0
        if places > MAX_DECIMAL_PLACES or len(text) > MAX_INTEGER_DIGITS:
            value = bounded(value, raw)  # refuses, or fits: the checks below as usual
            text = str(value)
            dot = text.find(".")
            places = len(text) - dot - 1 if dot >= 0 else 0
        if ((places_allowed is not None and places > places_allowed)
                or (no_negative and text[0] == "-")  # or -0
                or (low is not None and value < low)
                or (high is not None and value > high)):
            value = check(value, name(what))  # refuses, or drops trailing zeros
            return value if money else decimal_text(value)
        if money:
            if places >= 2:
                return text
            if len(text) > 20:  # may not fit the context's precision with two places
                return value
            return text + "0" if places else text + ".00"
        if dot >= 0:
            text = text.rstrip("0").rstrip(".") or "0"
        if text == "-0":
            text = "0"
        if raw.__class__ is str:
            if len(texts) >= _REMEMBERED_TEXTS:
                texts.clear()
            texts[raw] = text
        return text

    return text


# C0 control characters other than tab, line feed and carriage return: no text format
# the hub writes can carry them (XML 1.0 forbids them, a TSV or CSV cell breaks on them).
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]").search


def _control_character_refusal(value: str, found: re.Match) -> Refused:
    return Refused(f"contains the control character U+{ord(found.group()):04X} at "
                   f"position {found.start() + 1}; only tab, line feed and carriage return "
                   "are allowed")


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is reported to whoever saves it, not logged
MAX_PATTERN_LENGTH = 1000


class PatternError(ValueError):
    """An attribute's validation regex that RE2 cannot compile."""


def compile_pattern(pattern: str) -> Callable[[str], Any]:
    """The ``fullmatch`` of an attribute's validation regex, compiled by RE2: matching
    takes time linear in the value, whatever the pattern (Python's ``re`` backtracks: ``(a+)+$``
    took seconds on 27 characters). RE2's syntax is Perl's without backreferences and
    lookaround; ``\\w``, ``\\d`` and ``\\s`` are ASCII (``\\pL`` is any letter)."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return re2.compile(pattern, _RE2_OPTIONS).fullmatch
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"{reason} (the pattern must be RE2 syntax: no backreferences "
                           "or lookaround)") from None


def _text_checker(rules: dict[str, Any], default_max: int) -> Callable[[Any], str]:
    max_length = rules.get("max_length", default_max)
    limit = int(max_length) if max_length is not None else None
    min_length = int(rules["min_length"]) if rules.get("min_length") else None
    pattern = rules.get("regex")
    matcher: Callable[[str], Any] | None = None
    if pattern:
        try:
            matcher = compile_pattern(pattern)
        except PatternError as error:
            # Saved before patterns were checked with RE2: refuse values, never backtrack.
            message = f"the attribute's pattern cannot be checked ({error}); fix the attribute"

            def unusable(value: str) -> Any:
                raise Refused(message)

            matcher = unusable

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Refused(f"expected text, got {type(value).__name__}")
        if limit is not None and len(value) > limit:
            raise Refused(f"is {len(value)} characters long; at most {max_length} allowed")
        if min_length is not None and len(value) < min_length:
            raise Refused(f"must be at least {rules['min_length']} characters long")
        if matcher is not None and not matcher(value):
            raise Refused(f"{_shown(value)} does not match the pattern {pattern}")
        found = _CONTROL_CHARACTER(value)
        if found is not None:
            raise _control_character_refusal(value, found)
        return value

    return check


def compile_cleaner(spec: AttributeSpec, context: CatalogContext) -> Cleaner:
    """``spec``'s checks with its rules, unit family and currencies looked up once.

    Options are read live from ``spec.options``, so options added to the spec later count."""
    rules = spec.validation or {}
    kind = spec.type
    if kind == "text":
        return _text_checker(rules, TEXT_MAX_LENGTH)
    if kind == "textarea":
        check_text = _text_checker(rules, TEXTAREA_MAX_LENGTH)

        def clean_textarea(data: Any) -> str:
            if not isinstance(data, str):
                raise Refused(f"expected text, got {type(data).__name__}")
            return check_text(_clean_rich_text(data))  # sanitize_html

        return clean_textarea
    if kind == "identifier":
        check_text = _text_checker(rules, TEXT_MAX_LENGTH)
        gtin = rules.get("format") == "gtin"

        def clean_identifier(data: Any) -> str:
            text = check_text(data).strip()
            if gtin and not is_gtin(text):
                if not (text.isascii() and text.isdigit()) or len(text) not in (8, 12, 13, 14):
                    raise Refused(f"{text!r} is not a GTIN (8, 12, 13 or 14 digits 0-9)")
                raise Refused(f"{text!r} has a wrong check digit")
            return text

        return clean_identifier
    if kind == "number":
        return _number_texter(rules)
    if kind == "measurement":
        return _measurement_cleaner(spec, context)
    if kind == "price":
        return _prices_cleaner(rules, context)
    if kind == "boolean":
        def clean_boolean(data: Any) -> bool:
            if not isinstance(data, bool):
                raise Refused(f"expected true or false, got {data!r}")
            return data

        return clean_boolean
    if kind == "date":
        return _date_cleaner(rules)
    if kind == "select":
        options = spec.options

        def clean_select(data: Any) -> str:
            if not isinstance(data, str) or data not in options:
                raise Refused(f"{data!r} is not an option of {spec.code}")
            return data

        return clean_select
    if kind == "multiselect":
        options = spec.options
        # Stored in the attribute's option order, whatever order they came in: the same
        # options reordered are the same value, so re-sending them is no change (no
        # version, no "changed since published").
        position = {code: index for index, code in enumerate(options)}

        def clean_multiselect(data: Any) -> list:
            if isinstance(data, str):
                data = [data]
            if not isinstance(data, list):
                raise Refused("expected a list of option codes")
            for code in data:  # a loop, not a comprehension, while every code is known
                if code.__class__ is not str or code not in options:
                    unknown = [code for code in data
                               if not isinstance(code, str) or code not in options]
                    raise Refused(f"{', '.join(map(repr, unknown))} not options of {spec.code}")
            return sorted(set(data), key=position.__getitem__)

        return clean_multiselect
    if kind == "media":
        return _clean_media
    if kind == "reference":
        return _clean_reference

    def unknown_type(data: Any) -> Any:
        raise Refused(f"unknown attribute type {kind!r}")

    return unknown_type


_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _clean_media(data: Any) -> str:
    """A path relative to the media folder (forward slashes, no ``..``, no drive, no
    backslash) or an http(s) URL; any other scheme (``file:``, ``data:``...) is refused."""
    if not isinstance(data, str) or not data.strip():
        raise Refused("expected a file path or URL")
    text = data.strip()
    if text.startswith(("http://", "https://")):
        if _CONTROL_CHARACTER(text) or any(c.isspace() for c in text):
            raise Refused(f"{_shown(data)} is not a valid URL")
        return text
    if (_URL_SCHEME.match(text) or text.startswith("/") or "\\" in text
            or ".." in text.split("/") or _CONTROL_CHARACTER(text) or "\x7f" in text):
        raise Refused(f"{_shown(data)} must be a relative path inside the media folder or "
                      "an http(s) URL")
    return text


def _clean_reference(data: Any) -> str:
    if not isinstance(data, str) or not data.strip():
        raise Refused("expected a SKU")
    return data.strip()


def _measurement_cleaner(spec: AttributeSpec, context: CatalogContext) -> Cleaner:
    family = context.unit_families.get(spec.unit_family or "")
    units = family.units if family is not None else None
    amount_text = _number_texter(spec.validation or {})

    def clean_measurement(data: Any) -> dict:
        if not isinstance(data, dict) or "amount" not in data:
            raise Refused('expected {"amount": ..., "unit": ...}')
        unit = data.get("unit") or spec.default_unit
        if not unit:
            raise Refused("a unit is required")
        if units is not None and unit not in units:
            allowed = ", ".join(sorted(units))
            raise Refused(f"unit {unit!r} is not in unit family {spec.unit_family} ({allowed})")
        return {"amount": amount_text(data["amount"], "amount"), "unit": unit}

    return clean_measurement


def _prices_cleaner(rules: dict[str, Any], context: CatalogContext) -> Cleaner:
    currencies = frozenset(context.currencies)
    # An enabled code in capitals passes the checks below unchanged.
    plain = frozenset(code for code in currencies if code.__class__ is str and code.isupper())
    amount_text = _number_texter({"decimals": 2, "negative_allowed": False, **rules}, money=True)

    def clean_prices(data: Any) -> list[dict]:
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise Refused('expected [{"amount": ..., "currency": ...}]')
        seen: set[tuple[str, int]] = set()
        cleaned: list[dict[str, Any]] = []
        for entry in data:
            if not isinstance(entry, dict) or "currency" not in entry:
                raise Refused('each price needs "amount" and "currency"')
            currency = entry["currency"]
            if currency.__class__ is not str or currency not in plain:
                if currency.__class__ is not str or not currency.isupper():
                    currency = str(currency).upper()
                if currencies and currency not in currencies:
                    raise Refused(f"currency {currency} is not enabled")
            amount = entry.get("amount")
            if amount is None:
                continue  # an empty amount for one currency clears that currency only
            amount = amount_text(amount, currency)
            min_quantity = entry.get("min_quantity")
            if min_quantity is None:
                min_quantity = 1
            if min_quantity.__class__ is not int and (
                    not isinstance(min_quantity, int) or isinstance(min_quantity, bool)):
                raise Refused(f"min_quantity must be a whole number >= 1, got {min_quantity!r}")
            if not 1 <= min_quantity <= MAX_MIN_QUANTITY:
                raise Refused(f"min_quantity must be a whole number from 1 to "
                              f"{MAX_MIN_QUANTITY:,}, got {_shown(min_quantity)}")
            key = (currency, min_quantity)
            if key in seen:
                raise Refused(f"two {currency} prices for quantity {min_quantity}")
            seen.add(key)
            if amount.__class__ is not str:
                amount = money_text(cast(Decimal, amount))
            if min_quantity == 1:
                cleaned.append({"amount": amount, "currency": currency})
            else:
                cleaned.append({"amount": amount, "currency": currency,
                                "min_quantity": min_quantity})
        if len(cleaned) > 1:
            if len(cleaned) == 2 and (
                    (first := cleaned[0]["currency"]) != (second := cleaned[1]["currency"])):
                if second < first:  # the one comparison sort() makes of the two keys
                    cleaned.reverse()
            else:
                cleaned.sort(key=_price_order)
        return cleaned

    return clean_prices


def _price_order(price: dict) -> tuple[str, int]:
    return price["currency"], price.get("min_quantity", 1)


def _iso_date(data: str) -> date:
    """An ISO 8601 date, or a whole ISO 8601 date and time (its date is kept): nothing
    else may follow the date ("2020-01-01Tgarbage" is refused)."""
    text = data.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        if 10 < len(text) <= 40 and text[10] in "T ":
            return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    raise Refused(f"{_shown(data)} is not an ISO 8601 date (YYYY-MM-DD)")


def _date_cleaner(rules: dict[str, Any]) -> Cleaner:
    low = date.fromisoformat(rules["date_min"]) if rules.get("date_min") else None
    high = date.fromisoformat(rules["date_max"]) if rules.get("date_max") else None
    texts: dict[str, str] = {}  # dates given as text repeat: their clean text, remembered

    def clean_date(data: Any) -> str:
        if data.__class__ is str:
            known = texts.get(data)
            if known is not None:
                return known
        if isinstance(data, datetime):
            data = data.date()
        if isinstance(data, date):
            value = data
        elif isinstance(data, str):
            value = _iso_date(data)
        else:
            raise Refused(f"expected a date, got {type(data).__name__}")
        if low is not None and value < low:
            raise Refused(f"must be on or after {rules['date_min']}")
        if high is not None and value > high:
            raise Refused(f"must be on or before {rules['date_max']}")
        if data.__class__ is str:
            if len(texts) >= _REMEMBERED_TEXTS:
                texts.clear()
            text = texts[data] = value.isoformat()
            return text
        return value.isoformat()

    return clean_date


_UNCHECKED = "not checked yet"


class _AttributeChecks:
    __slots__ = ("spec", "clean", "coordinates", "unplaced")

    def __init__(self, spec: AttributeSpec):
        self.spec = spec
        self.clean: Cleaner | None = None  # compiled when a first non-empty value comes
        self.coordinates: dict[tuple, str | None] = {}  # (locale, scope) -> problem
        # The problem of a value without locale and scope, the usual one, kept apart from
        # ``coordinates`` so that it is read without making a tuple.
        self.unplaced: str | None = _UNCHECKED


class ValueChecks:
    """``validate_values``' lookups for one catalog context, built once and reused for a
    whole batch or import: each attribute's cleaner is compiled the first time it is met,
    and coordinate checks are remembered per (attribute, locale, scope)."""

    def __init__(self, context: CatalogContext):
        self.context = context
        self.locales = set(context.locales)
        self._attributes: dict[str, _AttributeChecks] = {}
        self._channels: set[str] | frozenset[str] | None = None

    def for_channels(self, channels) -> dict[str, _AttributeChecks]:
        """The per-attribute checks, valid while the channels stay the same object."""
        if channels is not self._channels:
            self._attributes = {}
            self._channels = channels
        return self._attributes

    def attribute(self, spec: AttributeSpec, channels) -> _AttributeChecks:
        known = self.for_channels(channels).get(spec.code)
        if known is None or known.spec is not spec:
            known = self._attributes[spec.code] = _AttributeChecks(spec)
        return known

    def cleaner(self, spec: AttributeSpec, channels) -> Cleaner:
        known = self.attribute(spec, channels)
        if known.clean is None:
            known.clean = compile_cleaner(spec, self.context)
        return known.clean


def validate_values(
    values: Values,
    context: CatalogContext,
    *,
    channels: set[str] | frozenset[str] = frozenset(),
    allowed_attributes: set[str] | frozenset[str] | None = None,
    checks: ValueChecks | None = None,
) -> tuple[Values, list[ValueProblem]]:
    """Check every value against its attribute. ``data: None`` passes through (it clears).

    ``checks`` (built for this ``context``) carries compiled checks from call to call."""
    if checks is None or checks.context is not context:
        checks = ValueChecks(context)
    attributes = context.attributes
    locales = checks.locales
    known_checks = checks.for_channels(channels)
    clean: Values = {}
    problems: list[ValueProblem] = []
    for code, entries in values.items():
        spec = attributes.get(code)
        if spec is None:
            problems.append(ValueProblem(code, "unknown attribute"))
            continue
        if allowed_attributes is not None and code not in allowed_attributes:
            problems.append(ValueProblem(code, "is not an attribute of this product's family"))
            continue
        one = entries.__class__ is list and len(entries) == 1
        if not one and not isinstance(entries, list):
            problems.append(ValueProblem(code, 'expected a list of {"locale", "scope", "data"}'))
            continue
        known = known_checks.get(code)
        if known is None or known.spec is not spec:
            known = checks.attribute(spec, channels)
        if one:
            # The usual attribute: one value. The steps of the loop below, without its
            # bookkeeping for several values.
            entry = entries[0]
            if not isinstance(entry, dict) or "data" not in entry:
                problems.append(ValueProblem(code, 'each value needs "locale", "scope", "data"'))
                continue
            locale, scope = entry.get("locale"), entry.get("scope")
            if locale is None and scope is None:
                problem = known.unplaced
                if problem is _UNCHECKED:
                    problem = known.unplaced = _check_coordinates(
                        spec, None, None, locales, channels)
            else:
                coordinates = known.coordinates
                try:
                    problem = coordinates[locale, scope]
                except KeyError:
                    problem = coordinates[locale, scope] = _check_coordinates(
                        spec, locale, scope, locales, channels)
                except TypeError:
                    problem = _check_coordinates(spec, locale, scope, locales, channels)
            if problem:
                problems.append(ValueProblem(code, problem, locale, scope))
                continue
            data = entry["data"]
            kind = data.__class__
            if (not data if kind is str or kind is list else kind is not dict and not (
                    data is not None and data != "" and data != [])):
                data = None  # None, "" and [] clear the value
            else:
                cleaner = known.clean
                if cleaner is None:
                    cleaner = known.clean = compile_cleaner(spec, context)
                try:
                    data = cleaner(data)
                except Refused as refused:
                    problems.append(ValueProblem(code, str(refused), locale, scope))
                    continue
            clean[code] = [{"locale": locale, "scope": scope, "data": data}]
            continue
        coordinates = known.coordinates
        out: list = []
        several = len(entries) > 1
        seen: set[tuple[str | None, str | None]] = set()
        for entry in entries:
            if not isinstance(entry, dict) or "data" not in entry:
                problems.append(ValueProblem(code, 'each value needs "locale", "scope", "data"'))
                continue
            locale, scope = entry.get("locale"), entry.get("scope")
            where = (locale, scope)
            try:
                problem = coordinates[where]
            except KeyError:
                problem = coordinates[where] = _check_coordinates(
                    spec, locale, scope, locales, channels)
            except TypeError:  # an unhashable locale or scope: check it, never remember it
                problem = _check_coordinates(spec, locale, scope, locales, channels)
            if several:
                if problem is None and where in seen:
                    problem = "given twice for the same locale and scope"
                if not problem:
                    seen.add(where)
            if problem:
                problems.append(ValueProblem(code, problem, locale, scope))
                continue
            data = entry["data"]
            if data is not None and data != "" and data != []:
                cleaner = known.clean
                if cleaner is None:
                    cleaner = known.clean = compile_cleaner(spec, context)
                try:
                    data = cleaner(data)
                except Refused as refused:
                    problems.append(ValueProblem(code, str(refused), locale, scope))
                    continue
            else:
                data = None
            out.append({"locale": locale, "scope": scope, "data": data})
        if out:
            clean[code] = out
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


# The values of a record whose row the import worker did not send (see CheckedRecord):
# empty, and read-only so that nothing fills it by mistake.
VALUES_NOT_SENT: Values = MappingProxyType({})  # type: ignore[assignment]


class CheckedValues:
    """A record's values as ``validate_values`` returned them when checked elsewhere (the
    import worker), against ``family``'s attributes. The writer uses them only for the same
    catalog context and channels, and when the product ends up in that family.

    The values may come as JSON text (``values_json``), decoded when first read: a writer
    using ``created`` never reads them. ``created``: the product the record makes when its
    SKU is not stored (``pim.catalog.state.CreatedProduct``), or None."""

    __slots__ = ("family", "_values", "_values_json", "problems", "created")

    def __init__(self, family: str | None, values: Values | None,
                 problems: list[ValueProblem], created: Any = None, *,
                 values_json: str | None = None):
        self.family = family
        self._values = values
        self._values_json = values_json
        self.problems = problems
        self.created = created

    @property
    def values(self) -> Values:
        if self._values is None:
            self._values = orjson.loads(self._values_json or "{}")
        return self._values


class FamilyValueChecks:
    """``validate_values`` as ``write_products`` calls it for a record that names its
    family, for checking records away from the database."""

    def __init__(self, context: CatalogContext, channels: frozenset[str]):
        self.context = context
        self.channels = channels
        self.checks = ValueChecks(context)
        self.allowed = {code: frozenset(spec.attributes) or None
                        for code, spec in context.families.items()}

    def check(self, family: str | None, values: Values) -> CheckedValues:
        clean, problems = validate_values(
            values, self.context, channels=self.channels,
            allowed_attributes=self.allowed.get(family or ""), checks=self.checks)
        return CheckedValues(family, clean, problems)
