"""Rendering a page: the Jinja environment, the context every template gets, and
``page()``, which a view returns.

Every template receives, beside what its view passes:

- ``user``: the signed-in ``Actor`` (None on the sign-in page); ``can``: what its role may
  do, as the services decide it (``can.write``: catalog content; ``can.review``: approve and
  reject; ``can.manage``: structure, users, publishing). A control the role may not use is
  not rendered: ``{% if can.write %}<button ...>{% endif %}``.
- ``nav``: the navigation entries it may see (``pim.web.navigation``).
- ``csrf_input`` (a hidden field for forms) and ``csrf_token()`` (Litestar's): the session's
  CSRF token. ``<body>`` sends it on every htmx request (``hx-headers``).
- ``htmx``: whether this request came from htmx (render the fragment, not the page).
- ``asset_url(name)``: a static file's URL (``pim.web.assets``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from pim.auth.actor import MANAGE, REVIEW, WRITE_CONTENT, Actor, may
from pim.search import band_of
from pim.web.assets import asset_url
from pim.web.navigation import navigation_for

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _number(value: Any) -> str:
    """1234567 -> "1,234,567"."""
    return f"{value:,}" if isinstance(value, int) else str(value)


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "–"


def environment() -> Environment:
    # Templates are compiled once per process (auto_reload off): checking each template's
    # file time, for every template a page includes or imports, at every render was a
    # measurable part of a page. A changed template shows after a restart.
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      auto_reload=False)
    env.globals["asset_url"] = asset_url
    env.filters["number"] = _number
    env.filters["when"] = _when
    env.filters["band"] = band_of  # a completeness meter's colour: the search's band
    return env


def template_config() -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment()))


def capabilities(actor: Actor | None) -> dict[str, bool]:
    if actor is None:
        return {"write": False, "review": False, "manage": False}
    return {"write": may(actor, WRITE_CONTENT), "review": may(actor, REVIEW),
            "manage": may(actor, MANAGE)}


def is_htmx_request(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def base_context(request: Request) -> dict[str, Any]:
    actor = request.scope.get("user")
    return {"user": actor, "can": capabilities(actor),
            "nav": navigation_for(actor, request.url.path),
            "htmx": is_htmx_request(request), "title": ""}


def page(request: Request, template: str, *, status: int = 200,
         headers: dict[str, str] | None = None, **context: Any) -> Template:
    """The response of a view: ``template`` rendered with the base context and ``context``."""
    return Template(template_name=template, context={**base_context(request), **context},
                    status_code=status, headers=headers)
