"""Static assets: our stylesheet and script (``pim/web/static``) and the few files the pages
use from the front-end packages (``pim/web/node_modules``, installed by ``npm ci`` from the
lockfile, never committed).

Each file is served at ``/static/<digest>/<name>``, the digest being the first 12 hex
characters of its sha256: the URL changes when the content does, so responses carry a
year's ``immutable`` cache. A request with an outdated digest is redirected to the current
URL (a page cached across a deployment still gets its assets). Templates ask for the URL
with ``asset_url(name)``. Assets need no sign-in.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
PACKAGES_DIR = WEB_DIR / "node_modules"
PREFIX = "/static"
CACHE_FOREVER = "public, max-age=31536000, immutable"

# name -> file: ours, then the package files the pages (and the API docs) load.
FILES: dict[str, Path] = {
    "app.css": STATIC_DIR / "app.css",
    "app.js": STATIC_DIR / "app.js",
    "dashboard.js": STATIC_DIR / "dashboard.js",
    "grid.css": STATIC_DIR / "grid.css",
    "grid.js": STATIC_DIR / "grid.js",
    "editor.css": STATIC_DIR / "editor.css",
    "editor.js": STATIC_DIR / "editor.js",
    "favicon.svg": STATIC_DIR / "favicon.svg",
    "htmx.min.js": PACKAGES_DIR / "htmx.org" / "dist" / "htmx.min.js",
    "chart.umd.min.js": PACKAGES_DIR / "chart.js" / "dist" / "chart.umd.min.js",
    "swagger-ui-bundle.js": PACKAGES_DIR / "swagger-ui-dist" / "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js":
        PACKAGES_DIR / "swagger-ui-dist" / "swagger-ui-standalone-preset.js",
    "swagger-ui.css": PACKAGES_DIR / "swagger-ui-dist" / "swagger-ui.css",
}


class MissingAsset(RuntimeError):
    """A file the pages need is absent (``npm ci --ignore-scripts --prefix pim/web`` not
    run)."""


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    digest: str
    media_type: str


_assets: dict[str, Asset] = {}
_lock = threading.Lock()


def _load(name: str) -> Asset:
    asset = _assets.get(name)
    if asset is not None:
        return asset
    path = FILES.get(name)
    if path is None:
        raise KeyError(name)
    with _lock:
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            raise MissingAsset(
                f"{path} is missing: install the front-end packages with "
                "`npm ci --ignore-scripts --prefix pim/web` (make run does)") from None
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if media_type.startswith("text/") or name.endswith(".js"):
            media_type += "; charset=utf-8"
        asset = _assets[name] = Asset(body, hashlib.sha256(body).hexdigest()[:12], media_type)
    return asset


def asset_url(name: str) -> str:
    """The URL of an asset, its content digest in the path."""
    return f"{PREFIX}/{_load(name).digest}/{name}"


def current_asset_url(name: str) -> str:
    """A stable URL of an asset that redirects to its digest URL: for pages built before the
    files are read (the API docs, configured when the app is built)."""
    if name not in FILES:
        raise KeyError(name)
    return f"{PREFIX}/current/{name}"


def forget_assets() -> None:
    """Read the files again at their next use (tests; a stylesheet edited while serving)."""
    _assets.clear()


@get(f"{PREFIX}/{{digest:str}}/{{name:str}}", include_in_schema=False, opt={"web": True})
async def asset_route(digest: FromPath[str], name: FromPath[str]) -> Response:
    try:
        asset = _load(name)
    except KeyError:
        raise NotFoundException(f"no asset {name}") from None
    if digest != asset.digest:
        return Redirect(asset_url(name), status_code=308)
    return Response(asset.body, media_type=asset.media_type,
                    headers={"Cache-Control": CACHE_FOREVER,
                             "X-Content-Type-Options": "nosniff"})


@get("/favicon.ico", include_in_schema=False, opt={"web": True})
async def favicon_route() -> Response:
    """Browsers ask for it unasked (the API docs, a JSON response shown as a page)."""
    return Redirect(asset_url("favicon.svg"), status_code=308)
