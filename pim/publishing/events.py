"""Recording webhook events in the publishing transaction, when the webhooks slice is there.

The import is checked at call time rather than at import time so publishing works before
(and without) ``pim.webhooks.events``, and starts recording the moment it lands.
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy.orm import Session

PRODUCT_PUBLISHED = "product.published"
PRODUCT_WITHDRAWN = "product.withdrawn"
RELEASE_PUBLISHED = "release.published"
FEED_CHANGED = "channel.feed_changed"


def _recorder():
    try:
        module = importlib.import_module("pim.webhooks.events")
    except ModuleNotFoundError as error:
        if error.name in ("pim.webhooks.events", "pim.webhooks"):
            return None
        raise
    return getattr(module, "record_event", None)


def record(session: Session, event_type: str, *, channel: str, sku: str | None = None,
           locale: str | None = None, snapshot_version: int | None = None,
           payload: dict[str, Any]) -> bool:
    """Record one event; False when no webhooks slice is installed."""
    record_event = _recorder()
    if record_event is None:
        return False
    record_event(session, event_type, channel=channel, sku=sku, locale=locale,
                 snapshot_version=snapshot_version, payload=payload)
    return True
