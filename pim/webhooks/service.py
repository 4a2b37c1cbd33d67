"""Subscriptions and the delivery log: the functions the API, UI and CLI call."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from pim.db import utcnow
from pim.errors import Conflict, Invalid, NotFound
from pim.net import webhook_policy
from pim.webhooks.events import next_sequences
from pim.webhooks.jobs import wake_subscriptions
from pim.webhooks.models import (
    DELIVERY_STATUSES,
    EVENT_TYPES,
    Attempt,
    Delivery,
    Message,
    Subscription,
)
from pim.webhooks.schemas import (
    DeliveryOut,
    SubscriptionChanges,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionWithSecret,
)
from pim.webhooks.signing import generate_secret
from pim.workflow.models import Channel

# How long the previous secret keeps signing after a rotation: receivers switch over meanwhile.
DEFAULT_ROTATION_GRACE = timedelta(hours=24)


def clean_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown or not events:
        raise Invalid(f"event types must be among {', '.join(EVENT_TYPES)}; "
                      f"got {', '.join(unknown) or 'none'}",
                      errors=[{"field": "events", "message": f"unknown: {unknown}"}])
    return sorted(set(events), key=EVENT_TYPES.index)


def create_subscription(session: Session, data: SubscriptionIn) -> SubscriptionWithSecret:
    """Subscribe a URL to a channel's events. The secret is returned here and never again."""
    if session.get(Channel, data.channel) is None:
        raise NotFound(f"channel {data.channel!r} does not exist")
    secret = generate_secret()
    row = Subscription(channel_code=data.channel, url=webhook_policy().validate(data.url.strip()),
                       events=clean_events(data.events), secret=secret,
                       description=data.description, active=True, flagged=False,
                       consecutive_failures=0, created_at=utcnow())
    session.add(row)
    session.flush()
    return SubscriptionWithSecret(**SubscriptionOut.of(row).model_dump(), secret=secret)


def get_subscription_row(session: Session, subscription_id: int) -> Subscription:
    row = session.get(Subscription, subscription_id)
    if row is None:
        raise NotFound(f"webhook subscription {subscription_id} does not exist")
    return row


def get_subscription(session: Session, subscription_id: int) -> SubscriptionOut:
    return SubscriptionOut.of(get_subscription_row(session, subscription_id))


def list_subscriptions(session: Session, *, channel: str | None = None,
                       active: bool | None = None) -> list[SubscriptionOut]:
    query = select(Subscription).order_by(Subscription.id)
    if channel is not None:
        query = query.where(Subscription.channel_code == channel)
    if active is not None:
        query = query.where(Subscription.active.is_(active))
    return [SubscriptionOut.of(row) for row in session.scalars(query)]


def failing_subscriptions(session: Session) -> list[SubscriptionOut]:
    """Subscriptions that need someone: disabled after failures, or active and failing
    (deliveries given up in a row, or attempts failing right now: an open circuit)."""
    now = utcnow()
    query = (select(Subscription).where(or_(
        and_(Subscription.active.is_(False), Subscription.disabled_reason.is_not(None)),
        and_(Subscription.active.is_(True), or_(
            Subscription.consecutive_failures > 0, Subscription.circuit_failures > 0,
            Subscription.circuit_open_until > now))))
        .order_by(Subscription.active, Subscription.id))
    return [SubscriptionOut.of(row) for row in session.scalars(query)]


def update_subscription(session: Session, subscription_id: int,
                        patch: SubscriptionPatch) -> SubscriptionOut:
    row = get_subscription_row(session, subscription_id)
    if patch.url is not None:
        row.url = webhook_policy().validate(patch.url.strip())
    if patch.events is not None:
        row.events = clean_events(patch.events)
    if patch.description is not None:
        row.description = patch.description
    session.flush()
    return SubscriptionOut.of(row)


def change_subscription(session: Session, subscription_id: int, changes: SubscriptionChanges,
                        *, changed_by: str) -> SubscriptionOut:
    """Change a subscription's URL, events or description, then its active state: ``False``
    disables it (as ``disable_subscription``), ``True`` enables it (as
    ``enable_subscription``); absent fields are untouched."""
    current = update_subscription(session, subscription_id, changes)
    if changes.active is False and current.active:
        current = disable_subscription(session, subscription_id, f"disabled by {changed_by}")
    elif changes.active is True and not current.active:
        current = enable_subscription(session, subscription_id)
    return current


def delete_subscription(session: Session, subscription_id: int) -> None:
    session.delete(get_subscription_row(session, subscription_id))
    session.flush()


def disable_subscription(session: Session, subscription_id: int,
                         reason: str = "disabled by an operator") -> SubscriptionOut:
    """Stop sending. Pending deliveries stay pending (paused) and resume on enable."""
    row = get_subscription_row(session, subscription_id)
    row.active = False
    row.disabled_reason = reason
    session.flush()
    return SubscriptionOut.of(row)


def enable_subscription(session: Session, subscription_id: int) -> SubscriptionOut:
    """Resume sending: clears the flag and the failure count, and sends what was paused."""
    row = get_subscription_row(session, subscription_id)
    row.active, row.flagged, row.consecutive_failures = True, False, 0
    row.circuit_failures, row.circuit_open_until = 0, None
    row.disabled_reason = None
    session.flush()
    wake_subscriptions(session, [row.id])
    return SubscriptionOut.of(row)


def rotate_secret(session: Session, subscription_id: int, *,
                  grace: timedelta = DEFAULT_ROTATION_GRACE) -> SubscriptionWithSecret:
    """Issue a new secret; the current one keeps signing too (two signatures per request)
    for ``grace``, so the receiver can switch without dropping a webhook."""
    row = get_subscription_row(session, subscription_id)
    row.previous_secret = row.secret
    row.previous_secret_expires_at = utcnow() + grace
    row.secret = generate_secret()
    session.flush()
    return SubscriptionWithSecret(**SubscriptionOut.of(row).model_dump(), secret=row.secret)


def list_deliveries(session: Session, subscription_id: int, *, status: str | None = None,
                    since: datetime | None = None, limit: int = 100,
                    before_id: int | None = None) -> list[DeliveryOut]:
    """A subscription's deliveries, newest first (``before_id`` pages further back)."""
    get_subscription_row(session, subscription_id)
    if status is not None and status not in DELIVERY_STATUSES:
        raise Invalid.not_one_of("status", status, DELIVERY_STATUSES, "delivery status")
    query = (select(Delivery, Message).join(Message, Message.id == Delivery.message_id)
             .where(Delivery.subscription_id == subscription_id)
             .order_by(Delivery.id.desc()).limit(limit))
    if status is not None:
        query = query.where(Delivery.status == status)
    if since is not None:
        query = query.where(Delivery.created_at >= since)
    if before_id is not None:
        query = query.where(Delivery.id < before_id)
    return [DeliveryOut.of(d, m) for d, m in session.execute(query)]


def list_attempts(session: Session, delivery_id: int) -> list[Attempt]:
    return list(session.scalars(
        select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.id)))


def get_delivery(session: Session, delivery_id: int) -> DeliveryOut:
    """One delivery with all its attempts."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"webhook delivery {delivery_id} does not exist")
    message = session.get(Message, delivery.message_id)
    return DeliveryOut.of(delivery, message, list_attempts(session, delivery_id))


def new_delivery_of(session: Session, original: Delivery) -> Delivery:
    """A fresh pending delivery of the same message (same webhook-id), queued behind
    whatever is pending for its ordering key."""
    subscription = get_subscription_row(session, original.subscription_id)
    if not subscription.active:
        raise Conflict(f"webhook subscription {subscription.id} is disabled; enable it first")
    [sequence] = next_sequences(session, [subscription], original.ordering_key)
    now = utcnow()
    copy = Delivery(subscription_id=original.subscription_id, message_id=original.message_id,
                    ordering_key=original.ordering_key, sequence=sequence, status="pending",
                    attempt_count=0, next_attempt_at=now, created_at=now)
    session.add(copy)
    session.flush()
    return copy


def redeliver(session: Session, delivery_id: int) -> DeliveryOut:
    """Send one delivery's message again (any status), as a new delivery."""
    original = session.get(Delivery, delivery_id)
    if original is None:
        raise NotFound(f"webhook delivery {delivery_id} does not exist")
    copy = new_delivery_of(session, original)
    wake_subscriptions(session, [copy.subscription_id])
    return DeliveryOut.of(copy, session.get(Message, copy.message_id))


def redeliver_failed_since(session: Session, subscription_id: int, since: datetime) -> int:
    """Send again every message whose delivery failed at or after ``since``, in their
    original order. Messages already pending again or delivered since are skipped, so
    running it twice does not send twice. Returns how many deliveries were created."""
    get_subscription_row(session, subscription_id)
    failed = session.scalars(
        select(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status == "failed",
               Delivery.completed_at >= since)
        .order_by(Delivery.ordering_key, Delivery.sequence, Delivery.id)
    ).all()
    settled = set(session.scalars(
        select(Delivery.message_id)
        .where(Delivery.subscription_id == subscription_id,
               Delivery.status.in_(("pending", "succeeded")),
               Delivery.message_id.in_([d.message_id for d in failed]))
    ))
    copies = []
    for original in failed:
        if original.message_id not in settled:
            settled.add(original.message_id)
            copies.append(new_delivery_of(session, original))
    if copies:
        wake_subscriptions(session, [subscription_id])
    return len(copies)
