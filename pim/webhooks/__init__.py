"""Webhooks to storefronts, signed per the Standard Webhooks specification.

Publishing's events are recorded inside its transaction (:func:`record_event`, connected to
``pim.publishing.events`` in ``pim.wiring``); jobs send after commit.
The API, UI and CLI manage subscriptions and read the delivery log through the service
functions named here.
"""

from pim.webhooks.events import record_event
from pim.webhooks.service import (
    change_subscription,
    create_subscription,
    delete_subscription,
    disable_subscription,
    enable_subscription,
    get_delivery,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    redeliver,
    redeliver_failed_since,
    rotate_secret,
    update_subscription,
)

__all__ = [
    "change_subscription", "create_subscription", "delete_subscription", "disable_subscription",
    "enable_subscription", "get_delivery", "get_subscription", "list_deliveries",
    "list_subscriptions", "record_event", "redeliver", "redeliver_failed_since",
    "rotate_secret", "update_subscription",
]
