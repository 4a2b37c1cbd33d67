"""The product grid (``/products``): the search slice's full text, facets with counts and
filters, all in the URL (``pim.web.grid``); sortable columns; each channel's completeness as
a compact bar; keyset paging on the search's cursor. Typing, a facet, a sort or a page
swaps the grid (htmx, ``HX-Target: grid``) and pushes the URL; the same URL asked for
directly renders the whole page.

The page composes read services, each one call: the search, the channels' standing of the
page's products (``pim.workflow.standing``) and the labels of families and categories."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template
from sqlalchemy.orm import Session

from pim.catalog.images import main_image_values
from pim.catalog.labels import CategoryNode, category_tree, family_labels
from pim.search import CHANNEL_FACETS, SearchResult, build_query, search
from pim.web.editor_media import media_thumbnail_urls
from pim.web.grid import (
    BANDS,
    CHOSEN_BANDS,
    STATUS_LABELS,
    Chip,
    FacetGroup,
    FacetOption,
    GridState,
    label_in,
    option_id,
)
from pim.web.pages import page
from pim.web.sessions import ReadSession
from pim.workflow.models import WORKFLOW_STATUSES
from pim.workflow.standing import channel_labels, channel_standing

PAGE_SIZE = 50
GRID_TARGET = "grid"  # the element id a swap of the grid targets (HX-Target)
SEARCH_FORM = "grid-search"  # the form whose typing asks for the grid (HX-Trigger)


def is_grid_swap(request: Request) -> bool:
    """An htmx request for the grid alone (not a history restore, which wants the page)."""
    headers = request.headers
    return (headers.get("hx-request") == "true" and headers.get("hx-target") == GRID_TARGET
            and headers.get("hx-history-restore-request") != "true")


def facets_for(state: GridState) -> list[str]:
    names = ["family", "category", "enabled"]
    if state.channel:
        names += CHANNEL_FACETS  # status, completeness band, has errors: in that channel
    return names


@get("/products", include_in_schema=False, sync_to_thread=True)
def products_page(request: Request, reader: ReadSession) -> Template:
    state = GridState.from_query(lambda name: request.query_params.getall(name, []))
    return grid_page(request, reader, state)


def grid_page(request: Request, reader: Session, state: GridState, *, status: int = 200,
              selected: frozenset[str] = frozenset(), bulk_error: str = "") -> Template:
    """The grid in ``state``: the whole page, or the grid alone for an htmx swap.
    ``selected``: the SKUs checked for a bulk action; ``bulk_error``: why the last one was
    refused, shown beside the bulk bar (the selection stays, to correct and try again)."""
    view = grid_view(reader, state)
    fragment = is_grid_swap(request)
    return page(request, "products/_grid.html" if fragment else "products/index.html",
                status=status, title="Products", state=state, fragment=fragment,
                done=done_notice(request, view["channels"], state), selected=selected,
                bulk_error=bulk_error,
                from_form=request.headers.get("hx-trigger") == SEARCH_FORM, **view)


DONE = {"submit": "submitted for review", "approve": "approved", "reject": "sent back to draft"}


def done_notice(request: Request, channels: dict[str, str], state: GridState) -> str:
    """What a bulk action just did (``done`` and ``n`` of its redirect), in words."""
    action = request.query_params.get("done")
    count = request.query_params.get("n", "")
    if action not in DONE or not count.isdigit() or not state.channel:
        return ""
    what = "product" if count == "1" else "products"
    return f"{count} {what} {DONE[action]} in {channels.get(state.channel, state.channel)}."


def grid_view(reader: Session, state: GridState) -> dict[str, Any]:
    query = build_query(reader, text=state.q, filters=state.search_filters(),
                        facets=facets_for(state), sort=state.sort, limit=PAGE_SIZE,
                        cursor=state.after)
    result = search(reader, query)
    channels = channel_labels(reader)
    families = family_labels(reader)
    ids = [hit.product_id for hit in result.items]
    standing = channel_standing(reader, ids, locale=state.locale)
    tree = category_tree(reader)
    thumbnails = media_thumbnail_urls(reader, main_image_values(reader, ids))
    locales = (state.locale, "en_GB")
    rows = [{"sku": hit.sku, "name": label_in(hit.labels, "", locales),
             "thumbnail": thumbnails.get(hit.product_id),
             "family": label_in(families.get(hit.family or ""), hit.family or "–"),
             "enabled": hit.enabled, "updated_at": hit.updated_at,
             "channels": [(code, standing.get(hit.product_id, {}).get(code))
                          for code in channels],
             "status": (standing.get(hit.product_id, {}).get(state.channel)
                        if state.channel else None)}
            for hit in result.items]
    return {"result": result, "rows": rows, "channels": channels,
            "sort": query.effective_sort if state.sort or state.q else "-updated_at",
            "groups": facet_groups(state, result, families, channels, tree),
            "chips": chips(state, families, channels,
                           {node.code: label_in(node.labels, node.code) for node in tree})}


def facet_groups(state: GridState, result: SearchResult,
                 families: dict[str, dict[str, str]], channels: dict[str, str],
                 tree: list[CategoryNode]) -> list[FacetGroup]:
    counts = {name: {c.value: c.count for c in values} for name, values in result.facets.items()}
    groups = [_family_group(state, counts.get("family", {}), families),
              _category_group(state, counts.get("category", {}), tree),
              _channel_group(state, channels)]
    if state.channel:
        groups += _channel_facets(state, counts)
    groups.append(_yes_no_group(state, "enabled", "Enabled", counts.get("enabled"),
                                ("Enabled", "Disabled")))
    return groups


def _family_group(state: GridState, counts: dict[str, int],
                  families: dict[str, dict[str, str]]) -> FacetGroup:
    group = FacetGroup("family", "Family")
    # Counts are over the filtered set: once a family is chosen, the others' counts would
    # read 0, so they are shown without one (a click switches to that family).
    for code, labels in sorted(families.items(), key=lambda f: -counts.get(f[0], 0)):
        active = code in state.family
        count = counts.get(code, 0) if active or not state.family else None
        if count == 0 and not active:
            continue
        group.options.append(FacetOption(
            option_id("family", code), label_in(labels, code), count, active,
            state.link(family=() if active else (code,))))
    return group


def _category_group(state: GridState, counts: dict[str, int], tree: list[CategoryNode]
                    ) -> FacetGroup:
    group = FacetGroup("category", "Category", hint="A category includes its subcategories.")
    for node in tree:
        active = node.code == state.category
        count = counts.get(node.code, 0)
        if not count and not active:
            continue
        group.options.append(FacetOption(
            option_id("category", node.code), label_in(node.labels, node.code), count,
            active, state.link(category=None if active else node.code), depth=node.depth))
    return group


def _channel_group(state: GridState, channels: dict[str, str]) -> FacetGroup:
    group = FacetGroup("channel", "Channel",
                       hint="Status, completeness and errors are per channel.")
    for code, label in channels.items():
        active = code == state.channel
        group.options.append(FacetOption(option_id("channel", code), label, None, active,
                                         state.link(channel=None if active else code)))
    return group


def _channel_facets(state: GridState, counts: dict[str, dict[str, int]]) -> list[FacetGroup]:
    status_counts = counts.get("status")
    status = FacetGroup("status", "Status")
    for code in WORKFLOW_STATUSES:
        active = code in state.status
        count = (status_counts or {}).get(code, 0) if status_counts is not None else None
        if count is not None and state.status and not active:
            count = None  # the same as for families: other counts would read 0
        if count == 0 and not active:
            continue
        status.options.append(FacetOption(option_id("status", code), STATUS_LABELS[code],
                                          count, active,
                                          state.link(status=() if active else (code,))))
    band_counts = counts.get("completeness")
    band = FacetGroup("band", "Completeness",
                      hint="By the lowest locale" + (f" ({state.locale})" if state.locale
                                                     else "") + " in the channel.")
    for band_code, (label, _) in BANDS.items():
        active = band_code == state.band
        count = band_counts.get(band_code, 0) if band_counts is not None and (
            active or not state.band) else None
        band.options.append(FacetOption(option_id("band", band_code), label, count, active,
                                        state.link(band=None if active else band_code)))
    errors = _yes_no_group(state, "errors", "Validation errors", counts.get("has_errors"),
                           ("With errors", "Without errors"))
    changed = FacetGroup("changed", "Since published")
    changed.options.append(FacetOption(
        option_id("changed", "yes"), "Changed since published", None, state.changed is True,
        state.link(changed=None if state.changed else True)))
    return [status, band, errors, changed]


def _yes_no_group(state: GridState, name: str, label: str, counts: dict[str, int] | None,
                  words: tuple[str, str]) -> FacetGroup:
    group = FacetGroup(name, label)
    current = getattr(state, name)
    for flag, text in zip((True, False), words, strict=True):
        active = current is flag
        count = None
        if counts is not None and (active or current is None):
            count = counts.get("true" if flag else "false", 0)
        if count == 0 and not active:
            continue
        group.options.append(FacetOption(option_id(name, text), text, count, active,
                                         state.link(**{name: None if active else flag})))
    return group


def chips(state: GridState, families: dict[str, dict[str, str]], channels: dict[str, str],
          categories: dict[str, str]) -> list[Chip]:
    """The filters in force, each with the view without it."""
    found: list[Chip] = []
    if state.q:
        found.append(Chip(f"“{state.q}”", state.link(q="")))
    for code in state.family:
        found.append(Chip(f"Family: {label_in(families.get(code), code)}",
                          state.toggle("family", code)))
    if state.category:
        found.append(Chip(f"Category: {categories.get(state.category, state.category)}", state.link(category=None)))
    if state.channel:
        found.append(Chip(f"Channel: {channels.get(state.channel, state.channel)}",
                          state.link(channel=None)))
    if state.locale:
        found.append(Chip(f"Locale: {state.locale}", state.link(locale=None)))
    for code in state.status:
        found.append(Chip(f"Status: {STATUS_LABELS.get(code, code)}",
                          state.toggle("status", code)))
    if state.band:
        found.append(Chip(f"Completeness: {CHOSEN_BANDS[state.band][0]}",
                          state.link(band=None)))
    for name, yes, no in (("errors", "With errors", "Without errors"),
                          ("changed", "Changed since published", "Unchanged since published"),
                          ("enabled", "Enabled", "Disabled")):
        flag = getattr(state, name)
        if flag is not None:
            found.append(Chip(yes if flag else no, state.link(**{name: None})))
    return found


ROUTES = [products_page]
