"""Webhook test helpers: a channel, subscriptions, publications and a way to drive sends."""

from __future__ import annotations

import pytest

from tests.integration.webhooks.receiver import Receiver


@pytest.fixture(autouse=True)
def fresh_clients():
    """Each test's receivers are new: no pooled connection outlives its test."""
    yield
    from pim.webhooks.delivery import close_clients

    close_clients()


@pytest.fixture
def hooks(db, monkeypatch):
    """Loopback allowlisted, fast retries, one channel ``webshop``."""
    from pim.config import reset_settings
    from pim.db import session_scope
    from pim.workflow.models import Channel

    monkeypatch.setenv("PIM_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("PIM_WEBHOOK_RETRY_SCHEDULE", "0.2,0.2,0.2")
    monkeypatch.setenv("PIM_WEBHOOK_TIMEOUT", "1")
    reset_settings()
    with session_scope() as session:
        session.add(Channel(code="webshop", kind="storefront", label="Web shop"))
    yield Hooks()
    reset_settings()


class Hooks:
    channel = "webshop"

    def subscribe(self, receiver: Receiver, events=None, **kw):
        from pim.db import session_scope
        from pim.webhooks.schemas import SubscriptionIn
        from pim.webhooks.service import create_subscription

        data = SubscriptionIn(channel=self.channel, url=receiver.url,
                              **({"events": events} if events else {}), **kw)
        with session_scope() as session:
            created = create_subscription(session, data)
        receiver.secrets.append(created.secret)
        return created

    def publish(self, sku="SKU-1", version=1, locale="en_GB", variant=None,
                event="product.published") -> int:
        from pim.db import session_scope
        from pim.webhooks import record_event

        with session_scope() as session:
            return record_event(session, event, channel=self.channel, sku=sku, locale=locale,
                                snapshot_version=version,
                                payload=variant if variant is not None else {"sku": sku,
                                                                             "v": version})

    def send_due(self):
        from pim.webhooks.jobs import send_due_deliveries

        return send_due_deliveries()

    def deliveries(self, subscription_id: int, **filters):
        from pim.db import session_scope
        from pim.webhooks.service import get_delivery, list_deliveries

        with session_scope() as session:
            rows = list_deliveries(session, subscription_id, **filters)
            return [get_delivery(session, d.id) for d in rows]

    def circuit(self, subscription_id: int):
        """(consecutive retryable failures, open until or None)."""
        from pim.db import read_session
        from pim.webhooks.models import Subscription

        with read_session() as session:
            row = session.get(Subscription, subscription_id)
            return row.circuit_failures, row.circuit_open_until

    def subscription(self, subscription_id: int):
        from pim.db import session_scope
        from pim.webhooks.service import get_subscription

        with session_scope() as session:
            return get_subscription(session, subscription_id)


@pytest.fixture
def runner(hooks, monkeypatch):
    """The embedded jobs runner (two threads) of this process, stopped after the test."""
    from pim.jobs.embedded import start_embedded_runner, stop_embedded_runner
    from pim.jobs.settings import reset_job_settings

    monkeypatch.setenv("PIM_JOB_POLL_INTERVAL", "0.05")
    reset_job_settings()
    started = start_embedded_runner(workers=2)
    try:
        yield started
    finally:
        stop_embedded_runner(started, timeout=10)
        reset_job_settings()
