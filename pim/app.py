"""The Litestar application: REST API, feeds, health and the web UI. ``create_app()`` is what
``pim serve`` (uvicorn, factory mode) calls; it wires the slices (``pim.wiring``) first."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from pim.api import api_router
from pim.api.document import DocumentFinisher, FinishedJson, FinishedSwagger
from pim.api.feeds import ROUTES as FEED_ROUTES
from pim.api.health import health_route
from pim.api.inputs import InputGuardMiddleware
from pim.api.limits import BodyLimitMiddleware, reset_body_limits
from pim.api.media import PUBLIC_ROUTES as MEDIA_ROUTES
from pim.api.openapi import operation_id
from pim.api.paths import keep_encoded_slashes
from pim.api.problems import EXCEPTION_HANDLERS
from pim.api.security import forget_all_tokens, reset_rate_limits
from pim.api.sessions import DEPENDENCIES
from pim.api.threads import install_handler_threads
from pim.api.timing import ServerTimingMiddleware
from pim.config import get_settings
from pim.jobs import start_embedded_runner, stop_embedded_runner
from pim.web import asset_route, favicon_route, template_config, web_router
from pim.web.assets import current_asset_url
from pim.wiring import connect_listeners

log = logging.getLogger("pim.app")


def _install_handler_threads(app: Litestar) -> None:
    install_handler_threads()  # PIM_WORKER_THREADS (pim.api.threads)


def _start_runner(app: Litestar) -> None:
    if get_settings().redis_url:
        return
    app.state.job_runner = start_embedded_runner()
    log.info("embedded job runner started")


def _stop_runner(app: Litestar) -> None:
    runner = getattr(app.state, "job_runner", None)
    if runner is not None:
        stop_embedded_runner(runner)
        log.info("embedded job runner stopped")
    app.state.job_runner = None


def create_app(*, start_jobs: bool = True) -> Litestar:
    connect_listeners()
    reset_rate_limits()
    reset_body_limits()
    forget_all_tokens()
    handlers: list[Any] = [health_route, api_router(), *FEED_ROUTES, *MEDIA_ROUTES,
                           asset_route,
                           favicon_route, web_router()]
    finisher = DocumentFinisher()
    openapi = OpenAPIConfig(
        title="PIM hub API",
        version="1.0.0",
        path="/schema",
        description=(
            "Product information: structure, products, workflow, feeds. Errors are RFC 9457 "
            "application/problem+json. Authenticate with `Authorization: Bearer <API token>` "
            "(`pim token create`)."),
        components=Components(security_schemes={
            "bearerAuth": SecurityScheme(type="http", scheme="bearer",
                                         description="A personal API token (pim_...)."),
            "feedKey": SecurityScheme(type="apiKey", name="X-Feed-Key", security_scheme_in="header",
                                      description="A distributor feed key (feeds only)."),
        }),
        # Swagger UI (also at /schema) from the hub's own copy of swagger-ui-dist (no CDN:
        # works offline), and our favicon (Litestar's default is one more CDN file). Both
        # serve Litestar's document with each request body documented by the pydantic model
        # that validates it (pim/api/document.py).
        render_plugins=[FinishedSwagger(
            finisher,
            js_url=current_asset_url("swagger-ui-bundle.js"),
            css_url=current_asset_url("swagger-ui.css"),
            standalone_preset_js_url=current_asset_url("swagger-ui-standalone-preset.js"),
            favicon=f"<link rel='icon' type='image/svg+xml' "
                    f"href='{current_asset_url('favicon.svg')}'>"), FinishedJson(finisher)],
        use_handler_docstrings=False,
        operation_id_creator=operation_id,
    )
    # A "%2F" in a path segment stays in it (a stored SKU "OLD/1"): pim.api.paths.
    return keep_encoded_slashes(Litestar(
        route_handlers=handlers,
        dependencies=DEPENDENCIES,  # the routes' sessions (pim.api.sessions)
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        template_config=template_config(),
        on_startup=[_install_handler_threads, *([_start_runner] if start_jobs else [])],
        on_shutdown=[_stop_runner],
        # Every response says the server's time (Server-Timing: pim.api.timing). Bodies are
        # bounded per route kind (PIM_API_MAX_*_BYTES), then NUL characters and JSON nested
        # too deep are refused (pim.api.limits, pim.api.inputs).
        middleware=[ServerTimingMiddleware(), BodyLimitMiddleware(), InputGuardMiddleware()],
        request_max_body_size=None,
        debug=False,
    ))
