"""Product media: files stored once by content (sha256) under the media root, checked by
their bytes, and referenced from media values by the asset's path.

Public functions: :func:`store_upload` (the API), :func:`store_file` (an import's media
folder), :func:`ingest_url` (a URL, under the outbound address policy), :func:`get_asset`,
:func:`asset_file`; the ``media_download`` job in ``pim.media.jobs``. They are loaded on first
use: ``pim.models`` imports this package for the ``Asset`` table.
"""

from __future__ import annotations

from typing import Any

__all__ = ["asset_file", "get_asset", "ingest_url", "store_file", "store_upload"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pim.media import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
