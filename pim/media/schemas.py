"""What the media slice answers with."""

from __future__ import annotations

from pydantic import BaseModel


class AssetOut(BaseModel):
    """A stored asset; ``path`` (relative to the media root) is what a media value holds."""

    sha256: str
    path: str
    media_type: str
    size: int
    width: int | None = None
    height: int | None = None
