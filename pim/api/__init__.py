"""The REST API under ``/api/v1``: routes per domain, bearer-token auth, a role per route,
problem+json errors, cursor pagination, rate limiting. ``api_router()`` assembles it."""

from __future__ import annotations

from litestar import Router

from pim.api import (
    access,
    erp,
    feeds,
    jobs,
    media,
    products,
    search,
    structure,
    webhooks,
    workflow,
)
from pim.api.security import TokenAuthMiddleware


def api_routes() -> list:
    return [*products.ROUTES, *structure.ROUTES, *access.ROUTES, *feeds.API_ROUTES,
            *jobs.ROUTES, *workflow.ROUTES, *webhooks.ROUTES, *media.ROUTES, *erp.ROUTES,
            *search.ROUTES]


def api_router() -> Router:
    return Router(
        "/api/v1",
        route_handlers=api_routes(),
        # OPTIONS too (Litestar exempts it by default): every route but health needs a token;
        # the middleware also checks the route's roles (pim/api/security.py).
        middleware=[TokenAuthMiddleware],
        security=[{"bearerAuth": []}],
    )
