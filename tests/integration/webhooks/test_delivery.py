"""Delivery over real HTTP: retries, status handling, signatures, order."""

from __future__ import annotations

import json

from tests.integration.webhooks.receiver import Receiver, Reply, wait_for


def test_retried_delivery_keeps_its_webhook_id_and_logs_every_attempt(hooks, runner):
    script = lambda n, r: Reply(500 if n < 2 else 200)  # noqa: E731
    with Receiver(script) as receiver:
        sub = hooks.subscribe(receiver)
        assert hooks.publish() == 1
        wait_for(lambda: len(receiver.requests) == 3)
        [delivery] = wait_for(lambda: [d for d in hooks.deliveries(sub.id)
                                       if d.status == "succeeded"])
    assert all(r.verified for r in receiver.requests)
    assert {r.headers["webhook-id"] for r in receiver.requests} == {delivery.message_id}
    assert [a.status_code for a in delivery.attempts] == [500, 500, 200]
    assert all(a.latency_ms is not None for a in delivery.attempts)
    body = json.loads(receiver.requests[-1].body)
    assert body["type"] == "product.published"
    assert body["data"] == {"channel": "webshop", "locale": "en_GB", "sku": "SKU-1",
                            "snapshot_version": 1, "variant": {"sku": "SKU-1", "v": 1}}


def test_gone_disables_the_subscription(hooks):
    with Receiver(lambda n, r: Reply(410)) as receiver:
        sub = hooks.subscribe(receiver)
        hooks.publish()
        wait_for(lambda: not hooks.subscription(sub.id).active, step=hooks.send_due)
    [delivery] = hooks.deliveries(sub.id)
    assert delivery.status == "failed" and len(delivery.attempts) == 1
    assert "410" in hooks.subscription(sub.id).disabled_reason


def test_timeout_is_retried(hooks):
    script = lambda n, r: Reply(200, sleep=2.5 if n == 0 else 0)  # noqa: E731
    with Receiver(script) as receiver:
        sub = hooks.subscribe(receiver)
        hooks.publish()
        [delivery] = wait_for(lambda: [d for d in hooks.deliveries(sub.id)
                                       if d.status == "succeeded"], step=hooks.send_due)
    assert "timeout" in delivery.attempts[0].error
    assert delivery.attempts[0].status_code is None
    assert delivery.attempts[1].status_code == 200


def test_retry_after_is_honoured_over_a_shorter_schedule(hooks, runner):
    script = lambda n, r: Reply(429, {"retry-after": "2"}) if n == 0 else Reply(200)  # noqa: E731
    with Receiver(script) as receiver:
        hooks.subscribe(receiver)
        hooks.publish()
        wait_for(lambda: len(receiver.requests) == 2)
    gap = receiver.requests[1].at - receiver.requests[0].at
    assert gap >= 1.9  # the schedule alone would retry after 0.2 s


def test_client_errors_and_redirects_are_not_retried(hooks):
    replies = {"/hook": Reply(302, {"location": "/elsewhere"})}
    with Receiver(lambda n, r: replies.get(r.path, Reply(200))) as receiver:
        sub = hooks.subscribe(receiver)
        hooks.publish()
        [delivery] = wait_for(lambda: [d for d in hooks.deliveries(sub.id)
                                       if d.status == "failed"], step=hooks.send_due)
        hooks.send_due()
    assert [r.path for r in receiver.requests] == ["/hook"]  # the redirect was not followed
    assert [a.status_code for a in delivery.attempts] == [302]
    assert hooks.subscription(sub.id).flagged


def test_a_product_s_versions_arrive_in_order_behind_an_older_retry(hooks, runner):
    script = lambda n, r: Reply(503 if n == 0 else 200)  # noqa: E731
    with Receiver(script) as receiver:
        hooks.subscribe(receiver)
        for version in (1, 2, 3):
            hooks.publish(version=version)
        wait_for(lambda: len(receiver.requests) == 4)
    versions = [json.loads(r.body)["data"]["snapshot_version"] for r in receiver.requests]
    assert versions == [1, 1, 2, 3]


def test_a_later_version_proceeds_once_an_earlier_one_finally_fails(hooks):
    script = lambda n, r: Reply(400 if n == 0 else 200)  # noqa: E731
    with Receiver(script) as receiver:
        sub = hooks.subscribe(receiver)
        hooks.publish(version=1)
        hooks.publish(version=2)
        wait_for(lambda: len(receiver.requests) == 2, step=hooks.send_due)
    statuses = {d.snapshot_version: d.status for d in hooks.deliveries(sub.id)}
    assert statuses == {1: "failed", 2: "succeeded"}


def test_rotated_secret_signs_with_both_secrets(hooks):
    from standardwebhooks.webhooks import Webhook

    from pim.db import session_scope
    from pim.webhooks.service import rotate_secret

    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        old_secret = receiver.secrets[0]
        with session_scope() as session:
            new_secret = rotate_secret(session, sub.id).secret
        hooks.publish()
        [request] = wait_for(lambda: receiver.requests, step=hooks.send_due)
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    for secret in (old_secret, new_secret):
        Webhook(secret).verify(request.body, request.headers)  # raises when it does not match


def test_subscription_is_disabled_after_consecutive_failed_deliveries(hooks, monkeypatch):
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_WEBHOOK_DISABLE_AFTER", "3")
    reset_settings()
    with Receiver(lambda n, r: Reply(422)) as receiver:
        sub = hooks.subscribe(receiver)
        for n in range(3):
            hooks.publish(sku=f"SKU-{n}")
            wait_for(lambda n=n: len(receiver.requests) == n + 1, step=hooks.send_due)
            assert hooks.subscription(sub.id).active is (n < 2)
    after = hooks.subscription(sub.id)
    assert after.flagged and after.consecutive_failures == 3
    assert "3 consecutive" in after.disabled_reason
    assert hooks.publish(sku="SKU-9") == 0  # a disabled subscription gets nothing new


def test_an_oversized_variant_is_replaced_by_its_snapshot_url(hooks, monkeypatch):
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_WEBHOOK_MAX_PAYLOAD_BYTES", "1000")
    reset_settings()
    with Receiver() as receiver:
        hooks.subscribe(receiver)
        hooks.publish(sku="BIG 1", version=4, variant={"text": "x" * 2000})
        [request] = wait_for(lambda: receiver.requests, step=hooks.send_due)
    data = json.loads(request.body)["data"]
    assert "variant" not in data and request.verified
    assert data["variant_url"] == ("http://127.0.0.1:8000/api/v1/channels/webshop/snapshots/"
                                   "BIG%201?locale=en_GB&version=4")
