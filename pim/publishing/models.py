"""Published snapshots (immutable), releases and distributor feed keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pim.db import Base, utcnow


class Snapshot(Base):
    """One published variant: (channel, locale, sku, version) -> payload. Never updated.

    A withdrawal is a snapshot too, with ``withdrawn`` set and an empty payload, so feeds'
    deltas and webhook order see it in sequence.
    """

    __tablename__ = "snapshots"
    __table_args__ = (
        UniqueConstraint("channel_code", "locale", "sku", "version"),
        Index("ix_snapshots_feed", "channel_code", "locale", "is_current", "sku"),
        Index("ix_snapshots_since", "channel_code", "locale", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_code: Mapped[str] = mapped_column(ForeignKey("channels.code", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    sku: Mapped[str] = mapped_column(String(255))
    parent_sku: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    product_version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(default=dict)
    sha256: Mapped[str] = mapped_column(String(64))
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    # The newest snapshot of (channel, locale, sku); the only mutable bit, flipped on the
    # previous row when a newer version is written.
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(255))
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("releases.id", ondelete="SET NULL")
    )
    # The version of the feed (channel, locale) this snapshot's publication made: see
    # FeedVersion. Rows older than the column were numbered by their published_at.
    feed_version: Mapped[int | None] = mapped_column(Integer)


class FeedVersion(Base):
    """How many publications changed a channel's feed in one locale: a publish or a
    withdrawal that writes snapshots in the locale counts once, however many products it
    writes. Feeds carry it (BMEcat's CATALOG_VERSION and, in a delta, prev_version) so a
    receiver can order updates and see one it missed."""

    __tablename__ = "feed_versions"

    channel_code: Mapped[str] = mapped_column(
        ForeignKey("channels.code", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class FeedKey(Base):
    __tablename__ = "feed_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channels: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


ReleaseStatus = Literal["draft", "submitted", "approved", "published", "cancelled"]
RELEASE_STATUSES: tuple[ReleaseStatus, ...] = get_args(ReleaseStatus)


class Release(Base):
    __tablename__ = "releases"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    publish_at: Mapped[datetime | None] = mapped_column(index=True)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[str | None] = mapped_column(String(255))
    submitted_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # {"published": n, "refused": [{"sku", "channel", "locale", "errors": [...]}]}
    report: Mapped[dict] = mapped_column(default=dict)

    items: Mapped[list[ReleaseItem]] = relationship(
        cascade="all, delete-orphan", order_by="ReleaseItem.id"
    )


class ReleaseItem(Base):
    __tablename__ = "release_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(255))
    channel_code: Mapped[str] = mapped_column(ForeignKey("channels.code", ondelete="CASCADE"))
    outcome: Mapped[str | None] = mapped_column(String(20))  # published | unchanged | refused
    message: Mapped[str] = mapped_column(Text, default="")
