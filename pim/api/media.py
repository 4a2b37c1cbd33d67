"""Media over the API: upload a file (stored once by content, checked by its bytes) and
fetch a stored asset back; and, outside ``/api/v1`` and without a token, the renditions and
originals that channel variants, feeds and webhooks link to (``PUBLIC_ROUTES``).

A media value holds the asset's ``path``; ``GET /media/{sha256}`` serves the bytes with the
sniffed media type, ``nosniff`` and a restrictive CSP, so a stored file is never run as a
page. Assets are content-addressed, so the answer may be cached for good.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from litestar import HttpMethod, Request, Response, get, post, route
from litestar.datastructures import UploadFile
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import MultipartBody, PathParameter
from litestar.response import File, Stream

from pim.api.openapi import problems
from pim.api.problems import PROBLEM_JSON, Problem
from pim.api.sessions import ReadSession, WriteSession
from pim.auth.actor import READ, WRITE_CONTENT
from pim.media.images import ALLOWED_TYPES
from pim.media.renditions import ServedFile, original_to_serve, rendition_to_serve
from pim.media.schemas import AssetOut
from pim.media.service import asset_file, asset_out, store_upload

Sha256 = Annotated[str, PathParameter(description="The asset's sha256 (64 hex digits).",
                                      max_length=64)]
TOO_LARGE = {413: ResponseSpec(Problem, description="The file exceeds PIM_MEDIA_MAX_BYTES, "
                               "or the image PIM_MEDIA_MAX_PIXELS", media_type=PROBLEM_JSON,
                               generate_examples=False)}
SERVED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, max-age=31536000, immutable",
}


@dataclass
class MediaUpload:
    """``multipart/form-data`` of ``POST /media``."""

    file: UploadFile


@dataclass
class MediaFileOperation(Operation):
    """The 200 of the media download: one content type per kept media type."""

    def __post_init__(self) -> None:
        found = (self.responses or {}).get("200")
        if found is not None and not isinstance(found, Reference):
            binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
            found.content = {media_type: OpenAPIMediaType(schema=binary)
                             for media_type in sorted(ALLOWED_TYPES)}


# The request ceiling is PIM_API_MAX_UPLOAD_BYTES, enforced before anything is read
# (pim.api.limits); PIM_MEDIA_MAX_BYTES (lower by default) is checked while the file is
# stored, and both answer 413.
@post("/media", opt={"roles": WRITE_CONTENT, "body": "upload"}, sync_to_thread=True,
      status_code=201, request_max_body_size=None, responses=problems(415, 422) | TOO_LARGE,
      tags=["media"], summary="Upload a media file (201 and the asset; Location: its file)",
      description=(
          "JPEG, PNG, WebP and GIF images and PDF files, recognised by their content (the "
          "file name does not count; SVG is refused). The same bytes are stored once: "
          "uploading them again answers the same asset. Put the asset's `path` into a "
          "media value. 413 above the size limit, 415 for other types or unreadable images."))
def upload_media_route(data: MultipartBody[MediaUpload],
                       session: WriteSession) -> Response[AssetOut]:
    data.file.file.seek(0)
    asset = asset_out(store_upload(session, data.file.file, data.file.filename))
    return Response(asset, status_code=201,
                    headers={"Location": f"/api/v1/media/{asset.sha256}"})


@get("/media/{sha256:str}", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), tags=["media"], operation_class=MediaFileOperation,
     summary="A stored media file, with its media type",
     description="Served with `X-Content-Type-Options: nosniff`; images inline, PDF files as "
                 "attachments.")
def media_file_route(sha256: Sha256, reader: ReadSession) -> File:
    stored = asset_file(reader, sha256)
    disposition: Literal["inline", "attachment"] = (
        "inline" if stored.media_type.startswith("image/") else "attachment")
    return File(path=stored.path, filename=stored.filename, media_type=stored.media_type,
                content_disposition_type=disposition, headers=SERVED_HEADERS)


ROUTES = [upload_media_route, media_file_route]


# --- Public, cacheable media: renditions and originals by content hash.
#
# Both URLs name content (a spec hash and an asset hash), so what they answer never changes:
# `public, max-age=31536000, immutable` lets browsers and CDNs keep it for good, and the
# strong ETag answers a revalidation with 304. No token: these are the URLs feeds, webhooks
# and storefronts carry, unguessable without the content's sha256.

IMMUTABLE = "public, max-age=31536000, immutable"
CHUNK_BYTES = 256 * 1024
SpecHash = Annotated[str, PathParameter(description="The rendition spec's hash (16 hex digits).",
                                        max_length=16)]
FileName = Annotated[str, PathParameter(description="`{asset sha256}.{extension}`",
                                        max_length=80)]


def _served_headers(served: ServedFile, length: int) -> dict[str, str]:
    return {"Cache-Control": IMMUTABLE, "ETag": served.etag,
            "Content-Length": str(length), "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Accept-Ranges": "bytes"}


def _not_modified(request: Request, etag: str) -> bool:
    """If-None-Match, weak comparison (RFC 9110 13.1.2), ``*`` included."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _answer(request: Request, served: ServedFile, *, head: bool) -> Response:
    size = served.path.stat().st_size
    headers = _served_headers(served, size)
    if _not_modified(request, served.etag):
        del headers["Content-Length"]
        return Response(b"", status_code=304, headers=headers)
    wanted = _byte_range(request, served.etag, size)
    if wanted == "unsatisfiable":
        return Response(b"", status_code=416, headers={
            "Content-Range": f"bytes */{size}", "Cache-Control": IMMUTABLE})
    status = 200
    start, end = 0, size - 1
    if wanted is not None:
        start, end = wanted
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(end - start + 1)
    kind = served.media_type
    if head:
        return Response(b"", status_code=status, headers=headers, media_type=kind)
    if end - start + 1 <= CHUNK_BYTES:
        with open(served.path, "rb") as handle:
            handle.seek(start)
            return Response(handle.read(end - start + 1), status_code=status, headers=headers,
                            media_type=kind)
    return Stream(_read_range(served.path, start, end), status_code=status, headers=headers,
                  media_type=kind)


def _byte_range(request: Request, etag: str, size: int
                ) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """One ``bytes=`` range (RFC 9110 14.2), or None for the whole file: no Range, an
    ``If-Range`` naming another version, a malformed header or several ranges (answering
    them whole is allowed, and simpler for every client than multipart/byteranges)."""
    header = request.headers.get("range", "")
    if not header.startswith("bytes=") or "," in header:
        return None
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        return None
    first, _, last = header[6:].strip().partition("-")
    if not (first.isdigit() or last.isdigit()) or (first and not first.isdigit()) \
            or (last and not last.isdigit()):
        return None
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - count), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        return "unsatisfiable"
    if end < start:
        return None
    return start, end


def _read_range(path: Path, start: int, end: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0:
            chunk = handle.read(min(CHUNK_BYTES, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


_RENDITION = "/media/r/{spec_hash:str}/{name:str}"
_ORIGINAL = "/media/o/{name:str}"
_PUBLIC: dict[str, Any] = {
    "http_method": [HttpMethod.GET, HttpMethod.HEAD], "exclude_from_auth": True,
    "sync_to_thread": True, "tags": ["media"], "responses": problems(404, auth=False)}


@route(_RENDITION, summary="A rendition (immutable; ETag, 304, HEAD)", **_PUBLIC,
       description="What a channel's image URLs point at: the asset drawn to the spec (drawn "
                   "now when its job has not run yet). 404 names why an image cannot be drawn.")
def rendition_route(request: Request, spec_hash: SpecHash, name: FileName,
                    reader: ReadSession) -> Response:
    return _answer(request, rendition_to_serve(reader, spec_hash, name),
                   head=request.method == "HEAD")


@route(_ORIGINAL, summary="An original media file (immutable; ETag, 304, HEAD, Range)",
       **_PUBLIC,
       description="The stored file itself, for channels that declare no renditions and for "
                   "PDF documents; byte ranges for large files.")
def original_route(request: Request, name: FileName, reader: ReadSession) -> Response:
    return _answer(request, original_to_serve(reader, name), head=request.method == "HEAD")


PUBLIC_ROUTES = [rendition_route, original_route]
