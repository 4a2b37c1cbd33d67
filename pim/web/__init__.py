"""The web UI: server-rendered pages (Jinja2 templates, htmx for partial updates, no build
step) on the same services as the API. ``web_router()`` is mounted by ``pim.app``; the
conventions every page follows are in ``/work/notes/web-conventions.md`` and in the
docstrings of ``pages`` (rendering, the template context), ``security`` (sessions, CSRF),
``navigation`` and ``assets``."""

from __future__ import annotations

from litestar import Router
from litestar.datastructures import ResponseHeader

from pim.web import bulk, dashboard, editor, editor_media, history, products, sign_in
from pim.web.assets import asset_route, favicon_route
from pim.web.errors import EXCEPTION_HANDLERS
from pim.web.pages import template_config
from pim.web.security import WebSessionMiddleware

# Every page's response: what a browser may load and do (no inline script or style, no
# framing, no referrer to other sites).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def web_routes() -> list:
    return [*sign_in.ROUTES, *dashboard.ROUTES, *products.ROUTES, *history.ROUTES,
            *bulk.ROUTES,
            *editor.ROUTES, *editor_media.ROUTES]


def web_router() -> Router:
    return Router(
        "/",
        route_handlers=web_routes(),
        middleware=[WebSessionMiddleware()],
        exception_handlers=EXCEPTION_HANDLERS,
        response_headers=[ResponseHeader(name=k, value=v) for k, v in SECURITY_HEADERS.items()],
        include_in_schema=False,
        opt={"web": True},  # every page's handler carries it (tests find the UI's routes by it)
    )


__all__ = ["asset_route", "favicon_route", "template_config", "web_router"]
