"""The product editor (``/products/{sku}``): read, save, review actions, and the small
lookups its inputs make (option and product search).

Each view parses, calls the services (through ``editor_page`` and ``editor_save``) and
renders. A save answers the whole page (htmx swaps its editor region): 200 when saved or
unchanged, 422 with the messages at the fields and what was typed, 409 with the merge view
when someone saved first. A viewer gets the page without edit controls; the services refuse
their writes (403) anyway.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Template
from sqlalchemy.orm import Session

from pim.auth.actor import WRITE_CONTENT, may
from pim.errors import Conflict, NotFound
from pim.search import build_query, search
from pim.web.editor_page import EditorView, editor_form, editor_view, model_view
from pim.web.editor_save import SaveOutcome, model_writer, save_fields
from pim.web.pages import page
from pim.web.sessions import ReadSession, WriteSession
from pim.web.variants import variant_navigation
from pim.workflow import transitions

OUTCOME_STATUS = {"saved": 200, "unchanged": 200, "invalid": 422, "stale": 409}
NOTICE_KINDS = {"saved": "success", "invalid": "error", "stale": "warning"}
TRANSITIONS = {"submit": transitions.submit_for_review, "approve": transitions.approve,
               "reject": transitions.reject}
MAX_QUERY = 100


def _may_write(request: Request) -> bool:
    return may(request.user, WRITE_CONTENT)


def _render(request: Request, session: Session, view: EditorView, *, status: int = 200,
            notice: str = "", notice_kind: str = "info") -> Template:
    return page(request, "products/edit.html", status=status, title=f"{view.title} · {view.sku}",
                view=view, notice=notice, notice_kind=notice_kind,
                variant_nav=_variant_nav(session, view))


def _variant_nav(session: Session, view: EditorView) -> dict[str, Any] | None:
    """The page's variant navigation, from the tree's root the view read (a product without
    a model has none)."""
    root = view.levels[0]
    if root.kind != "product_model":
        return None
    return variant_navigation(session, view.sku, root=root.code, context=view.context)


@get("/products/{sku:str}", include_in_schema=False, sync_to_thread=True)
def editor_page(request: Request, sku: FromPath[str], reader: ReadSession,
                locale: FromQuery[str | None] = None,
                channel: FromQuery[str | None] = None) -> Template:
    view = editor_view(reader, sku, locale=_short(locale), channel=_short(channel),
                       may_write=_may_write(request))
    return _render(request, reader, view)


def _short(value: str | None) -> str | None:
    return value[:MAX_QUERY] if value else None


def posted_lists(data: dict[str, Any]) -> dict[str, list[str]]:
    """A parsed form as name -> every value posted under it."""
    return {name: [str(v) for v in value] if isinstance(value, list) else [str(value)]
            for name, value in data.items()}


@post("/products/{sku:str}", include_in_schema=False, sync_to_thread=True)
def save_product_page(request: Request, sku: FromPath[str], session: WriteSession,
                      reader: ReadSession, data: URLEncodedBody[dict[str, Any]]) -> Template:
    """The page is read and rendered through ``reader``; ``session`` only writes, and is
    committed as soon as it has: on SQLite a writer holds the database's one write lock
    from its first statement, so the projections and the page stay out of it. The form is
    compared with the product as read (no projection); the page answered is drawn once."""
    posted = posted_lists(data)
    form = editor_form(reader, sku, locale=_first(posted, "locale"),
                       channel=_first(posted, "channel"), may_write=True)
    outcome: SaveOutcome = save_fields(session, sku, form.fields, form.version, posted,
                                       request.user)
    if outcome.status == "saved":
        session.commit()
        reader.rollback()  # its next statement reads what was just committed
        # The product is read again (its new version), with the structure the form was
        # read with (a structure changed meanwhile shows from the next page on).
        view = editor_view(reader, sku, locale=form.locale, channel=form.channel,
                           may_write=True, context=form.loaded[0].context)
    else:
        view = editor_view(reader, sku, locale=form.locale, channel=form.channel,
                           may_write=True, outcome=outcome, loaded=form.loaded)
    return _render(request, reader, view, status=OUTCOME_STATUS[outcome.status],
                   notice=outcome.message, notice_kind=NOTICE_KINDS.get(outcome.status, "info"))


@get("/product-models/{code:str}", include_in_schema=False, sync_to_thread=True)
def model_page(request: Request, code: FromPath[str], reader: ReadSession,
               locale: FromQuery[str | None] = None,
               channel: FromQuery[str | None] = None) -> Template:
    view = model_view(reader, code, locale=_short(locale), channel=_short(channel),
                      may_write=_may_write(request))
    return _render(request, reader, view)


@post("/product-models/{code:str}", include_in_schema=False, sync_to_thread=True)
def save_model_page(request: Request, code: FromPath[str], session: WriteSession,
                    reader: ReadSession, data: URLEncodedBody[dict[str, Any]]) -> Template:
    """As ``save_product_page``: read and drawn through ``reader``, written through
    ``session`` (the write checks the version read, with the model's row locked)."""
    posted = posted_lists(data)
    current = model_view(reader, code, locale=_first(posted, "locale"),
                         channel=_first(posted, "channel"), may_write=True)
    outcome = save_fields(session, code, current.fields, current.version, posted,
                          request.user, entity="product_model",
                          write=model_writer(session, code, request.user))
    if outcome.status == "saved":
        session.commit()
        reader.rollback()
    view = model_view(reader, code, locale=current.locale, channel=current.channel,
                      may_write=True, outcome=None if outcome.status == "saved" else outcome)
    return _render(request, reader, view, status=OUTCOME_STATUS[outcome.status],
                   notice=outcome.message, notice_kind=NOTICE_KINDS.get(outcome.status, "info"))


def _first(posted: dict[str, list[str]], name: str) -> str | None:
    found = posted.get(name)
    return _short(found[-1]) if found else None


@post("/products/{sku:str}/workflow/{action:str}", include_in_schema=False,
      sync_to_thread=True)
def workflow_action(request: Request, sku: FromPath[str], action: FromPath[str],
                    session: WriteSession, reader: ReadSession,
                    data: URLEncodedBody[dict[str, Any]]) -> Template:
    posted = posted_lists(data)
    move = TRANSITIONS.get(action)
    if move is None:
        raise NotFound(f"no workflow action {action!r}")
    channel = _first(posted, "channel") or ""
    locale = _first(posted, "locale")
    status, kind = 200, "success"
    try:
        move(session, channel, [sku], actor=request.user)
        done = {"submit": "submitted for review", "approve": "approved",
                "reject": "sent back to draft"}[action]
        message = f"{sku} {done} in {channel}."
    except Conflict as refused:
        status, kind, message = 409, "error", refused.message
    session.commit()  # the page is read after, outside the write lock (see save_product_page)
    view = editor_view(reader, sku, locale=locale, channel=channel,
                       may_write=_may_write(request))
    return _render(request, reader, view, status=status, notice=message, notice_kind=kind)


@get("/products/{sku:str}/references", include_in_schema=False, sync_to_thread=True)
def reference_search(request: Request, sku: FromPath[str], reader: ReadSession,
                     q: FromQuery[str | None] = None,
                     attribute: FromQuery[str | None] = None) -> Template:
    """Products whose SKU or text matches ``q``: the suggestions of a reference input."""
    code = (attribute or "")[:MAX_QUERY]
    # The input sends its own name (v.<attribute>) with what was typed.
    text = (q or request.query_params.get(f"v.{code}") or "").strip()[:MAX_QUERY]
    found: list[dict[str, Any]] = []
    if text:
        result = search(reader, build_query(reader, text=text, limit=11))
        found = [{"sku": hit.sku} for hit in result.items if hit.sku != sku][:10]
    return page(request, "products/_editor_references.html", found=found,
                attribute=(attribute or "")[:MAX_QUERY])


ROUTES = [editor_page, save_product_page, workflow_action, reference_search, model_page,
          save_model_page]
