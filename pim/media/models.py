"""Assets, stored once by content hash; values reference them by path. Renditions, stored
once per (asset, spec): the spec by its hash, and which channel asks for which spec."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pim.db import Base, utcnow


class Asset(Base):
    __tablename__ = "assets"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(500), unique=True)  # relative to the media root
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RenditionSpec(Base):
    """A rendition spec (``channels.renditions.Rendition``) by its hash: what a URL's
    ``{spec hash}`` stands for. Kept after every channel stopped using it, so its URLs
    (immutable, maybe cached downstream) go on answering."""

    __tablename__ = "rendition_specs"
    spec_hash: Mapped[str] = mapped_column(String(16), primary_key=True)
    spec: Mapped[dict]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelRendition(Base):
    """A channel's named rendition, as its definition declares it now."""

    __tablename__ = "channel_renditions"
    channel_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    spec_hash: Mapped[str] = mapped_column(
        ForeignKey("rendition_specs.spec_hash"), index=True)


class StoredRendition(Base):
    """One (asset, spec) drawn: ``ready`` with its size and bytes, or ``failed`` with the
    reason a person reads in the completeness error."""

    __tablename__ = "renditions"
    asset_sha256: Mapped[str] = mapped_column(
        ForeignKey("assets.sha256", ondelete="CASCADE"), primary_key=True)
    spec_hash: Mapped[str] = mapped_column(
        ForeignKey("rendition_specs.spec_hash"), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(10))  # ready | failed
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
