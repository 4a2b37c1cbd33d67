"""Feeds written to files: ``pim export`` and the ``export`` job."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pim.publishing.feeds import stream_feed


def write_feed_file(channel: str, format: str, path: Path, *, locale: str | None = None,
                    since: datetime | None = None) -> int:
    """Stream the feed into ``path`` (through a temporary file, so a reader never sees half
    a feed); returns the number of bytes written."""
    _, chunks = stream_feed(channel, format, locale=locale, since=since)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    written = 0
    with open(partial, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
            written += len(chunk)
    os.replace(partial, path)
    return written


def export_path(channel: str, format: str, extension: str, job_id: str) -> Path:
    from pim.config import get_settings

    return get_settings().var_dir / "exports" / f"{channel}-{format}-{job_id}.{extension}"
