"""Media over the API: upload a file (stored once by content, checked by its bytes) and
fetch a stored asset back.

A media value holds the asset's ``path``; ``GET /media/{sha256}`` serves the bytes with the
sniffed media type, ``nosniff`` and a restrictive CSP, so a stored file is never run as a
page. Assets are content-addressed, so the answer may be cached for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import MultipartBody, PathParameter
from litestar.response import File

from pim.api.openapi import problems
from pim.api.problems import PROBLEM_JSON, Problem
from pim.api.sessions import ReadSession, WriteSession
from pim.auth.actor import READ, WRITE_CONTENT
from pim.media.images import ALLOWED_TYPES
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
