"""Webhook subscriptions, messages (payloads), deliveries and attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pim.db import Base, utcnow
from pim.publishing import events as publishing_events

# The events a subscription may choose among: what publishing announces.
EVENT_TYPES = publishing_events.EVENT_TYPES


class Subscription(Base):
    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_code: Mapped[str] = mapped_column(
        ForeignKey("channels.code", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(String(255))
    # during a rotation the previous secret also signs, until it expires
    previous_secret: Mapped[str | None] = mapped_column(String(255))
    previous_secret_expires_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text, default="")
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The sender (see sender.py). A send job bumps the generation when it starts, so a
    # publication keyed on the generation it read joins a job that has not started yet,
    # and after a start makes a new one. One job at a time sends: it holds the lease
    # (``sender`` names it) until ``sender_until``.
    send_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sender: Mapped[str | None] = mapped_column(String(64))
    sender_until: Mapped[datetime | None]
    # The circuit: consecutive attempts that failed in a way worth retrying (network, 5xx,
    # 408, 429) across deliveries; once open, nothing is sent before circuit_open_until.
    circuit_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    circuit_open_until: Mapped[datetime | None]


class Message(Base):
    """One event's payload, shared by its deliveries to every subscription."""

    __tablename__ = "webhook_messages"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_...
    event_type: Mapped[str] = mapped_column(String(64))
    channel_code: Mapped[str] = mapped_column(String(100), index=True)
    sku: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(16))
    snapshot_version: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


DeliveryStatus = Literal["pending", "succeeded", "failed", "cancelled"]
DELIVERY_STATUSES: tuple[DeliveryStatus, ...] = get_args(DeliveryStatus)


class Delivery(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        # an ordering key's pending deliveries in sequence (status before sequence: the
        # claim asks, per candidate, for an earlier pending one of the same key)
        Index("ix_webhook_deliveries_order", "subscription_id", "ordering_key", "status",
              "sequence"),
        # a send job's claim: one subscription's due deliveries, oldest due first
        Index("ix_webhook_deliveries_subscription_due", "subscription_id", "status",
              "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(ForeignKey("webhook_messages.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # deliveries with the same key go out one at a time, in sequence (sku:locale)
    ordering_key: Mapped[str] = mapped_column(String(300))
    sequence: Mapped[int] = mapped_column(Integer)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # the send job that holds the delivery in its batch (next_attempt_at is then the lease's
    # end): a rerun of that job after its worker died takes it over at once, anyone else
    # once the lease has run out
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Attempt(Base):
    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
