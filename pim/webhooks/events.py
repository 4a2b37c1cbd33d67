"""Recording webhook events inside the caller's transaction.

Publishing announces its events (``pim.publishing.events.event_recorded``, connected to
:func:`record_publishing_event` in ``pim.wiring``) in its own transaction: the message and one delivery
per matching subscription are written with the snapshot, so a publication and its webhooks
commit (or roll back) together. Sending happens after commit, in one send job per
subscription that a burst of publications shares (see ``jobs.py`` and ``sender.py``).
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session

from pim.config import get_settings
from pim.db import utcnow
from pim.errors import Invalid
from pim.publishing.events import PRODUCT_PUBLISHED, PRODUCT_WITHDRAWN, PublishingEvent
from pim.webhooks.jobs import wake_subscriptions
from pim.webhooks.models import EVENT_TYPES, Delivery, Message, Subscription

PRODUCT_EVENTS = (PRODUCT_PUBLISHED, PRODUCT_WITHDRAWN)


def new_message_id() -> str:
    """``msg_`` + 12 hex digits of milliseconds (so ids sort by time) + 80 random bits.

    The id is the ``webhook-id`` header: it names the event, not the attempt, so every retry
    and every manual redelivery of a message carries it, and the subscriptions of a channel
    that receive the same event receive the same id (the Standard Webhooks reading: the id
    identifies the message). Receivers deduplicate on it.
    """
    return f"msg_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def ordering_key_for(event_type: str, sku: str | None, locale: str | None) -> str:
    """Deliveries sharing a key go out one at a time, in sequence. Product events are ordered
    per (sku, locale) so one product's versions never overtake each other while different
    products flow in parallel; other events are ordered per event type."""
    if sku is not None:
        return f"{sku}:{locale or ''}"
    return event_type


def snapshot_url(channel: str, sku: str, locale: str | None, version: int | None) -> str:
    """Where a receiver fetches a variant too large to send inline (served by the REST API):
    ``{base_url}/api/v1/channels/{channel}/snapshots/{sku}?locale=..&version=..``."""
    base = get_settings().base_url.rstrip("/")
    query = {k: v for k, v in (("locale", locale), ("version", version)) if v is not None}
    path = f"/api/v1/channels/{quote(channel, safe='')}/snapshots/{quote(sku, safe='')}"
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")


def build_body(event_type: str, occurred_at: datetime, *, channel: str, sku: str | None,
               locale: str | None, snapshot_version: int | None,
               payload: dict[str, Any]) -> str:
    """The JSON body, minified and fixed once: retries must sign the very same bytes."""
    data: dict[str, Any] = {"channel": channel, "locale": locale, "sku": sku,
                            "snapshot_version": snapshot_version}
    if event_type in PRODUCT_EVENTS:
        data["variant"] = payload or None
    else:
        data.update({k: v for k, v in payload.items() if k not in data})
    envelope = {"type": event_type,
                "timestamp": occurred_at.isoformat().replace("+00:00", "Z"), "data": data}
    body = orjson.dumps(envelope)
    if len(body) > get_settings().webhook_max_payload_bytes and sku is not None:
        # Too big to push: send a thin payload that says where to pull the variant from.
        data.pop("variant", None)
        data["variant_url"] = snapshot_url(channel, sku, locale, snapshot_version)
        data["variant_too_large"] = True
        body = orjson.dumps(envelope)
    return body.decode()


# Built once: these run in every publishing transaction.
SUBSCRIBERS = select(Subscription.id, Subscription.events, Subscription.send_generation,
                     Subscription.sender_until) \
    .where(Subscription.channel_code == bindparam("channel"), Subscription.active.is_(True)) \
    .order_by(Subscription.id)
LAST_SEQUENCES = select(Delivery.subscription_id, func.max(Delivery.sequence)) \
    .where(Delivery.subscription_id.in_(bindparam("ids", expanding=True)),
           Delivery.ordering_key == bindparam("key")) \
    .group_by(Delivery.subscription_id)
INSERT_MESSAGE = insert(Message.__table__)
INSERT_DELIVERY = insert(Delivery.__table__)


def record_event(session: Session, event_type: str, *, channel: str, sku: str | None = None,
                 locale: str | None = None, snapshot_version: int | None = None,
                 payload: dict) -> int:
    """Record one event for every active subscription of ``channel`` that wants it.

    Writes one :class:`Message` (the body) and one pending :class:`Delivery` per matching
    subscription in the caller's session, and wakes the subscriptions' send jobs, which run
    once the caller commits. Returns the number of deliveries created (0: nobody
    subscribed, and no message is stored).

    ``payload`` is the published variant for ``product.*`` events (``data.variant``; empty
    for a withdrawal); for other events its keys are merged into ``data``.
    """
    if event_type not in EVENT_TYPES:
        raise Invalid(f"unknown webhook event type {event_type!r}; one of {EVENT_TYPES}")
    subscribers = [(row.id, (row.send_generation, row.sender_until))
                   for row in session.execute(SUBSCRIBERS, {"channel": channel})
                   if event_type in (row.events or ())]
    if not subscribers:
        return 0
    ids = [i for i, _ in subscribers]
    now = utcnow()
    message_id = new_message_id()
    session.execute(INSERT_MESSAGE, {
        "id": message_id, "event_type": event_type, "channel_code": channel, "sku": sku,
        "locale": locale, "snapshot_version": snapshot_version, "created_at": now,
        "body": build_body(event_type, now, channel=channel, sku=sku, locale=locale,
                           snapshot_version=snapshot_version, payload=payload)})
    key = ordering_key_for(event_type, sku, locale)
    session.execute(INSERT_DELIVERY, [
        {"subscription_id": i, "message_id": message_id, "ordering_key": key,
         "sequence": sequence, "status": "pending", "attempt_count": 0,
         "next_attempt_at": now, "created_at": now}
        for i, sequence in zip(ids, next_sequences_of(session, ids, key), strict=True)])
    wake_subscriptions(session, ids, senders=dict(subscribers))
    return len(ids)


def record_publishing_event(session: Session, event: PublishingEvent) -> None:
    """The listener of publishing's announcements: one webhook event each."""
    record_event(session, event.type, channel=event.channel, sku=event.sku,
                 locale=event.locale, snapshot_version=event.snapshot_version,
                 payload=event.payload)


def next_sequences_of(session: Session, subscription_ids: list[int], key: str) -> list[int]:
    """The next sequence number of ``key`` for each subscription (one grouped query)."""
    current = dict(session.execute(LAST_SEQUENCES, {"ids": subscription_ids, "key": key})
                   .all())
    return [(current.get(i) or 0) + 1 for i in subscription_ids]


def next_sequences(session: Session, subscriptions: list[Subscription], key: str) -> list[int]:
    return next_sequences_of(session, [s.id for s in subscriptions], key)
