"""Workflow tables: channels, completeness, per-channel status."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Boolean, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from pim.db import Base, utcnow

# A product's status in a channel; a product without a status row there is a draft.
WorkflowStatus = Literal["draft", "in_review", "approved", "published", "withdrawn"]
WORKFLOW_STATUSES: tuple[WorkflowStatus, ...] = get_args(WorkflowStatus)


class Channel(Base):
    __tablename__ = "channels"
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(255), default="")
    # the whole channels.ChannelDefinition, as applied
    definition: Mapped[dict] = mapped_column(default=dict)
    # sha256 of definition + schema: completeness rows computed under another hash are stale
    config_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Completeness(Base):
    __tablename__ = "completeness"
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    channel_code: Mapped[str] = mapped_column(
        ForeignKey("channels.code", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    in_assortment: Mapped[bool] = mapped_column(Boolean, default=True)
    required: Mapped[int] = mapped_column(Integer, default=0)
    present: Mapped[int] = mapped_column(Integer, default=0)
    percent: Mapped[int] = mapped_column(SmallInteger, default=0, index=True)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    # [{"field", "attribute", "locale", "scope", "message"}]
    errors: Mapped[list] = mapped_column(default=list)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    config_hash: Mapped[str] = mapped_column(String(64), default="")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductChannelStatus(Base):
    """Where one product stands in one channel's workflow."""

    __tablename__ = "product_channel_status"
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    channel_code: Mapped[str] = mapped_column(
        ForeignKey("channels.code", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    changed_since_published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_version: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(255))


class CompletenessDirty(Base):
    """A product whose completeness waits for the batched refresh job. Big writes (imports)
    mark their products here in the writing transaction instead of projecting them inline,
    so an import runs at write speed and completeness catches up right after."""

    __tablename__ = "completeness_dirty"
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
