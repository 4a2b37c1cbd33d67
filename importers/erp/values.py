"""Shaping ERP field values into the hub's value entries (see ``pim.records``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from importers.erp.config import Target
from pim.records import ValueEntry

TWO_PLACES = Decimal("0.01")


class FieldValueError(ValueError):
    """An ERP field's value cannot become the mapped attribute's value."""


def amount_text(value: Any) -> str | None:
    """A money or quantity amount as the hub stores it: at least two decimal places, more
    only when the ERP's number has significant ones ("19.9000" -> "19.90")."""
    if value is None or value == "":
        return None
    number = as_decimal(value)
    if number.is_zero():
        return "0.00"
    if abs(number.adjusted()) > 40:  # left for the catalog to refuse, never expanded
        return str(number)
    normal = number.normalize()
    if normal.as_tuple().exponent > -2:  # type: ignore[operator]
        normal = number.quantize(TWO_PLACES)
    return format(normal, "f")


def as_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise FieldValueError(f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise FieldValueError(f"expected a number, got {value!r}") from None
    else:
        raise FieldValueError(f"expected a number, got {value!r}")
    if not number.is_finite():
        raise FieldValueError(f"expected a number, got {value!r}")
    return number


def quantity(value: Any) -> Decimal:
    """A stock quantity (Tryton sends floats): exact decimal, no exponent."""
    number = as_decimal(0 if value is None else value).normalize()
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def plain_data(value: Any) -> Any:
    """A field value as an attribute's data: numbers as decimal text, dates as ISO dates,
    lists joined by ", "."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, Decimal | int | float):
        return amount_text(value) if isinstance(value, Decimal | float) else str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        parts = [str(plain_data(v)) for v in value if v not in (None, "")]
        return ", ".join(parts) if parts else None
    return str(value)


def shaped(target: Target, value: Any, *, currency: str | None = None) -> Any:
    """``value`` in the shape ``target``'s attribute takes: a price when a currency is known
    (given or the ERP's), a measurement when the target names a unit, else plain data."""
    currency = target.currency or currency
    if currency is not None:
        return [{"amount": amount_text(value), "currency": currency}]
    if target.unit is not None:
        if value is None or value == "":
            return None
        return {"amount": amount_text(value), "unit": target.unit}
    return plain_data(value)


def entry(target: Target, data: Any) -> ValueEntry:
    return {"locale": target.locale, "scope": target.scope, "data": data}


def add_value(values: dict[str, list[ValueEntry]], target: Target, data: Any) -> None:
    values.setdefault(target.attribute, []).append(entry(target, data))


def dotted(item: Any, path: str) -> Any:
    """``item["a"]["b"]`` for ``"a.b"``; None where any step is missing."""
    if not path:
        return item
    current = item
    for part in path.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            current = current[index] if index < len(current) else None
        else:
            return None
        if current is None:
            return None
    return current


def parse_timestamp(value: Any) -> datetime | None:
    """An item's modification time: ISO 8601 (naive means UTC) or unix seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value  # milliseconds
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return parse_timestamp(int(text))
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise FieldValueError(f"{value!r} is not an ISO 8601 timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise FieldValueError(f"{value!r} is not a timestamp")
