"""A product's history (``/products/{sku}/history``): every version with who, when and from
where (web UI, API, import, ERP, CLI), what it changed as a readable diff (``pim.web.diffs``),
and restoring a version, which writes it again as a new version through the service the API's
``POST /api/v1/products/{sku}/restore`` calls (``pim.catalog.versions.restore_product``).
A product model's history (``/product-models/{code}/history``) reads the same, without
restore: the catalog has no restore for models."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from pim.auth.actor import WRITE_CONTENT, require_role
from pim.catalog.structure import load_context
from pim.catalog.versions import (
    HistoryPage,
    VersionCondition,
    model_history_page,
    product_history_page,
    restore_product,
)
from pim.errors import Invalid, StaleVersion
from pim.history.models import HistoryEntry
from pim.records import CatalogContext
from pim.web.diffs import label_of, readable_diff
from pim.web.pages import page
from pim.web.sessions import ReadSession, WriteSession

SOURCE = "ui"  # the history source of the web UI's writes
PAGE_SIZE = 30
# A creation sets every value: its diff starts folded when it is longer than this.
FOLDED_AFTER = 12
_SOURCE_KINDS = {"ui": "Web UI", "api": "API", "cli": "CLI", "import": "Import", "erp": "ERP",
                 "demo": "Demo", "system": "System"}


def source_of(source: str | None) -> dict[str, str]:
    """``import:42`` -> kind "import" (label "Import"), detail "job 42"; ``api (restore of
    v3)`` -> kind "api", detail "restored v3"."""
    text = source or ""
    base, _, note = text.partition(" (")
    kind, _, detail = base.partition(":")
    if kind == "import" and detail:
        detail = f"job {detail}"
    if note.startswith("restore of "):
        note = "restored " + note[len("restore of "):].rstrip(")")
    else:
        note = note.rstrip(")")
    return {"kind": kind or "unknown", "label": _SOURCE_KINDS.get(kind, kind or "unknown"),
            "detail": ", ".join(p for p in (detail, note) if p), "raw": text}


def product_label(entry: HistoryEntry | None, context: CatalogContext) -> str:
    """The product's name as its newest version holds it (the family's label attribute)."""
    if entry is None:
        return ""
    state = entry.state or {}
    family = context.families.get(state.get("family") or "")
    values = (state.get("values") or {}).get(family.label_attribute if family else "name") or []
    texts = {v.get("locale"): v.get("data") for v in values if isinstance(v.get("data"), str)}
    return label_of({k or "": v for k, v in texts.items()}, "")


def version_view(entry: HistoryEntry, context: CatalogContext, current: int) -> dict[str, Any]:
    groups = readable_diff(entry.changes, context)
    rows = sum(len(g.rows) for g in groups)
    return {"version": entry.version, "changed_at": entry.changed_at,
            "changed_by": entry.changed_by or "–", "source": source_of(entry.source),
            "groups": groups, "rows": rows, "current": entry.version == current,
            "created": entry.version == 1,
            "folded": entry.version == 1 and rows > FOLDED_AFTER}


@get("/products/{sku:str}/history", include_in_schema=False, sync_to_thread=True)
def history_page(request: Request, sku: FromPath[str], reader: ReadSession,
                 before: FromQuery[int | None] = None, restored: FromQuery[int | None] = None,
                 as_version: FromQuery[int | None] = None,
                 unchanged: FromQuery[int | None] = None) -> Template:
    return _render(request, reader, sku, before=before, restored=restored,
                   as_version=as_version, unchanged=unchanged)


@get("/product-models/{code:str}/history", include_in_schema=False, sync_to_thread=True)
def model_history(request: Request, code: FromPath[str], reader: ReadSession,
                  before: FromQuery[int | None] = None) -> Template:
    history = model_history_page(reader, code, before=before, limit=PAGE_SIZE)
    return _page(request, reader, history, before=before, noun="product model",
                 base=f"/product-models/{quote(code, safe='')}", restorable=False)


def _render(request: Request, reader, sku: str, *, before: int | None = None,
            restored: int | None = None, as_version: int | None = None,
            unchanged: int | None = None, error: str = "", status: int = 200) -> Template:
    history = product_history_page(reader, sku, before=before, limit=PAGE_SIZE)
    return _page(request, reader, history, before=before, noun="product",
                 base=f"/products/{quote(sku, safe='')}", restorable=True,
                 restored=restored, as_version=as_version,
                 unchanged=unchanged, error=error, status=status)


def _page(request: Request, reader, history: HistoryPage, *, before: int | None, base: str,
          noun: str, restorable: bool, status: int = 200, **notices: Any) -> Template:
    """The history page of a product or model: ``base`` its page's path, ``noun`` what it
    is called, ``restorable`` whether versions offer restore."""
    context = load_context(reader)
    newest = history.entries[0] if history.entries and before is None else None
    return page(request, "products/history.html", status=status,
                title=f"History of {history.sku}", sku=history.sku, base=base, noun=noun,
                restorable=restorable, label=product_label(newest, context),
                current_version=history.current_version,
                versions=[version_view(e, context, history.current_version)
                          for e in history.entries],
                older_than=history.older_than, before=before,
                **{"restored": None, "as_version": None, "unchanged": None, "error": "",
                   **notices})


@post("/products/{sku:str}/restore", include_in_schema=False, sync_to_thread=True)
def restore_version(request: Request, sku: FromPath[str], data: URLEncodedBody[dict[str, Any]],
                    session: WriteSession) -> Response:
    """Restore the version the form names, while the product is still at the version the
    page showed (``current``): someone else's save in between is not overwritten unseen."""
    require_role(request.user, *WRITE_CONTENT)
    version = _number(data, "version")
    current = _number(data, "current")
    try:
        result = restore_product(session, sku, version, actor=request.user.name, source=SOURCE,
                                 condition=VersionCondition(frozenset({current})))
    except StaleVersion as stale:
        session.rollback()
        return _render(request, session, sku, status=409,
                       error=f"Version {version} was not restored: someone changed the product "
                             f"meanwhile (it is now at version {stale.current}). Check the "
                             "newest versions below, then restore again if you still want to.")
    location = f"/products/{quote(sku, safe='')}/history?restored={version}"
    location += "&unchanged=1" if result.status == "unchanged" else f"&as_version={result.version}"
    return Redirect(location, status_code=303)


def _number(data: dict[str, Any], name: str) -> int:
    raw = str(data.get(name) or "")
    if not raw.isdigit():
        raise Invalid(f"{name}: a version number is required",
                      errors=[{"field": name, "message": "a version number is required"}])
    return int(raw)


ROUTES = [history_page, restore_version, model_history]
