"""What publishing announces, in the publishing transaction: a product published or
withdrawn in a channel, a release published, a channel's feed changed.

``event_recorded`` is a listener registry (``pim.listeners``): the webhooks slice connects
``pim.webhooks.events.record_publishing_event`` in ``pim.wiring``, which writes the webhook
messages and deliveries beside the snapshots, so a publication and its webhooks commit (or
roll back) together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from pim.listeners import Listeners

PRODUCT_PUBLISHED = "product.published"
PRODUCT_WITHDRAWN = "product.withdrawn"
RELEASE_PUBLISHED = "release.published"
FEED_CHANGED = "channel.feed_changed"
EVENT_TYPES = (PRODUCT_PUBLISHED, PRODUCT_WITHDRAWN, RELEASE_PUBLISHED, FEED_CHANGED)


@dataclass(frozen=True, slots=True)
class PublishingEvent:
    """One event: ``payload`` is the published variant for ``product.*`` events (empty for
    a withdrawal), the event's details otherwise."""

    type: str
    channel: str
    sku: str | None = None
    locale: str | None = None
    snapshot_version: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


event_recorded: Listeners[[Session, PublishingEvent], None] = Listeners(
    "publishing.event_recorded")


def record(session: Session, event_type: str, *, channel: str, sku: str | None = None,
           locale: str | None = None, snapshot_version: int | None = None,
           payload: dict[str, Any]) -> None:
    """Announce one event to whoever listens, in ``session``'s transaction."""
    event_recorded(session, PublishingEvent(event_type, channel, sku, locale, snapshot_version,
                                            payload))
