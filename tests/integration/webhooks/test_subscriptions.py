"""Subscriptions, event recording, the address policy and manual redelivery."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from tests.integration.webhooks.receiver import Receiver, Reply, wait_for


def test_events_are_recorded_only_for_subscribed_event_types(hooks):
    with Receiver() as receiver:
        hooks.subscribe(receiver, events=["product.withdrawn"])
        assert hooks.publish(event="product.published") == 0
        assert hooks.publish(event="product.withdrawn", variant={}) == 1


def test_a_rolled_back_publication_records_no_delivery(hooks):
    from pim.db import session_scope
    from pim.webhooks import record_event

    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        with pytest.raises(RuntimeError), session_scope() as session:
            record_event(session, "product.published", channel="webshop", sku="S",
                         locale="en_GB", snapshot_version=1, payload={})
            raise RuntimeError("publication failed")
    assert hooks.deliveries(sub.id) == []


def test_private_addresses_are_refused_at_creation(hooks):
    from pim.db import session_scope
    from pim.net import UnsafeTarget
    from pim.webhooks.schemas import SubscriptionIn
    from pim.webhooks.service import create_subscription

    for url in ("http://10.1.2.3/hook", "http://169.254.169.254/latest", "http://[::1]/x",
                "http://[::ffff:10.0.0.1]/x", "ftp://example.com/x"):
        with pytest.raises(UnsafeTarget), session_scope() as session:
            create_subscription(session, SubscriptionIn(channel="webshop", url=url))


def test_allowlisted_loopback_is_accepted_and_delivered(hooks):
    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        hooks.publish()
        wait_for(lambda: receiver.requests, step=hooks.send_due)
    assert sub.url.startswith("http://127.0.0.1:")


def test_a_send_rechecks_the_address_right_before_connecting(hooks, monkeypatch):
    from pim.config import reset_settings

    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        monkeypatch.setenv("PIM_WEBHOOK_ALLOW_HOSTS", "")  # loopback no longer allowed
        reset_settings()
        hooks.publish()
        [delivery] = wait_for(lambda: [d for d in hooks.deliveries(sub.id)
                                       if d.status == "failed"], step=hooks.send_due)
    assert receiver.requests == []
    assert delivery.attempts[0].error.startswith("refused: ")


def test_redelivering_one_delivery_keeps_its_webhook_id(hooks):
    from pim.db import session_scope
    from pim.webhooks.service import redeliver

    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        hooks.publish()
        [first] = wait_for(lambda: receiver.requests, step=hooks.send_due)
        [original] = hooks.deliveries(sub.id)
        with session_scope() as session:
            copy = redeliver(session, original.id)
        wait_for(lambda: len(receiver.requests) == 2, step=hooks.send_due)
    assert copy.id != original.id and copy.message_id == original.message_id
    assert receiver.requests[1].headers["webhook-id"] == first.headers["webhook-id"]
    assert receiver.requests[1].body == first.body


def test_redelivering_everything_failed_since_a_time(hooks):
    from pim.db import session_scope, utcnow
    from pim.webhooks.service import redeliver_failed_since

    outage = {"on": True}
    with Receiver(lambda n, r: Reply(400 if outage["on"] else 200)) as receiver:
        sub = hooks.subscribe(receiver)
        before_outage = utcnow() - timedelta(seconds=1)
        for n in range(3):
            hooks.publish(sku=f"SKU-{n}")
        wait_for(lambda: len(hooks.deliveries(sub.id, status="failed")) == 3,
                 step=hooks.send_due)
        outage["on"] = False
        with session_scope() as session:
            assert redeliver_failed_since(session, sub.id, before_outage) == 3
        with session_scope() as session:  # already pending again: nothing new
            assert redeliver_failed_since(session, sub.id, before_outage) == 0
        wait_for(lambda: len(hooks.deliveries(sub.id, status="succeeded")) == 3,
                 step=hooks.send_due)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert sorted(ids[:3]) == sorted(ids[3:])  # same webhook-ids again
    skus = sorted(json.loads(r.body)["data"]["sku"] for r in receiver.requests[3:])
    assert skus == ["SKU-0", "SKU-1", "SKU-2"]


def test_disabled_subscription_pauses_and_enable_resumes(hooks):
    from pim.db import session_scope
    from pim.webhooks.service import disable_subscription, enable_subscription

    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        hooks.publish()
        with session_scope() as session:
            disable_subscription(session, sub.id)
        hooks.send_due()
        assert receiver.requests == []
        with session_scope() as session:
            enable_subscription(session, sub.id)
        wait_for(lambda: receiver.requests, step=hooks.send_due)


def test_cli_add_prints_the_id_and_secret_once_and_list_never_shows_it(hooks):
    from pim.cli import main

    with Receiver() as receiver:
        added = CliRunner().invoke(main, ["webhook", "add", "--channel", "webshop", "--url",
                                          receiver.url, "--events", "product.published",
                                          "--description", "shop"])
        assert added.exit_code == 0, added.output
        secret = next(line.split(": ", 1)[1] for line in added.output.splitlines()
                      if line.startswith("secret: "))
        assert secret.startswith("whsec_")
        listed = CliRunner().invoke(main, ["webhook", "list"])
    assert listed.exit_code == 0 and "whsec_" not in listed.output
    assert receiver.url in listed.output and "product.published" in listed.output


def test_cli_deliveries_and_redeliver(hooks):
    from pim.cli import main

    with Receiver(lambda n, r: Reply(400 if n == 0 else 200)) as receiver:
        sub = hooks.subscribe(receiver)
        hooks.publish()
        [failed] = wait_for(lambda: hooks.deliveries(sub.id, status="failed"),
                            step=hooks.send_due)
        log = CliRunner().invoke(main, ["webhook", "deliveries", str(sub.id), "--status",
                                        "failed", "--attempts"])
        assert log.exit_code == 0 and failed.message_id in log.output and "400" in log.output
        again = CliRunner().invoke(main, ["webhook", "redeliver", str(failed.id)])
        assert again.exit_code == 0, again.output
        wait_for(lambda: len(receiver.requests) == 2, step=hooks.send_due)


def webhook_cli(*args):
    from pim.cli import main

    return CliRunner().invoke(main, ["webhook", *map(str, args)])


def test_cli_update_changes_only_what_is_given_and_keeps_the_secret(hooks):
    from pim.db import read_session
    from pim.webhooks.service import get_subscription_row

    with Receiver() as receiver, Receiver() as moved:
        sub = hooks.subscribe(receiver, description="shop")
        with read_session() as session:
            secret = get_subscription_row(session, sub.id).secret
        result = webhook_cli("update", sub.id, "--url", moved.url, "--events",
                             "product.withdrawn")
        assert result.exit_code == 0, result.output
        assert f"subscription {sub.id} (webshop -> {moved.url})" in result.output
        assert "events: product.withdrawn" in result.output
        with read_session() as session:
            row = get_subscription_row(session, sub.id)
            assert (row.url, row.events, row.description) == (
                moved.url, ["product.withdrawn"], "shop")
            assert row.secret == secret
        assert hooks.publish(event="product.published") == 0
        assert hooks.publish(event="product.withdrawn", variant={}) == 1
        wait_for(lambda: moved.requests, step=hooks.send_due)
    assert receiver.requests == []


def test_cli_update_refuses_what_the_api_refuses_naming_it(hooks):
    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        private = webhook_cli("update", sub.id, "--url", "http://10.1.2.3/hook")
        assert private.exit_code == 1 and "Error:" in private.output
        assert "10.1.2.3" in private.output, private.output
        nothing = webhook_cli("update", sub.id)
        assert nothing.exit_code == 2 and "at least one of --url" in nothing.output
        missing = webhook_cli("update", 999999, "--description", "x")
        assert missing.exit_code == 1
        assert "webhook subscription 999999 does not exist" in missing.output
        assert receiver.url in webhook_cli("list").output  # unchanged


def test_cli_remove_deletes_the_subscription_and_its_log(hooks):
    from pim.db import read_session
    from pim.webhooks.models import Delivery, Subscription

    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        hooks.publish()
        result = webhook_cli("remove", sub.id)
        assert result.exit_code == 0, result.output
        assert result.output == f"subscription {sub.id} removed, with its delivery log\n"
    with read_session() as session:
        assert session.get(Subscription, sub.id) is None
        assert session.query(Delivery).count() == 0
    again = webhook_cli("remove", sub.id)
    assert again.exit_code == 1 and f"subscription {sub.id} does not exist" in again.output
