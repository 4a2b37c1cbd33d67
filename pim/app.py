"""The Litestar application: REST API, feeds and health. ``create_app()`` is what
``pim serve`` (uvicorn, factory mode) calls; importing this module is cheap."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from litestar import Litestar

log = logging.getLogger("pim.app")


def _optional(module: str, name: str) -> Any:
    """An attribute of another slice's module, or None while that slice has not landed."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            return None
        raise


def _start_runner(app: Litestar) -> None:
    from pim.config import get_settings

    start = _optional("pim.jobs", "start_embedded_runner")
    if start is None or get_settings().redis_url:
        return
    app.state.job_runner = start()
    log.info("embedded job runner started")


def _stop_runner(app: Litestar) -> None:
    runner = getattr(app.state, "job_runner", None)
    stop = _optional("pim.jobs", "stop_embedded_runner")
    if runner is not None and stop is not None:
        stop(runner)
        log.info("embedded job runner stopped")
    app.state.job_runner = None


def create_app(*, start_jobs: bool = True) -> Litestar:
    from litestar.openapi import OpenAPIConfig
    from litestar.openapi.plugins import SwaggerRenderPlugin
    from litestar.openapi.spec import Components, SecurityScheme

    from pim.api import api_router
    from pim.api.health import health_route
    from pim.api.problems import EXCEPTION_HANDLERS
    from pim.api.security import forget_all_tokens, reset_rate_limits

    reset_rate_limits()
    forget_all_tokens()
    handlers: list[Any] = [health_route, api_router()]
    handlers += _optional("pim.api.feeds", "ROUTES") or []
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
        render_plugins=[SwaggerRenderPlugin()],
        use_handler_docstrings=False,
    )
    return Litestar(
        route_handlers=handlers,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        on_startup=[_start_runner] if start_jobs else [],
        on_shutdown=[_stop_runner],
        request_max_body_size=None,
        debug=False,
    )
