"""Webhook subscriptions and the delivery log over the API: the secret shown once, rotation,
disable/enable, attempts of real deliveries to a local receiver, redelivery, admin only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from pim.db import utcnow
from tests.integration.webhooks.receiver import Receiver, Reply, wait_for

CHANNEL = "webshop-uk"
PROBLEM = "application/problem+json"


@pytest.fixture
def hooks(world, monkeypatch):
    """Loopback allowlisted (the receiver runs there) and fast retries."""
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("PIM_WEBHOOK_RETRY_SCHEDULE", "0.1,0.1")
    monkeypatch.setenv("PIM_WEBHOOK_TIMEOUT", "2")
    reset_settings()
    yield
    reset_settings()


def publish(sku: str = "EL-1", version: int = 1) -> int:
    from pim.db import session_scope
    from pim.webhooks import record_event

    with session_scope() as session:
        return record_event(session, "product.published", channel=CHANNEL, sku=sku,
                            locale="en_GB", snapshot_version=version,
                            payload={"sku": sku, "v": version})


def send_due() -> dict[str, int]:
    from pim.webhooks.jobs import send_due_deliveries

    return send_due_deliveries()


def subscribe(client, world, url: str, **body) -> dict:
    response = client.post("/api/v1/webhooks", json={"channel": CHANNEL, "url": url, **body},
                           headers=world.auth("admin"))
    assert response.status_code == 201, response.text
    return response.json()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


def test_the_secret_is_shown_on_creation_and_never_again(client, world, hooks):
    admin = world.auth("admin")
    created = client.post("/api/v1/webhooks", headers=admin, json={
        "channel": CHANNEL, "url": "http://127.0.0.1:9/hook", "events": ["product.published"],
        "description": "storefront"})
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["product.published"] and body["active"] is True
    assert created.headers["location"] == f"/api/v1/webhooks/{body['id']}"

    read = client.get(created.headers["location"], headers=admin).json()
    listed = client.get("/api/v1/webhooks", headers=admin).json()
    assert "secret" not in read and read["url"] == "http://127.0.0.1:9/hook"
    assert [s["id"] for s in listed] == [body["id"]] and "secret" not in listed[0]
    assert body["secret"] not in client.get("/api/v1/webhooks", headers=admin).text


def test_events_default_to_every_documented_type(client, world, hooks):
    from pim.webhooks.models import EVENT_TYPES

    assert subscribe(client, world, "http://127.0.0.1:9/")["events"] == list(EVENT_TYPES)


@pytest.mark.parametrize(("body", "field"), [
    ({"channel": "no-such-channel"}, "channel"),
    ({"url": "ftp://example.com/hook"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"url": "http://user:pw@example.com/"}, "url"),
    ({"url": "http://10.1.2.3/hook"}, "url"),
    ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
    ({"url": "http://[::1]:8080/"}, "url"),
    ({"url": "http://example.com:99999/"}, "url"),
    ({"url": "http://exa mple.com/"}, "url"),
    ({"events": ["product.exploded"]}, "events"),
    ({"events": []}, "events"),
])
def test_creation_refuses_bad_input_naming_the_field(client, world, hooks, body, field):
    full = {"channel": CHANNEL, "url": "http://127.0.0.1:9/hook", **body}
    refused = problem(client.post("/api/v1/webhooks", json=full, headers=world.auth("admin")),
                      422)
    assert [e["field"] for e in refused["errors"]] == [field]
    assert client.get("/api/v1/webhooks", headers=world.auth("admin")).json() == []


def test_loopback_is_refused_unless_allowlisted(client, world, monkeypatch):
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_WEBHOOK_ALLOW_HOSTS", "")
    reset_settings()
    response = client.post("/api/v1/webhooks", headers=world.auth("admin"),
                           json={"channel": CHANNEL, "url": "http://127.0.0.1:9/hook"})
    assert "loopback" in problem(response, 422)["errors"][0]["message"]


def test_a_malformed_body_is_a_400_problem_naming_the_field(client, world, hooks):
    response = client.post("/api/v1/webhooks", json={"channel": CHANNEL},
                           headers=world.auth("admin"))
    assert [e["field"] for e in problem(response, 400)["errors"]] == ["url"]


def test_patch_changes_only_what_it_names(client, world, hooks):
    admin = world.auth("admin")
    sub = subscribe(client, world, "http://127.0.0.1:9/a", description="first")
    changed = client.patch(f"/api/v1/webhooks/{sub['id']}", headers=admin, json={
        "url": "http://127.0.0.1:9/b", "events": ["release.published"]})
    assert changed.status_code == 200
    assert changed.json()["url"] == "http://127.0.0.1:9/b"
    assert changed.json()["events"] == ["release.published"]
    assert changed.json()["description"] == "first"
    refused = client.patch(f"/api/v1/webhooks/{sub['id']}", headers=admin,
                           json={"url": "http://192.168.1.1/"})
    assert problem(refused, 422)["errors"][0]["field"] == "url"
    assert client.get(f"/api/v1/webhooks/{sub['id']}", headers=admin).json()["url"] \
        == "http://127.0.0.1:9/b"


def test_unknown_ids_are_404_problems(client, world, hooks):
    admin = world.auth("admin")
    for method, path, body in [
        ("GET", "/api/v1/webhooks/424242", None),
        ("PATCH", "/api/v1/webhooks/424242", {"description": "x"}),
        ("DELETE", "/api/v1/webhooks/424242", None),
        ("POST", "/api/v1/webhooks/424242/disable", None),
        ("POST", "/api/v1/webhooks/424242/rotate-secret", None),
        ("GET", "/api/v1/webhooks/424242/deliveries", None),
        ("POST", "/api/v1/webhooks/424242/redeliver-failed", {"since": "2024-01-01T00:00:00Z"}),
        ("GET", "/api/v1/webhook-deliveries/424242", None),
        ("POST", "/api/v1/webhook-deliveries/424242/redeliver", None),
    ]:
        response = client.request(method, path, json=body, headers=admin)
        assert problem(response, 404)["instance"] == path


def test_deleting_a_subscription_stops_it_and_forgets_it(client, world, hooks):
    admin = world.auth("admin")
    sub = subscribe(client, world, "http://127.0.0.1:9/")
    assert client.delete(f"/api/v1/webhooks/{sub['id']}", headers=admin).status_code == 204
    problem(client.get(f"/api/v1/webhooks/{sub['id']}", headers=admin), 404)
    assert publish() == 0


def test_every_other_role_is_refused(client, world, hooks):
    sub = subscribe(client, world, "http://127.0.0.1:9/")
    for role in ("editor", "reviewer", "viewer"):
        problem(client.get("/api/v1/webhooks", headers=world.auth(role)), 403)
        problem(client.get(f"/api/v1/webhooks/{sub['id']}", headers=world.auth(role)), 403)
        problem(client.post(f"/api/v1/webhooks/{sub['id']}/rotate-secret",
                            headers=world.auth(role)), 403)
    problem(client.get("/api/v1/webhooks"), 401)


def test_a_real_delivery_leaves_its_attempts_in_the_log(client, world, hooks):
    admin = world.auth("admin")

    def script(n, received):  # a failed first attempt, then a long answer
        return (Reply(503, body=b"down for maintenance") if n == 0
                else Reply(200, body=b"x" * 5000))

    with Receiver(script) as receiver:
        sub = subscribe(client, world, receiver.url)
        receiver.secrets.append(sub["secret"])
        assert publish() == 1
        wait_for(lambda: len(receiver.requests) == 2, step=send_due)

    page = client.get(f"/api/v1/webhooks/{sub['id']}/deliveries", headers=admin).json()
    [delivery] = page["items"]
    assert delivery["status"] == "succeeded" and delivery["attempt_count"] == 2
    assert delivery["message_id"] == receiver.requests[0].headers["webhook-id"]
    assert delivery["sku"] == "EL-1" and delivery["attempts"] is None
    assert all(r.verified for r in receiver.requests)

    detail = client.get(f"/api/v1/webhook-deliveries/{delivery['id']}", headers=admin).json()
    first, second = detail["attempts"]
    assert (first["status_code"], first["response_body"]) == (503, "down for maintenance")
    assert second["status_code"] == 200 and len(second["response_body"]) == 2048  # truncated
    assert first["attempted_at"] <= second["attempted_at"]
    assert all(a["latency_ms"] is not None and a["latency_ms"] >= 0 for a in detail["attempts"])


def test_the_delivery_log_filters_and_pages(client, world, hooks):
    admin = world.auth("admin")
    sub = subscribe(client, world, "http://127.0.0.1:9/")  # nothing sent: all stay pending
    for sku in ("EL-1", "EL-2", "EL-3"):
        publish(sku)
    path = f"/api/v1/webhooks/{sub['id']}/deliveries"
    first = client.get(path, params={"limit": 2}, headers=admin).json()
    assert [d["sku"] for d in first["items"]] == ["EL-3", "EL-2"]  # newest first
    rest = client.get(path, params={"limit": 2, "cursor": first["next_cursor"]},
                      headers=admin).json()
    assert [d["sku"] for d in rest["items"]] == ["EL-1"] and rest["next_cursor"] is None
    pending = client.get(path, params={"status": "pending"}, headers=admin).json()["items"]
    failed = client.get(path, params={"status": "failed"}, headers=admin).json()["items"]
    later = (utcnow() + timedelta(hours=1)).replace(tzinfo=None).isoformat()  # naive: UTC
    assert len(pending) == 3 and failed == []
    assert client.get(path, params={"since": later}, headers=admin).json()["items"] == []
    refused = problem(client.get(path, params={"status": "lost"}, headers=admin), 422)
    assert refused["detail"] == ("status: 'lost' is not a delivery status; one of pending, "
                                 "succeeded, failed, cancelled")


def test_rotation_answers_a_new_secret_and_both_sign_meanwhile(client, world, hooks):
    admin = world.auth("admin")
    with Receiver() as receiver:
        sub = subscribe(client, world, receiver.url)
        rotated = client.post(f"/api/v1/webhooks/{sub['id']}/rotate-secret", headers=admin)
        assert rotated.status_code == 200
        new = rotated.json()
        assert new["secret"].startswith("whsec_") and new["secret"] != sub["secret"]
        assert new["rotating_until"] is not None
        assert "secret" not in client.get(f"/api/v1/webhooks/{sub['id']}", headers=admin).json()
        publish()
        [received] = wait_for(lambda: receiver.requests, step=send_due)
    body, headers = received.body, received.headers
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (sub["secret"], new["secret"]):
        Webhook(secret).verify(body, headers)  # raises when the signature does not verify


def test_a_disabled_subscription_waits_and_sends_on_enable(client, world, hooks):
    admin = world.auth("admin")
    with Receiver() as receiver:
        sub = subscribe(client, world, receiver.url)
        disabled = client.post(f"/api/v1/webhooks/{sub['id']}/disable", headers=admin).json()
        assert disabled["active"] is False
        assert disabled["disabled_reason"] == "disabled by admin@pim.test"
        listed = client.get("/api/v1/webhooks", params={"active": False}, headers=admin).json()
        assert [s["id"] for s in listed] == [sub["id"]]
        publish()  # no delivery: disabled subscriptions receive no new events
        send_due()
        assert receiver.requests == []
        assert client.post(f"/api/v1/webhooks/{sub['id']}/enable",
                           headers=admin).json()["active"] is True
        publish(version=2)
        wait_for(lambda: receiver.requests, step=send_due)


def test_patching_active_pauses_and_resumes_pending_deliveries(client, world, hooks):
    admin = world.auth("admin")
    with Receiver() as receiver:
        sub = subscribe(client, world, receiver.url)
        publish()  # pending, not sent yet
        off = client.patch(f"/api/v1/webhooks/{sub['id']}", json={"active": False},
                           headers=admin).json()
        assert off["active"] is False
        send_due()
        assert receiver.requests == []
        on = client.patch(f"/api/v1/webhooks/{sub['id']}", json={"active": True},
                          headers=admin).json()
        assert on["active"] is True and on["disabled_reason"] is None
        wait_for(lambda: receiver.requests, step=send_due)


def test_redelivering_sends_the_same_message_again_as_a_new_delivery(client, world, hooks):
    admin = world.auth("admin")
    with Receiver() as receiver:
        sub = subscribe(client, world, receiver.url)
        publish()
        wait_for(lambda: receiver.requests, step=send_due)
        [original] = client.get(f"/api/v1/webhooks/{sub['id']}/deliveries",
                                headers=admin).json()["items"]
        response = client.post(f"/api/v1/webhook-deliveries/{original['id']}/redeliver",
                               headers=admin)
        assert response.status_code == 201
        copy = response.json()
        assert copy["id"] != original["id"] and copy["status"] == "pending"
        assert copy["message_id"] == original["message_id"]
        assert response.headers["location"] == f"/api/v1/webhook-deliveries/{copy['id']}"
        wait_for(lambda: len(receiver.requests) == 2, step=send_due)
    first, again = receiver.requests
    assert first.headers["webhook-id"] == again.headers["webhook-id"] == copy["message_id"]
    assert first.body == again.body


def test_redelivering_to_a_disabled_subscription_is_a_conflict(client, world, hooks):
    admin = world.auth("admin")
    sub = subscribe(client, world, "http://127.0.0.1:9/")
    publish()
    [delivery] = client.get(f"/api/v1/webhooks/{sub['id']}/deliveries",
                            headers=admin).json()["items"]
    client.post(f"/api/v1/webhooks/{sub['id']}/disable", headers=admin)
    problem(client.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver",
                        headers=admin), 409)


def test_redeliver_failed_answers_the_count_and_does_not_send_twice(client, world, hooks):
    admin = world.auth("admin")
    with Receiver(lambda n, r: Reply(400 if n < 2 else 204)) as receiver:
        sub = subscribe(client, world, receiver.url)
        before = utcnow() - timedelta(minutes=1)
        publish("EL-1")
        publish("EL-2")
        wait_for(lambda: len(receiver.requests) == 2, step=send_due)  # 400: never retried
        path = f"/api/v1/webhooks/{sub['id']}/redeliver-failed"
        since = {"since": before.isoformat()}
        assert client.post(path, json=since, headers=admin).json() == {"count": 2}
        assert client.post(path, json=since, headers=admin).json() == {"count": 0}
        wait_for(lambda: len(receiver.requests) == 4, step=send_due)
    resent = {r.headers["webhook-id"] for r in receiver.requests[2:]}
    assert resent == {r.headers["webhook-id"] for r in receiver.requests[:2]}
    later = {"since": (utcnow() + timedelta(minutes=1)).isoformat()}
    assert client.post(path, json=later, headers=admin).json() == {"count": 0}
    problem(client.post(path, json={}, headers=admin), 400)
