"""What goes in and out of the webhook services (never ORM objects)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from pim.webhooks.models import EVENT_TYPES, DeliveryStatus


class SubscriptionIn(BaseModel):
    channel: str
    url: str = Field(max_length=2000, json_schema_extra={"pattern": "^https?://[^/?#@]+"},
                     description="http or https; a private address only where "
                                 "PIM_WEBHOOK_ALLOW_HOSTS allows it.")
    events: list[str] = Field(default_factory=lambda: list(EVENT_TYPES))
    description: str = ""


class SubscriptionPatch(BaseModel):
    url: str | None = Field(None, max_length=2000)
    events: list[str] | None = None
    description: str | None = None


class SubscriptionOut(BaseModel):
    """A subscription as shown to people: the secret is never part of it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    url: str
    events: list[str]
    description: str
    active: bool
    flagged: bool
    consecutive_failures: int
    disabled_reason: str | None
    rotating_until: datetime | None  # the previous secret still signs until then
    created_at: datetime

    @classmethod
    def of(cls, row) -> SubscriptionOut:
        return cls(
            id=row.id, channel=row.channel_code, url=row.url, events=list(row.events or []),
            description=row.description or "", active=row.active, flagged=row.flagged,
            consecutive_failures=row.consecutive_failures,
            disabled_reason=row.disabled_reason,
            rotating_until=row.previous_secret_expires_at if row.previous_secret else None,
            created_at=row.created_at,
        )


class SubscriptionWithSecret(SubscriptionOut):
    """Returned once, on creation or rotation: the only time the secret is shown."""

    secret: str


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int | None
    response_body: str
    error: str | None


class DeliveryOut(BaseModel):
    id: int
    subscription_id: int
    message_id: str  # the webhook-id header
    event_type: str
    sku: str | None
    locale: str | None
    snapshot_version: int | None
    status: DeliveryStatus
    ordering_key: str
    sequence: int
    attempt_count: int
    next_attempt_at: datetime | None
    created_at: datetime
    completed_at: datetime | None
    last_error: str | None
    attempts: list[AttemptOut] | None = None  # filled when one delivery is asked for

    @classmethod
    def of(cls, delivery, message, attempts=None) -> DeliveryOut:
        return cls(
            id=delivery.id, subscription_id=delivery.subscription_id, message_id=message.id,
            event_type=message.event_type, sku=message.sku, locale=message.locale,
            snapshot_version=message.snapshot_version, status=delivery.status,
            ordering_key=delivery.ordering_key, sequence=delivery.sequence,
            attempt_count=delivery.attempt_count, next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at, completed_at=delivery.completed_at,
            last_error=delivery.last_error,
            attempts=None if attempts is None
            else [AttemptOut.model_validate(a) for a in attempts],
        )


class SubscriptionChanges(SubscriptionPatch):
    """The API's PATCH body: the editable fields, plus ``active`` (false disables, true
    enables and sends what was paused)."""

    active: bool | None = None


class RedeliverFailedIn(BaseModel):
    since: datetime = Field(description="Failed at or after this time (UTC unless a zone "
                                        "is given).")


class RedeliveredCount(BaseModel):
    count: int = Field(description="How many deliveries were created and queued.")
