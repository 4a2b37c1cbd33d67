"""The content-addressed file store under the media root (``PIM_MEDIA_ROOT``, default
``var/media``).

A file lives at ``ab/cd/<sha256><ext>``: the same bytes are stored once, whoever sends them
and whatever they are called. Incoming bytes are streamed to a temporary file beside the
store (hashed and counted on the way, refused past the byte limit) and moved into place
with one atomic rename, so a reader never sees half a file and a crash leaves no partial
file under a content name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from pim.config import get_settings
from pim.media.errors import MediaTooLarge

CHUNK = 1024 * 1024
INCOMING = ".incoming"  # temporary files, on the same filesystem as the store


@dataclass(frozen=True)
class Blob:
    """Bytes received into a temporary file, not yet in the store."""

    path: Path
    sha256: str
    size: int

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def media_root() -> Path:
    return get_settings().media_dir


def content_path(sha256: str, extension: str) -> str:
    """Where content with this hash lives, relative to the media root."""
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{extension}"


def absolute(relative: str) -> Path:
    """The file of a stored path; refuses a path that would leave the media root."""
    parts = PurePosixPath(relative)
    if parts.is_absolute() or ".." in parts.parts or not parts.parts:
        raise ValueError(f"{relative!r} is not a path inside the media root")
    return media_root().joinpath(*parts.parts)


def receive(chunks: Iterable[bytes], *, max_bytes: int, name: str = "the file") -> Blob:
    """Stream ``chunks`` into a temporary file; MediaTooLarge past ``max_bytes``."""
    folder = media_root() / INCOMING
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temporary = tempfile.mkstemp(dir=folder, prefix="in-")
    path = Path(temporary)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge(f"{name} is larger than {max_bytes} bytes "
                                        "(PIM_MEDIA_MAX_BYTES)")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Blob(path, digest.hexdigest(), size)


def read_chunks(stream: IO[bytes]) -> Iterable[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def place(blob: Blob, relative: str) -> Path:
    """Move a received blob to its content path (atomic); same content already there wins."""
    target = absolute(relative)
    if target.is_file() and target.stat().st_size == blob.size:
        blob.discard()
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(blob.path, 0o644)
    os.replace(blob.path, target)
    return target
