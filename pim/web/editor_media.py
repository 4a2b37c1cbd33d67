"""Media in the web UI: a stored asset's bytes for thumbnails (``/web-media/{sha256}``,
signed-in users only, as the API's ``/api/v1/media/{sha256}`` serves them to tokens), the
thumbnail URL of a media value, and uploading a file from the editor.

A media value holds an asset's content path (``ab/cd/<sha256>.jpg``) or an http(s) URL not
fetched yet; only a stored asset whose file is present gets a thumbnail URL, so a page never
shows a broken image."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, MultipartBody
from litestar.response import File, Template
from sqlalchemy.orm import Session

from pim.auth.actor import WRITE_CONTENT, require_role
from pim.errors import DomainError
from pim.media.service import asset_file, asset_files, asset_out, store_upload
from pim.media.storage import absolute
from pim.web.pages import page
from pim.web.sessions import ReadSession, WriteSession

_CONTENT_PATH = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})\.[a-z0-9]{2,5}$")
SERVED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, max-age=31536000, immutable",
}
# Litestar's ceiling before anything is read; PIM_MEDIA_MAX_BYTES is checked while storing.
MAX_UPLOAD_BYTES = 256 * 1024 * 1024


@dataclass
class MediaUpload:
    """The editor's upload form: one file."""

    file: UploadFile


K = TypeVar("K")


def asset_hash(path: str) -> str | None:
    found = _CONTENT_PATH.match(path or "")
    return found.group(1) if found else None


def media_thumbnail_url(session: Session, path: str) -> str | None:
    """The URL of a media value's image, or None when it is not a stored image whose file
    is present."""
    return media_thumbnail_urls(session, {0: path}).get(0)


def media_thumbnail_urls(session: Session, paths: Mapping[K, str]) -> dict[K, str]:
    """``media_thumbnail_url`` of many media values (a grid page's), in one read of their
    assets: key -> URL, for the values that are stored images whose file is present."""
    hashes = {key: sha for key, path in paths.items() if (sha := asset_hash(path))}
    stored = asset_files(session, hashes.values())
    return {key: f"/web-media/{sha}" for key, sha in hashes.items()
            if sha in stored and stored[sha].media_type.startswith("image/")}


@get("/web-media/{sha256:str}", include_in_schema=False, sync_to_thread=True)
def web_media_file(sha256: FromPath[str], reader: ReadSession) -> File:
    stored = asset_file(reader, sha256)
    disposition: Literal["inline", "attachment"] = (
        "inline" if stored.media_type.startswith("image/") else "attachment")
    return File(path=stored.path, filename=stored.filename, media_type=stored.media_type,
                content_disposition_type=disposition, headers=SERVED_HEADERS)


@post("/products/{sku:str}/media", include_in_schema=False, sync_to_thread=True,
      status_code=200, request_max_body_size=MAX_UPLOAD_BYTES)
def upload_media(request: Request, sku: FromPath[str], session: WriteSession,
                 data: MultipartBody[MediaUpload]) -> Template:
    """Store a file for a media field; answers the field's new input and thumbnail (the
    value is saved with the form)."""
    require_role(request.user, *WRITE_CONTENT)
    attribute = str(request.query_params.get("attribute") or "")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", attribute):
        raise DomainError("name the media attribute (?attribute=...)")
    upload = data.file
    upload.file.seek(0)
    asset = asset_out(store_upload(session, upload.file, upload.filename))
    absolute(asset.path)  # a stored path is always inside the media root
    return page(request, "products/_editor_media_input.html", sku=sku, attribute=attribute,
                path=asset.path, thumbnail=(f"/web-media/{asset.sha256}"
                                            if asset.media_type.startswith("image/") else None),
                filename=upload.filename)


ROUTES = [web_media_file, upload_media]
