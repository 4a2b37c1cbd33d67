"""Storing media: an upload, a file from an import's media folder, or a URL's content, each
checked by its content and stored once per sha256 as an :class:`Asset`.

Every path ends in :func:`store_blob`: the bytes are already in a temporary file (counted
against ``PIM_MEDIA_MAX_BYTES``), their type is sniffed and images are decoded within
``PIM_MEDIA_MAX_PIXELS``, then the file moves to its content path and the row is added in
the caller's transaction. Storing the same bytes again returns the asset already there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pim.config import get_settings
from pim.errors import NotFound
from pim.jobs import enqueue
from pim.media.errors import MediaTooLarge
from pim.media.fetch import Downloaded, download
from pim.media.images import inspect
from pim.media.models import Asset
from pim.media.renditions import MEDIA_RENDER, is_image
from pim.media.schemas import AssetOut
from pim.media.storage import Blob, absolute, content_path, place, read_chunks, receive


def store_blob(session: Session, blob: Blob, *, filename: str,
               source_url: str | None = None) -> Asset:
    """Check a received blob and keep it; the blob is consumed either way."""
    try:
        info = inspect(blob.path, max_pixels=get_settings().media_max_pixels, name=filename)
    except BaseException:
        blob.discard()
        raise
    existing = session.get(Asset, blob.sha256)
    if existing is not None:
        place(blob, existing.path)  # puts the file back if the store lost it
        return existing
    asset = Asset(sha256=blob.sha256, path=content_path(blob.sha256, info.extension),
                  filename=filename, media_type=info.media_type, size=blob.size,
                  width=info.width, height=info.height, source_url=source_url)
    place(blob, asset.path)
    try:
        with session.begin_nested():  # another writer may store the same bytes meanwhile
            session.add(asset)
    except IntegrityError:
        raced = session.get(Asset, blob.sha256)
        if raced is None:
            raise
        return raced
    if is_image(asset):
        # Its renditions are drawn once this transaction commits (none while no channel
        # declares a rendition: the job then finds nothing to do).
        enqueue(MEDIA_RENDER, {"sha256": asset.sha256}, session=session,
                dedupe_key=f"{MEDIA_RENDER}:{asset.sha256}")
    return asset


def store_upload(session: Session, stream: IO[bytes], filename: str | None) -> Asset:
    """Store an uploaded file (the API)."""
    settings = get_settings()
    name = clean_filename(filename)
    blob = receive(read_chunks(stream), max_bytes=settings.media_max_bytes, name=name)
    return store_blob(session, blob, filename=name)


def store_file(session: Session, path: Path) -> Asset:
    """Store a file from the server's disk (an import's media folder)."""
    limit = get_settings().media_max_bytes
    if path.stat().st_size > limit:
        raise MediaTooLarge(f"{path.name} is larger than {limit} bytes (PIM_MEDIA_MAX_BYTES)")
    with open(path, "rb") as handle:
        blob = receive(read_chunks(handle), max_bytes=limit, name=path.name)
    return store_blob(session, blob, filename=clean_filename(path.name))


def ingest_url(session: Session, url: str) -> Asset:
    """Download ``url`` under the outbound policy and store it (see ``pim.media.fetch``)."""
    return store_download(session, fetch_url(url), url)


def fetch_url(url: str) -> Downloaded:
    """Only the download, so a job holds no transaction while the peer answers."""
    settings = get_settings()
    return download(url, max_bytes=settings.media_max_bytes,
                    timeout=settings.media_download_timeout)


def store_download(session: Session, fetched: Downloaded, url: str) -> Asset:
    name = clean_filename(unquote(PurePosixPath(urlsplit(fetched.url).path).name))
    return store_blob(session, fetched.blob, filename=name, source_url=url[:2000])


def get_asset(session: Session, sha256: str) -> Asset:
    asset = session.get(Asset, sha256.lower()) if len(sha256) == 64 else None
    if asset is None:
        raise NotFound(f"no asset {sha256}")
    return asset


@dataclass(frozen=True)
class StoredFile:
    path: Path
    media_type: str
    filename: str


def asset_file(session: Session, sha256: str) -> StoredFile:
    """An asset's file, to serve; NotFound when the asset or its file is missing."""
    asset = get_asset(session, sha256)
    path = absolute(asset.path)
    if not path.is_file():
        raise NotFound(f"the file of asset {sha256} is missing from the media store")
    return StoredFile(path, asset.media_type, asset.filename)


def asset_files(session: Session, sha256s: Iterable[str]) -> dict[str, StoredFile]:
    """``asset_file`` of many assets in one read: those whose asset and file are present."""
    wanted = sorted({sha.lower() for sha in sha256s if len(sha) == 64})
    found: dict[str, StoredFile] = {}
    if not wanted:
        return found
    for sha, relative, media_type, filename in session.execute(
            select(Asset.sha256, Asset.path, Asset.media_type, Asset.filename)
            .where(Asset.sha256.in_(wanted))):
        try:
            path = absolute(relative)
        except ValueError:
            continue
        if path.is_file():
            found[sha] = StoredFile(path, media_type, filename)
    return found


def asset_out(asset: Asset) -> AssetOut:
    return AssetOut(sha256=asset.sha256, path=asset.path, media_type=asset.media_type,
                    size=asset.size, width=asset.width, height=asset.height)


def clean_filename(name: str | None) -> str:
    """The last segment of a client-given name, without control characters, at most 255."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"')
    return base[-255:] or "file"
