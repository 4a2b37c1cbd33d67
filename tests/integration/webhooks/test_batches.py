"""Batched sending over real HTTP: one job per subscription, several requests in flight,
each product's versions in order, failing or slow receivers kept apart from healthy ones."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter, defaultdict

import pytest

from tests.integration.webhooks.receiver import Receiver, Reply, wait_for


def version_of(request) -> tuple[str, int]:
    data = json.loads(request.body)["data"]
    return data["sku"], data["snapshot_version"]


def send_jobs() -> list[dict]:
    from sqlalchemy import select

    from pim.db import read_session
    from pim.jobs.models import Job

    with read_session() as session:
        return [dict(payload) for payload in session.scalars(
            select(Job.payload).where(Job.kind == "webhooks.send"))]


def queued_send_jobs() -> list[int]:
    from sqlalchemy import select

    from pim.db import read_session
    from pim.jobs.models import Job

    with read_session() as session:
        return [payload["subscription_id"] for payload in session.scalars(
            select(Job.payload).where(Job.kind == "webhooks.send", Job.status == "queued"))]


def test_a_burst_of_publications_wakes_one_send_job_per_subscription(hooks):
    with Receiver() as first, Receiver() as second:
        subs = [hooks.subscribe(first), hooks.subscribe(second)]
        for n in range(30):
            hooks.publish(sku=f"SKU-{n}")
    assert sorted(p["subscription_id"] for p in send_jobs()) == sorted(s.id for s in subs)


def test_a_batch_keeps_several_requests_in_flight_on_kept_alive_connections(hooks,
                                                                            monkeypatch):
    from pim.config import reset_settings
    from pim.webhooks.jobs import send_now

    monkeypatch.setenv("PIM_WEBHOOK_CONCURRENCY", "3")
    reset_settings()
    in_flight, most = 0, 0
    lock = threading.Lock()

    enough = threading.Event()

    def script(n, received):
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
            if most >= 3:
                enough.set()
        enough.wait(10)  # hold the first requests until three are in flight
        with lock:
            in_flight -= 1
        return Reply(204)

    with Receiver(script, keep_alive=True) as receiver:
        sub = hooks.subscribe(receiver)
        for n in range(24):
            hooks.publish(sku=f"SKU-{n}")
        states = send_now(sub.id)
    assert states == {"succeeded": 24}
    assert most == 3
    assert len({r.peer for r in receiver.requests}) == 3  # three connections, reused
    assert all(r.verified for r in receiver.requests)


def test_order_per_product_holds_under_concurrency_and_random_failures(hooks, runner,
                                                                      monkeypatch):
    """Eight products, five versions each, two subscriptions whose receivers fail a third
    of the requests at random (never a message more than twice): every version arrives,
    and no version of a product arrives before the previous one succeeded."""
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_WEBHOOK_RETRY_SCHEDULE", "0.05,0.05,0.05,0.05")
    monkeypatch.setenv("PIM_WEBHOOK_CIRCUIT_THRESHOLD", "50")
    reset_settings()
    chance = random.Random(22)
    failures: Counter = Counter()
    lock = threading.Lock()
    successes: dict[int, list] = defaultdict(list)  # receiver -> [(sku, version)] in order

    def flaky(which):
        def script(n, received):
            with lock:
                fail = failures[received.headers["webhook-id"], which] < 2 \
                    and chance.random() < 0.33
                if fail:
                    failures[received.headers["webhook-id"], which] += 1
                else:
                    successes[which].append(
                        (*version_of(received), received.headers["webhook-id"]))
            return Reply(503 if fail else 200)
        return script

    products, versions = [f"SKU-{n}" for n in range(8)], range(1, 6)
    with Receiver(flaky(0), keep_alive=True) as first, \
            Receiver(flaky(1), keep_alive=True) as second:
        subs = [hooks.subscribe(first), hooks.subscribe(second)]
        for version in versions:
            for sku in products:
                hooks.publish(sku=sku, version=version)
        for sub in subs:
            wait_for(lambda sub=sub: len(hooks.deliveries(sub.id, status="succeeded"))
                     == 40, timeout=60, interval=0.1)
    assert sum(failures.values()) > 0
    for which, receiver in ((0, first), (1, second)):
        assert all(r.verified for r in receiver.requests)
        for sku in products:
            arrived = [v for s, v in map(version_of, receiver.requests) if s == sku]
            # a version is repeated while it fails, and never overtaken
            assert arrived == sorted(arrived)
            # At least once: a success whose answer came too late for the sender (its
            # timeout is 1 s) is sent again with the same webhook-id, for the receiver to
            # drop. Each version succeeds under one id, in order.
            delivered = dict.fromkeys((v, wid) for s, v, wid in successes[which] if s == sku)
            assert [v for v, _ in delivered] == list(versions)


def test_a_hung_and_a_dead_subscription_do_not_hold_up_a_healthy_one(hooks, runner,
                                                                       monkeypatch):
    """The hung receiver answers nothing until the healthy one has everything; the dead
    one refuses connections: its circuit opens after a few attempts."""
    from pim.config import reset_settings
    from pim.db import session_scope
    from pim.webhooks.schemas import SubscriptionIn
    from pim.webhooks.service import create_subscription

    monkeypatch.setenv("PIM_WEBHOOK_TIMEOUT", "30")
    reset_settings()
    release = threading.Event()

    def hung(n, received):
        release.wait(30)
        return Reply(204)

    with Receiver() as closed:
        dead_url = closed.url  # nothing listens there any more
    try:
        with Receiver(hung, keep_alive=True) as slow, Receiver(keep_alive=True) as healthy:
            subs = {"slow": hooks.subscribe(slow), "healthy": hooks.subscribe(healthy)}
            with session_scope() as session:
                subs["dead"] = create_subscription(session, SubscriptionIn(
                    channel="webshop", url=dead_url))
            for n in range(60):
                hooks.publish(sku=f"SKU-{n}")
            wait_for(lambda: len(hooks.deliveries(subs["healthy"].id, status="succeeded",
                                                  limit=500)) == 60, timeout=60,
                     interval=0.1)
            assert len(slow.requests) < 60  # still holding its first requests
            wait_for(lambda: hooks.circuit(subs["dead"].id)[1] is not None, timeout=30)
            assert hooks.subscription(subs["dead"].id).active  # paused, not disabled
            release.set()
            wait_for(lambda: len(hooks.deliveries(subs["slow"].id, status="succeeded",
                                                  limit=500)) == 60, timeout=60,
                     interval=0.1)
    finally:
        release.set()
    assert all(r.verified for r in healthy.requests + slow.requests)
    attempted = [d for d in hooks.deliveries(subs["dead"].id, limit=500) if d.attempts]
    assert 0 < len(attempted) < 60  # the open circuit spared the rest
    assert all(a.error for d in attempted for a in d.attempts)


@pytest.fixture
def one_at_a_time(monkeypatch):
    """One request in flight: a batch's stop is then exact (with several, the requests
    already in flight when the stopping answer comes still end, and may start others
    before the answer is read)."""
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_WEBHOOK_CONCURRENCY", "1")
    reset_settings()


def test_the_circuit_opens_after_consecutive_failures_and_spares_the_rest(hooks,
                                                                         one_at_a_time,
                                                                         monkeypatch):
    from pim.webhooks import batch
    from pim.webhooks.jobs import send_now

    # The circuit's first pause is 1 s: a machine slow enough to spend that between
    # recording the batch and looking again would send a (correct) probe. Long enough here.
    monkeypatch.setattr(batch, "CIRCUIT_BASE_SECONDS", 60.0)

    with Receiver(lambda n, r: Reply(500)) as receiver:
        sub = hooks.subscribe(receiver)
        for n in range(20):
            hooks.publish(sku=f"SKU-{n}")
        states = send_now(sub.id)
    assert len(receiver.requests) == 5  # PIM_WEBHOOK_CIRCUIT_THRESHOLD
    assert states == {"retry": 5, "released": 15}
    failures, open_until = hooks.circuit(sub.id)
    assert failures == 5 and open_until is not None
    untouched = [d for d in hooks.deliveries(sub.id) if not d.attempts]
    assert len(untouched) == 15
    assert all(d.status == "pending" and d.attempt_count == 0 for d in untouched)


def test_retry_after_pauses_the_whole_subscription(hooks, one_at_a_time):
    from pim.db import utcnow
    from pim.webhooks.jobs import send_now

    script = lambda n, r: Reply(429, {"retry-after": "30"}) if n == 0 else Reply(200)  # noqa: E731
    with Receiver(script) as receiver:
        sub = hooks.subscribe(receiver)
        for n in range(10):
            hooks.publish(sku=f"SKU-{n}")
        assert send_now(sub.id) == {"retry": 1, "released": 9}
        assert send_now(sub.id) == {}  # the circuit is open: nothing goes out
    assert len(receiver.requests) == 1
    _, open_until = hooks.circuit(sub.id)
    assert (open_until - utcnow()).total_seconds() > 25
    [limited] = [d for d in hooks.deliveries(sub.id) if d.attempts]
    assert (limited.next_attempt_at - utcnow()).total_seconds() > 25


def test_gone_stops_the_batch_and_leaves_the_rest_pending(hooks, one_at_a_time):
    from pim.webhooks.jobs import send_now

    with Receiver(lambda n, r: Reply(410)) as receiver:
        sub = hooks.subscribe(receiver)
        for n in range(10):
            hooks.publish(sku=f"SKU-{n}")
        send_now(sub.id)
    after = hooks.subscription(sub.id)
    assert not after.active and "410" in after.disabled_reason
    assert len(receiver.requests) == 1
    statuses = Counter(d.status for d in hooks.deliveries(sub.id))
    assert statuses == {"failed": 1, "pending": 9}


def test_a_rerun_job_sends_its_batch_again_with_the_same_webhook_ids(hooks):
    """A job's worker died after claiming a batch: its rerun (same job id) takes the lease
    and the batch back at once, and sends them (same webhook-ids, verified signatures)."""
    from pim.db import session_scope, utcnow
    from pim.webhooks.batch import claim_batch
    from pim.webhooks.jobs import send_now
    from pim.webhooks.sender import start_sending

    with Receiver(keep_alive=True) as receiver:
        sub = hooks.subscribe(receiver)
        for version in (1, 2):
            for n in range(5):
                hooks.publish(sku=f"SKU-{n}", version=version)
        start_sending(sub.id, "job:abc", 60, resume=False)
        with session_scope() as session:
            [batch] = [claim_batch(session, sub.id, "job:abc", utcnow(), 100,
                                   utcnow().replace(year=2100))]
        assert len(batch) == 5
        assert send_now(sub.id, "job:other") == {"held_by_another_job": 1}
        assert send_now(sub.id, "job:abc", resume=True) == {"succeeded": 10}
    assert all(r.verified for r in receiver.requests)
    assert {r.headers["webhook-id"] for r in receiver.requests[:5]} \
        == {c.message_id for c in batch}
    for n in range(5):
        assert [v for s, v in map(version_of, receiver.requests) if s == f"SKU-{n}"] == [1, 2]


def test_a_send_job_run_twice_sends_nothing_twice(hooks):
    from pim.webhooks.jobs import send_now

    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        for n in range(5):
            hooks.publish(sku=f"SKU-{n}")
        assert send_now(sub.id, "job:same") == {"succeeded": 5}
        assert send_now(sub.id, "job:same", resume=True) == {}
    assert len(receiver.requests) == 5


def test_a_job_that_fails_mid_batch_lets_the_lease_go_and_its_rerun_resends(hooks,
                                                                           monkeypatch):
    from pim.db import read_session
    from pim.webhooks import sender
    from pim.webhooks.jobs import send_now
    from pim.webhooks.models import Subscription

    def broken(self, claims, deadline):
        raise RuntimeError("the database went away")

    with Receiver() as receiver:
        sub = hooks.subscribe(receiver)
        for n in range(3):
            hooks.publish(sku=f"SKU-{n}")
        with monkeypatch.context() as patched:
            patched.setattr(sender.BatchSender, "send", broken)
            with pytest.raises(RuntimeError):
                send_now(sub.id, "job:flaky")
        with read_session() as session:
            assert session.get(Subscription, sub.id).sender is None
        assert {d.status for d in hooks.deliveries(sub.id)} == {"pending"}
        assert send_now(sub.id, "job:flaky", resume=True) == {"succeeded": 3}
    assert len(receiver.requests) == 3 and all(r.verified for r in receiver.requests)


def test_maintenance_sends_deliveries_whose_send_job_failed_for_good(hooks):
    """A send job that failed its last attempt leaves its deliveries pending: no further
    publication may come to wake them. The runners' maintenance does: it wakes the
    subscription, and the new job sends what was overdue, once."""
    from datetime import timedelta

    from sqlalchemy import update

    from pim.db import session_scope, utcnow
    from pim.jobs import state
    from pim.jobs.execution import execute_claimed
    from pim.jobs.models import Job
    from pim.jobs.recovery import run_maintenance_tasks
    from pim.webhooks.models import Delivery

    with Receiver() as receiver, Receiver() as quiet:
        sub = hooks.subscribe(receiver)
        other = hooks.subscribe(quiet)
        for n in range(3):
            hooks.publish(sku=f"SKU-{n}")
        with session_scope() as session:
            # The send jobs failed for good; the deliveries are pending since 5 minutes.
            session.execute(update(Job).where(Job.kind == "webhooks.send")
                            .values(status="failed", error="gave up"))
            session.execute(update(Delivery).where(Delivery.subscription_id == sub.id)
                            .values(next_attempt_at=utcnow() - timedelta(minutes=5)))
            # The other subscription's deliveries fall due only now: not overdue yet.
            session.execute(update(Delivery).where(Delivery.subscription_id == other.id)
                            .values(next_attempt_at=utcnow()))
        assert state.due_overview()[0] is False
        run_maintenance_tasks()
        assert queued_send_jobs() == [sub.id]
        run_maintenance_tasks()  # another runner's maintenance: that job is queued already
        assert queued_send_jobs() == [sub.id]
        for job_id, attempt in state.claim_due_jobs(limit=5, runner="test"):
            execute_claimed(job_id, attempt)
    assert sorted(version_of(r)[0] for r in receiver.requests) == ["SKU-0", "SKU-1", "SKU-2"]
    assert {d.status for d in hooks.deliveries(sub.id)} == {"succeeded"}
    assert quiet.requests == []
