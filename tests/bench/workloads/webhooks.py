"""Webhook fan-out: publications recorded in their transactions, sent by the jobs runner."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson

from tests.bench.harness import Measurement, wire_hub, workload

BENCH_DIR = Path("var/bench")
SUBSCRIBERS = ("a", "b", "c")


class LoopbackReceiver:
    """Keep-alive HTTP/1.1 receiver noting when each (path, sku) first arrives. A path in
    ``slow`` answers after 200 ms; one in ``failing`` answers 503."""

    def __init__(self, slow: tuple[str, ...] = (), failing: tuple[str, ...] = ()):
        self.arrivals: dict[tuple[str, str], float] = {}
        self.count = 0
        self.per_path: dict[str, int] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                name = self.path.strip("/")
                if name in slow:
                    time.sleep(0.2)
                if name in failing:
                    self.send_response(503)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                now = time.monotonic()
                sku = orjson.loads(body)["data"]["sku"]
                with receiver.lock:
                    receiver.count += 1
                    receiver.per_path[name] = receiver.per_path.get(name, 0) + 1
                    receiver.arrivals.setdefault((self.path, sku), now)
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    def received(self, paths: tuple[str, ...]) -> int:
        with self.lock:
            return sum(self.per_path.get(p, 0) for p in paths)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _fresh_sqlite(name: str) -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(BENCH_DIR / f"{name}.db{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{BENCH_DIR / name}.db"


def _variant(n: int) -> dict:
    return {"sku": f"SKU-{n:06d}", "name": f"Voltia speaker {n}", "brand": "Voltia",
            "price": {"amount": "49.99", "currency": "GBP"}, "ean": "5012345678900",
            "description": "A compact speaker with a warm sound. " * 8}


@dataclass
class Fanout:
    seconds: float  # publish start -> every awaited delivery arrived
    publish_seconds: float
    delivered: int  # to the awaited subscriptions
    latencies_ms: list[float]
    bodies: list[str]
    succeeded: int
    subscriber_seconds: dict[str, float]  # publish start -> that subscriber had everything


def fan_out(size: int, name: str, *, slow: tuple[str, ...] = (),
            failing: tuple[str, ...] = ()) -> Fanout:
    """Publish ``size`` products (one ``record_event`` transaction each) to a channel with
    the 3 subscriptions while the embedded runner's 2 threads send, into a fresh SQLite
    file; wait until the subscriptions that are neither slow nor failing have everything."""
    from sqlalchemy import func, select

    url = _fresh_sqlite(name)
    os.environ.update(PIM_DATABASE_URL=url, PIM_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
                      PIM_JOB_POLL_INTERVAL="0.2")
    from pim.config import reset_settings
    from pim.db import dispose_engines
    from pim.jobs.embedded import start_embedded_runner, stop_embedded_runner
    from pim.jobs.settings import reset_job_settings

    reset_settings()
    reset_job_settings()
    wire_hub()
    dispose_engines()
    import pim.models as models
    from pim.db import get_engine, session_scope
    from pim.webhooks import create_subscription, record_event
    from pim.webhooks.models import Delivery, Message
    from pim.webhooks.schemas import SubscriptionIn
    from pim.workflow.models import Channel

    models.Base.metadata.create_all(get_engine(url))
    awaited = tuple(p for p in SUBSCRIBERS if p not in slow and p not in failing)
    receiver = LoopbackReceiver(slow, failing)
    with session_scope() as session:
        session.add(Channel(code="webshop", kind="storefront"))
        session.flush()
        for path in SUBSCRIBERS:
            create_subscription(session, SubscriptionIn(channel="webshop", url=receiver.url(path),
                                                        events=["product.published"]))
    published_at: dict[str, float] = {}
    done_at: dict[str, float] = {}
    runner = start_embedded_runner(workers=2)
    started = time.monotonic()
    try:
        for n in range(size):
            sku = f"SKU-{n:06d}"
            with session_scope() as session:
                record_event(session, "product.published", channel="webshop", sku=sku,
                             locale="en_GB", snapshot_version=1, payload=_variant(n))
            published_at[sku] = time.monotonic()
        publish_seconds = time.monotonic() - started
        deadline = time.monotonic() + 120 + size * len(SUBSCRIBERS) / 20
        while len(done_at) < len(awaited) and time.monotonic() < deadline:
            for path in awaited:
                if path not in done_at and receiver.received((path,)) >= size:
                    done_at[path] = time.monotonic() - started
            time.sleep(0.05)
        seconds = time.monotonic() - started
    finally:
        stop_embedded_runner(runner, timeout=30)
    with session_scope() as session:
        bodies = session.scalars(select(Message.body).order_by(Message.id)).all()
        succeeded = session.scalar(select(func.count()).select_from(Delivery)
                                   .where(Delivery.status == "succeeded"))
    latencies = [(arrived - published_at[sku]) * 1000
                 for (path, sku), arrived in receiver.arrivals.items()
                 if path.strip("/") in awaited and sku in published_at]
    delivered = receiver.received(awaited)
    receiver.close()
    return Fanout(seconds, publish_seconds, delivered, latencies, bodies, succeeded, done_at)


def bare_post_loop(bodies: list[str]) -> tuple[float, list[float]]:
    """The raw limit: one httpx client POSTing the same bodies in a loop to a receiver."""
    import httpx

    receiver = LoopbackReceiver()
    latencies = []
    with httpx.Client() as client:
        started = time.monotonic()
        for body in bodies:
            for path in SUBSCRIBERS:
                t0 = time.perf_counter()
                client.post(receiver.url(path), content=body,
                            headers={"content-type": "application/json"})
                latencies.append((time.perf_counter() - t0) * 1000)
        seconds = time.monotonic() - started
    receiver.close()
    return seconds, latencies


@workload("webhooks_fanout", size=10_000, unit="deliveries")
def webhooks_fanout(size: int) -> Measurement:
    """``size`` publications to 3 subscriptions on a loopback receiver, sent by the
    embedded runner's 2 threads while publishing goes on, into SQLite. Latency: publish
    commit to first arrival. Baseline: one httpx client POSTing the same bodies in a loop
    to the same kind of receiver."""
    run = fan_out(size, "webhooks")
    base_seconds, base_latencies = bare_post_loop(run.bodies)
    return Measurement(
        items=run.delivered, seconds=run.seconds, baseline_seconds=base_seconds,
        baseline_items=len(base_latencies), latencies_ms=run.latencies_ms,
        baseline_latencies_ms=base_latencies,
        notes=f"{size} publications in {run.publish_seconds:.1f}s "
              f"({size / run.publish_seconds:.0f}/s, sending meanwhile); {run.succeeded} "
              f"deliveries succeeded of {size * len(SUBSCRIBERS)}; latency = publish commit "
              f"-> arrival; each subscription had everything after "
              + ", ".join(f"{p}: {s:.1f}s" for p, s in sorted(run.subscriber_seconds.items())),
    )


def beside_a_bad_subscription(size: int, name: str, **bad) -> Measurement:
    """The two healthy subscriptions' speed beside a bad third one, against their own
    speed in an all-healthy run made first in the same process (the baseline): a ratio of
    0.9 or more means they stayed within 10 %."""
    healthy = ("a", "b")
    plain = fan_out(size, f"{name}-plain")
    run = fan_out(size, name, **bad)
    plain_seconds = max(plain.subscriber_seconds.get(p, plain.seconds) for p in healthy)
    return Measurement(
        items=run.delivered, seconds=run.seconds, baseline_seconds=plain_seconds,
        baseline_items=2 * size,
        latencies_ms=run.latencies_ms,
        notes=f"healthy a, b beside {bad}: everything after "
              + ", ".join(f"{p}: {s:.1f}s" for p, s in sorted(run.subscriber_seconds.items()))
              + "; all-healthy run first: "
              + ", ".join(f"{p}: {s:.1f}s" for p, s in sorted(plain.subscriber_seconds.items()))
              + f"; publishing {size / run.publish_seconds:.0f}/s (all-healthy "
              f"{size / plain.publish_seconds:.0f}/s)",
    )


@workload("webhooks_fanout_slow", size=10_000, unit="deliveries")
def webhooks_fanout_slow(size: int) -> Measurement:
    """``webhooks_fanout`` with subscription c answering in 200 ms: a and b's speed."""
    return beside_a_bad_subscription(size, "webhooks-slow", slow=("c",))


@workload("webhooks_fanout_failing", size=10_000, unit="deliveries")
def webhooks_fanout_failing(size: int) -> Measurement:
    """``webhooks_fanout`` with subscription c answering 503 to everything: a and b's
    speed."""
    return beside_a_bad_subscription(size, "webhooks-failing", failing=("c",))
