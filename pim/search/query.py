"""What a search asks and answers, independent of the backend that runs it.

A query is plain data (``SearchQuery``): text, filters, facets, sort, a page size and a
cursor. Text is never syntax: it is folded (lower case, diacritics removed) and cut into
words of letters and digits, and each backend builds its own query from those words, so
``"``, ``*``, ``-``, ``NEAR``, ``%``, ``_``, backslashes and control characters reach no
engine as operators. Unknown filters, facets and sorts are refused with a 422 naming them.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from pim.errors import Invalid

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# "Exact up to a bound, then more than": counting every match of a broad query costs as
# much as the query itself, and nobody pages through more than this.
TOTAL_BOUND = 10_000
FACET_VALUES = 50  # values per facet, most frequent first
# Bounded work for hostile input: only this much text is read, only so many words used.
MAX_TEXT = 1000
MAX_WORDS = 12

# The facets and filters every catalog has; select and multiselect attributes add theirs
# (the attribute code, e.g. colour=red), as does a ``brand`` attribute of any type.
# ``status``, ``completeness`` and ``has_errors`` count in the filters' channel.
BASE_FACETS = ("family", "category", "status", "enabled", "completeness", "has_errors")
CHANNEL_FACETS = ("status", "completeness", "has_errors")
# The completeness bands: a product's band by its lowest locale in the channel (or the
# filters' locale), each the percentages at or above its floor and below the band above it;
# a product the channel has no completeness for is in none. The one rule the completeness
# facet, its filters (complete is completeness_above=100, high is completeness_above=80 and
# below=100, ...), the Meilisearch documents and the web UI's meters all read (band_of).
COMPLETENESS_BANDS = {"complete": 100, "high": 80, "mid": 50, "low": 0}
BAND_FLOORS = tuple(sorted(COMPLETENESS_BANDS.items(), key=lambda band: -band[1]))  # high first
BASE_FILTERS = ("family", "category", "enabled", "channel", "status", "completeness_below",
                "completeness_above", "locale", "has_errors", "changed_since_published",
                "updated_since")
SORTS = ("relevance", "updated_at", "-updated_at", "created_at", "-created_at", "sku", "-sku")

_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without diacritics ("Élégant Straße" -> "elegant strasse"): what the
    index stores and what queries are compared with, the same on every engine."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


def words_of(text: str) -> list[str]:
    """The words a query searches for: folded, letters and digits only, bounded."""
    return WORD.findall(fold(text[:MAX_TEXT]))[:MAX_WORDS]


def identifier_of(text: str) -> str:
    """The query read as an identifier (a SKU or GTIN, whole or a fragment): folded, with
    whitespace and control characters removed; "" when it cannot be one."""
    candidate = fold(text[:MAX_TEXT].strip())
    if not candidate or len(candidate) > 255 or any(c.isspace() for c in candidate):
        return ""
    return "".join(c for c in candidate if c.isprintable())


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Every filter is optional; lists mean "any of"."""

    family: tuple[str, ...] = ()
    category: tuple[str, ...] = ()  # with their descendants
    enabled: bool | None = None
    channel: str | None = None  # what status, completeness and the flags below refer to
    status: tuple[str, ...] = ()  # a product without a status row in the channel is a draft
    completeness_below: int | None = None  # some locale of the channel below this percent
    completeness_above: int | None = None  # every locale of the channel at or above it
    locale: str | None = None  # narrows completeness to one locale
    has_errors: bool | None = None  # validation errors in the channel
    changed_since_published: bool | None = None
    updated_since: datetime | None = None
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (code, option codes)

    @property
    def needs_channel(self) -> bool:
        return bool(self.status) or any(v is not None for v in (
            self.completeness_below, self.completeness_above, self.has_errors,
            self.changed_since_published))


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    facets: tuple[str, ...] = ()
    sort: str | None = None  # None: relevance with text, newest first without
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    # False: the caller shows no total (the product list's search=), so none is counted
    # beyond the page: the result's total is then the page's matches (and one more when
    # there is a next page), exact only when the first page holds every match.
    count_total: bool = True

    @property
    def effective_sort(self) -> str:
        if self.sort:
            return self.sort
        return "relevance" if words_of(self.text) or identifier_of(self.text) else "-updated_at"


@dataclass(frozen=True, slots=True)
class SearchHit:
    product_id: int
    sku: str
    family: str | None
    enabled: bool
    labels: dict[str, str]  # locale ("" when not localizable) -> label
    created_at: datetime
    updated_at: datetime
    # why it matched: "sku" (exact SKU or identifier), "prefix", "fragment", "text",
    # "similar" (a misspelling, PostgreSQL); None when listed without text
    match: str | None = None


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    items: list[SearchHit]
    total: int  # exact when total_exact, else a lower bound ("more than")
    total_exact: bool
    facets: dict[str, list[FacetCount]]
    next_cursor: str | None


# --- Parsing what a caller typed (API query parameters, CLI --filter k=v) into a query.


def parse_filters(params: Mapping[str, str | Iterable[str]],
                  attribute_fields: Iterable[str] = ()) -> SearchFilters:
    """Filters from text parameters; a list or a comma-separated value means "any of".
    ``attribute_fields``: the attribute codes that may be filtered by option (select
    attributes, brand). An unknown name is a 422 naming it."""
    known_attributes = set(attribute_fields)
    values: dict[str, Any] = {}
    attributes: list[tuple[str, tuple[str, ...]]] = []
    for name, raw in params.items():
        items = _items(raw)
        if name in known_attributes and name not in BASE_FILTERS:
            attributes.append((name, items))
        elif name in ("family", "category", "status"):
            values[name] = items
        elif name in ("enabled", "has_errors", "changed_since_published"):
            values[name] = _boolean(name, items)
        elif name in ("completeness_below", "completeness_above"):
            values[name] = _percent(name, items)
        elif name in ("channel", "locale"):
            values[name] = items[-1] if items else None
        elif name == "updated_since":
            values[name] = _moment(name, items)
        else:
            allowed = [*BASE_FILTERS, *sorted(known_attributes - set(BASE_FILTERS))]
            raise Invalid.not_one_of(name, name, allowed, "search filter")
    return SearchFilters(**values, attributes=tuple(sorted(attributes)))


def parse_facets(names: str | Iterable[str] | None, attribute_fields: Iterable[str] = ()
                 ) -> tuple[str, ...]:
    allowed = [*BASE_FACETS, *sorted(set(attribute_fields) - set(BASE_FACETS))]
    chosen = _items(names or ())
    for name in chosen:
        if name not in allowed:
            raise Invalid.not_one_of("facets", name, allowed, "facet")
    return tuple(dict.fromkeys(chosen))


def band_of(percent: float) -> str:
    """The completeness band a (lowest) percentage is in: the highest band whose floor it
    reaches (79.9 is mid, 80 high, 99.9 high, 100 complete; anything below the lowest floor
    is in the lowest band)."""
    for code, floor in BAND_FLOORS:
        if percent >= floor:
            return code
    return BAND_FLOORS[-1][0]


def band_filters(band: str) -> dict[str, str]:
    """The completeness filters that select the products of a band (``COMPLETENESS_BANDS``),
    as a caller types them: the band's floor and the next band's."""
    floor = COMPLETENESS_BANDS[band]
    higher = [value for value in COMPLETENESS_BANDS.values() if value > floor]
    filters = {"completeness_above": str(floor)} if floor > 0 else {}
    if higher:
        filters["completeness_below"] = str(min(higher))
    return filters


def check_sort(sort: str | None) -> str | None:
    if sort and sort not in SORTS:
        raise Invalid.not_one_of("sort", sort, SORTS, "sort")
    return sort or None


def _items(raw: str | Iterable[str]) -> tuple[str, ...]:
    parts = [raw] if isinstance(raw, str) else list(raw)
    return tuple(item.strip() for part in parts for item in part.split(",") if item.strip())


def _boolean(name: str, items: tuple[str, ...]) -> bool:
    word = items[-1].lower() if items else ""
    if word in ("true", "1", "yes"):
        return True
    if word in ("false", "0", "no"):
        return False
    raise Invalid.not_one_of(name, word, ("true", "false"), "boolean")


def _percent(name: str, items: tuple[str, ...]) -> int:
    text = items[-1] if items else ""
    if not text.isdigit() or not 0 <= int(text) <= 101:
        message = f"{text!r} is not a percentage (0 to 101)"
        raise Invalid(f"{name}: {message}", errors=[{"field": name, "message": message}])
    return int(text)


def _moment(name: str, items: tuple[str, ...]) -> datetime:
    from datetime import UTC

    try:
        moment = datetime.fromisoformat(items[-1] if items else "")
    except ValueError:
        message = "not an ISO 8601 date-time"
        raise Invalid(f"{name}: {message}", errors=[{"field": name, "message": message}]
                      ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- Cursors: opaque to callers. Keyset (the last row's sort value and id) for the field
# sorts; an offset for relevance, whose order no row value carries.


def encode_cursor(sort: str, position: int | tuple[Any, int]) -> str:
    body: dict[str, Any] = {"s": sort}
    if isinstance(position, int):
        body["o"] = position
    else:
        value, product_id = position
        body["k"] = [value.isoformat() if isinstance(value, datetime) else value, product_id]
    return base64.urlsafe_b64encode(orjson.dumps(body)).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: str) -> int | tuple[Any, int] | None:
    """None for the first page; an offset or a (value, id) keyset position."""
    if not cursor:
        return None
    try:
        body = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if body["s"] != sort:
            raise ValueError("cursor of another sort")
        if "o" in body:
            offset = int(body["o"])
            if offset < 0:
                raise ValueError("negative offset")
            return offset
        value, product_id = body["k"]
        if sort.lstrip("-") in ("updated_at", "created_at"):
            value = datetime.fromisoformat(value)
        elif not isinstance(value, str):
            raise ValueError("bad key")
        return value, int(product_id)
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError):
        message = "not a cursor this search issued (for this sort)"
        raise Invalid(f"cursor: {message}", errors=[{"field": "cursor", "message": message}]
                      ) from None
