"""Feeds written to files: ``pim export`` and the ``export`` job."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pim.config import get_settings
from pim.publishing.feeds import feed_state, stream_feed


@dataclass(frozen=True)
class FeedFile:
    """What an export wrote: ``path`` is None when it wrote nothing (a delta with nothing
    published or withdrawn since its start: no format can say "nothing" validly, BMEcat's
    update cannot be empty at all). ``products`` counts the published products in the file,
    ``withdrawn`` the SKUs a delta lists as withdrawn."""

    path: Path | None
    bytes: int
    products: int
    withdrawn: int
    locale: str

    def describe(self, channel: str, since: datetime | None = None) -> str:
        """One line for a person: what was written, or why nothing was."""
        where = f"{channel} ({self.locale})"
        if self.path is None:
            return (f"nothing published or withdrawn in {where} since "
                    f"{since.isoformat() if since else 'then'}: no file written")
        if since is None and self.products == 0:
            return (f"{self.path}: {self.bytes} bytes, no products: nothing is published in "
                    f"{where} (pim publish --channel {channel} ...)")
        gone = f", {self.withdrawn} withdrawn" if since is not None else ""
        return f"{self.path}: {self.bytes} bytes, {self.products} products{gone}"


def write_feed_file(channel: str, format: str, path: Path, *, locale: str | None = None,
                    since: datetime | None = None) -> FeedFile:
    """Stream the feed into ``path`` (through a temporary file, so a reader never sees half
    a feed). A delta with nothing in it writes nothing (``FeedFile.path`` is None)."""
    state = feed_state(channel, locale, since, format=format)
    if since is not None and state.count == 0:
        return FeedFile(None, 0, 0, 0, state.locale)
    _, chunks = stream_feed(channel, format, locale=locale, since=since)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    written = 0
    with open(partial, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
            written += len(chunk)
    os.replace(partial, path)
    return FeedFile(path, written, state.count - state.withdrawn, state.withdrawn, state.locale)


def export_path(channel: str, format: str, extension: str, job_id: str) -> Path:
    return get_settings().var_dir / "exports" / f"{channel}-{format}-{job_id}.{extension}"
