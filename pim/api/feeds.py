"""Distributor feeds: ``GET /feeds/{channel}/{format}`` and feed key management.

A feed is authenticated by a feed key (``Authorization: Bearer pimfk_...`` or
``X-Feed-Key``), never by an API token; a key names the channels it may pull (401 without a
valid key, 403 for another channel). Answers carry ``ETag`` and ``Last-Modified`` from the
publishing slice's ``feed_state`` (two indexed aggregates), so a conditional request is
answered 304 without streaming; so is a delta (``since``) with nothing published or
withdrawn after its start. The body streams from a database cursor through the exporter,
gzip-compressed on the fly when the client accepts it: memory stays flat whatever the size.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated

from litestar import Request, Response, get, post
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from litestar.response import Stream
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from pim.api.openapi import FEED_FORMATS, FeedOperation, RowId, problems
from pim.api.sessions import ReadSession, WriteSession
from pim.auth.actor import MANAGE
from pim.db import session_scope
from pim.publishing.feedkeys import (
    authenticate_feed_key,
    create_feed_key,
    feed_key_out,
    list_feed_keys,
    revoke_feed_key,
    touch_feed_key,
    use_due,
)
from pim.publishing.feeds import feed_state, stream_feed

CHUNK_BYTES = 64 * 1024
log = logging.getLogger("pim.api.feeds")
_KEY_HEADERS = {"WWW-Authenticate": 'Bearer realm="feeds"'}


class FeedKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channels: list[str] = Field(min_length=1)
    name: str = Field("", max_length=255)


class FeedKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    channels: list[str]
    created_at: datetime
    created_by: str | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class FeedKeyCreated(FeedKeyOut):
    key: str = Field(description="The feed key, shown this once.")


def _feed_key(request: Request) -> str | None:
    header = request.headers.get("x-feed-key")
    if header:
        return header.strip()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _check_key(reader: Session, key: str | None, channel: str) -> None:
    row = authenticate_feed_key(reader, key)
    if row is None:
        raise NotAuthorizedException("a valid feed key is required (X-Feed-Key)",
                                     headers=_KEY_HEADERS)
    if channel not in (row.channels or ()):
        raise PermissionDeniedException(f"this feed key does not open channel {channel!r}")
    if use_due(row) and row.id not in _touch_pending:
        _touch_pending.add(row.id)
        _touches.submit(_touch, row.id)


# A key's use is recorded by one background thread, at most once a minute per key (as API
# tokens' are, pim.api.security): the pull never waits for the write, nor for SQLite's lock.
_touches = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-key-touch")
_touch_pending: set[int] = set()


def _touch(key_id: int) -> None:
    try:
        with session_scope() as session:
            touch_feed_key(session, key_id)
    except Exception:
        log.warning("could not record the use of feed key %s", key_id, exc_info=True)
    finally:
        _touch_pending.discard(key_id)


def feed_key_uses_recorded() -> None:
    """Wait until the uses asked for so far are recorded (tests)."""
    _touches.submit(lambda: None).result()


def _not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since and last_modified is not None:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return last_modified.replace(microsecond=0) <= moment.astimezone(UTC)
    return False


def _regrouped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Fewer, larger chunks: each one costs a thread hop in the streamed response."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        if len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def _gzipped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: gzip container
    for chunk in chunks:
        data = compressor.compress(chunk)
        if data:
            yield data
    yield compressor.flush()


def _accepts_gzip(request: Request) -> bool:
    for part in request.headers.get("accept-encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() == "gzip" and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False


@get("/feeds/{channel:str}/{format:str}", sync_to_thread=True, tags=["feeds"],
     summary="A channel's published feed (feed key auth; ETag, Last-Modified, gzip)",
     responses=problems(404, 422, auth=False) | problems(401, 403, auth=False),
     security=[{"feedKey": []}], include_in_schema=True, operation_class=FeedOperation)
def feed_route(
    request: Request, channel: FromPath[str], reader: ReadSession,
    format: Annotated[str, Parameter(
        description="The feed format (422 for another).",
        schema_extra={"enum": list(FEED_FORMATS)})],
    locale: Annotated[str | None, QueryParameter(
        description="One of the channel's locales (404 for another); its first by "
                    "default.")] = None,
    since: Annotated[datetime | None, QueryParameter(
        description="Only what was published or withdrawn after this moment (delta); "
                    "each format says what left the channel in its own way.")] = None,
) -> Stream:
    _check_key(reader, _feed_key(request), channel)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    state = feed_state(channel, locale, since, format=format, session=reader)
    gzip = _accepts_gzip(request)
    etag = state.etag if not gzip else state.etag[:-1] + '-gz"'
    headers = {"ETag": etag, "Vary": "Accept-Encoding", "Cache-Control": "private, no-cache"}
    if state.last_modified is not None:
        headers["Last-Modified"] = format_datetime(state.last_modified.astimezone(UTC),
                                                   usegmt=True)
    # A delta with nothing published or withdrawn since its start is "not modified" too:
    # no format can say "nothing" validly (BMEcat's update cannot be empty).
    empty_delta = since is not None and state.count == 0
    if empty_delta or _not_modified(request, etag, state.last_modified):
        return Response(b"", status_code=304, headers=headers)  # type: ignore[return-value]
    # The body is read while it streams, after this handler (and its injected session) is
    # done: stream_feed reads in a session of its own.
    media_type, chunks = stream_feed(channel, format, locale=locale, since=since)
    # The format's own media type, verbatim: given as media_type, Litestar would append a
    # second "; charset=utf-8" to a text/* type that already names its charset.
    headers["Content-Type"] = media_type
    body = _regrouped(chunks)
    if gzip:
        body = _gzipped(body)
        headers["Content-Encoding"] = "gzip"
    return Stream(body, headers=headers)


@get("/feed-keys", opt={"roles": MANAGE}, sync_to_thread=True, responses=problems(),
     summary="List feed keys", tags=["feeds"])
def list_feed_keys_route(reader: ReadSession) -> list[FeedKeyOut]:
    return [FeedKeyOut(**feed_key_out(row)) for row in list_feed_keys(reader)]


@post("/feed-keys", opt={"roles": MANAGE}, sync_to_thread=True, responses=problems(404, 422),
      summary="Create a distributor feed key (shown once)", tags=["feeds"])
def create_feed_key_route(request: Request, data: JSONBody[FeedKeyIn],
                          session: WriteSession) -> FeedKeyCreated:
    key, row = create_feed_key(session, data.channels, data.name, created_by=request.user.name)
    return FeedKeyCreated(**feed_key_out(row), key=key)


@post("/feed-keys/{key_id:int}/revoke", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=200, responses=problems(404), summary="Revoke a feed key", tags=["feeds"])
def revoke_feed_key_route(key_id: RowId, session: WriteSession) -> FeedKeyOut:
    return FeedKeyOut(**feed_key_out(revoke_feed_key(session, key_id)))


ROUTES = [feed_route]
API_ROUTES = [list_feed_keys_route, create_feed_key_route, revoke_feed_key_route]
