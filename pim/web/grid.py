"""The product grid's state, all of it in the URL (a view is bookmarked and shared as a
link), and what the page shows of a search result: facets with counts, active filters as
removable chips, rows with each channel's standing.

URL parameters (the dashboard links with the same names):

| name      | means                                                            |
| --------- | ---------------------------------------------------------------- |
| q         | the search text (SKU, GTIN, name, description...)                 |
| family    | any of these families (repeated)                                  |
| category  | in this category or below it                                      |
| enabled   | yes / no                                                          |
| channel   | what status, band, errors, changed and the status column refer to |
| locale    | completeness in this locale only                                  |
| status    | any of these workflow statuses in the channel (repeated)          |
| band      | completeness band in the channel: complete, high, mid, low        |
| errors    | yes / no: validation errors in the channel                        |
| changed   | yes / no: changed since published in the channel                  |
| sort      | relevance, sku, -sku, updated_at, -updated_at, created_at, ...    |
| after     | the keyset cursor of the page (the search's ``next_cursor``)       |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from pim.errors import Invalid
from pim.search import COMPLETENESS_BANDS, band_filters

PATH = "/products"


def band_label(code: str) -> str:
    """A completeness band as the grid names it, from the bands' floors: "Complete",
    "80–99 %", "50–79 %", "Below 50 %" (percentages are whole numbers)."""
    floor = COMPLETENESS_BANDS[code]
    above = [value for value in COMPLETENESS_BANDS.values() if value > floor]
    if not above:
        return "Complete"
    if floor == min(COMPLETENESS_BANDS.values()):
        return f"Below {min(above)} %"
    return f"{floor}–{min(above) - 1} %"


# Completeness bands (the search's, by the product's lowest locale in the channel): their
# labels and the search's completeness filters that select them.
BANDS: dict[str, tuple[str, dict[str, str]]] = {
    code: (band_label(code), band_filters(code)) for code in COMPLETENESS_BANDS}
# What a band parameter may name: the bands, and "incomplete" (every band below complete:
# the dashboard's bars link to it), which is no facet option.
CHOSEN_BANDS = {**BANDS, "incomplete": (
    "Incomplete", {"completeness_below": str(COMPLETENESS_BANDS["complete"])})}
STATUS_LABELS = {"draft": "Draft", "in_review": "In review", "approved": "Approved",
                 "published": "Published", "withdrawn": "Withdrawn"}
_YES = ("yes", "true", "1")
_NO = ("no", "false", "0")
MAX_VALUES = 50  # values of one repeated parameter read (bounded work for a hostile URL)


def _flag(name: str, raw: str | None) -> bool | None:
    if raw is None or raw == "":
        return None
    word = raw.strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise Invalid.not_one_of(name, raw, ("yes", "no"), "yes/no value")


def _word(flag: bool | None) -> str | None:
    return None if flag is None else ("yes" if flag else "no")


@dataclass(frozen=True, slots=True)
class GridState:
    q: str = ""
    family: tuple[str, ...] = ()
    category: str | None = None
    enabled: bool | None = None
    channel: str | None = None
    locale: str | None = None
    status: tuple[str, ...] = ()
    band: str | None = None
    errors: bool | None = None
    changed: bool | None = None
    sort: str | None = None
    after: str | None = None

    @classmethod
    def from_query(cls, get_all: Any) -> GridState:
        """From the request's query (``get_all(name) -> list[str]``); a value that cannot
        be one is refused with a 422 naming the parameter."""
        def one(name: str) -> str | None:
            values = [v.strip() for v in get_all(name) if v and v.strip()]
            return values[-1] if values else None

        def many(name: str) -> tuple[str, ...]:
            values = [p.strip() for v in get_all(name)[:MAX_VALUES] for p in v.split(",")]
            return tuple(dict.fromkeys(v for v in values if v))[:MAX_VALUES]

        band = one("band")
        if band is not None and band not in CHOSEN_BANDS:
            raise Invalid.not_one_of("band", band, CHOSEN_BANDS, "completeness band")
        return cls(q=(one("q") or "")[:1000], family=many("family"), category=one("category"),
                   enabled=_flag("enabled", one("enabled")), channel=one("channel"),
                   locale=one("locale"), status=many("status"), band=band,
                   errors=_flag("errors", one("errors")),
                   changed=_flag("changed", one("changed")), sort=one("sort"),
                   after=one("after"))

    # --- What the search is asked.

    def search_filters(self) -> dict[str, str]:
        filters: dict[str, str] = {}
        if self.family:
            filters["family"] = ",".join(self.family)
        if self.category:
            filters["category"] = self.category
        if self.enabled is not None:
            filters["enabled"] = "true" if self.enabled else "false"
        if self.channel:
            filters["channel"] = self.channel
        if self.locale:
            filters["locale"] = self.locale
        if self.status:
            filters["status"] = ",".join(self.status)
        if self.band:
            filters.update(CHOSEN_BANDS[self.band][1])
        if self.errors is not None:
            filters["has_errors"] = "true" if self.errors else "false"
        if self.changed is not None:
            filters["changed_since_published"] = "true" if self.changed else "false"
        return filters

    # --- Links: every change of view is a URL, and a new view starts at its first page.

    def params(self, *, with_cursor: bool = False) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        pairs += [("family", f) for f in self.family]
        for name in ("category", "channel", "locale"):
            value = getattr(self, name)
            if value:
                pairs.append((name, value))
        pairs += [("status", s) for s in self.status]
        for name, value in (("enabled", _word(self.enabled)), ("band", self.band),
                            ("errors", _word(self.errors)), ("changed", _word(self.changed)),
                            ("sort", self.sort)):
            if value:
                pairs.append((name, value))
        if with_cursor and self.after:
            pairs.append(("after", self.after))
        return pairs

    @property
    def url(self) -> str:
        query = urlencode(self.params(with_cursor=True))
        return f"{PATH}?{query}" if query else PATH

    def with_(self, **changes: Any) -> GridState:
        """This view changed, from its first page; dropping the channel drops what needs
        one."""
        changed = replace(self, after=None, **changes)
        if not changed.channel:
            changed = replace(changed, status=(), band=None, errors=None, changed=None,
                              locale=None)
        return changed

    def link(self, **changes: Any) -> str:
        return self.with_(**changes).url

    def toggle(self, name: str, value: Any) -> str:
        """The URL with ``value`` of filter ``name`` switched: added to or removed from a
        repeated one, set or cleared on a single one."""
        current = getattr(self, name)
        if isinstance(current, tuple):
            values = tuple(v for v in current if v != value) if value in current \
                else (*current, value)
            return self.link(**{name: values})
        return self.link(**{name: None if current == value else value})

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.search_filters())

    def next_page(self, cursor: str) -> str:
        return replace(self, after=cursor).url


@dataclass(slots=True)
class FacetOption:
    id: str
    label: str
    count: int | None  # None: no count (the search does not count this facet)
    active: bool
    url: str
    depth: int = 0


@dataclass(slots=True)
class FacetGroup:
    name: str
    label: str
    options: list[FacetOption] = field(default_factory=list)
    hint: str = ""


@dataclass(slots=True)
class Chip:
    label: str
    url: str  # the view without it


def label_in(labels: Mapping[str, str] | None, fallback: str,
             locales: Iterable[str | None] = ("en_GB",)) -> str:
    labels = labels or {}
    for locale in locales:
        if locale is not None and labels.get(locale):
            return labels[locale]
    return labels.get("") or next((v for v in labels.values() if v), None) or fallback


def option_id(name: str, value: str) -> str:
    """A stable element id for a facet option (htmx puts the focus back on it after the
    grid is swapped)."""
    safe = "".join(c if c.isalnum() else "-" for c in value)
    return f"facet-{name}-{safe}"
