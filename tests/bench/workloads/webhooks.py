"""Webhook fan-out: publications recorded in their transactions, sent by the jobs runner."""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson

from tests.bench.harness import Measurement, workload

BENCH_DIR = Path("var/bench")
SUBSCRIBERS = ("a", "b", "c")


class LoopbackReceiver:
    """Keep-alive HTTP/1.1 receiver noting when each (path, sku) first arrives."""

    def __init__(self):
        self.arrivals: dict[tuple[str, str], float] = {}
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                now = time.monotonic()
                sku = orjson.loads(body)["data"]["sku"]
                with receiver.lock:
                    receiver.count += 1
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


@workload("webhooks_fanout", size=10_000, unit="deliveries")
def webhooks_fanout(size: int) -> Measurement:
    """``size`` publications (one ``record_event`` transaction each) to a channel with 3
    subscriptions on a loopback receiver, sent by the embedded runner's 2 threads while
    publishing goes on, into SQLite. Latency: publish commit to first arrival. Baseline: one
    httpx client POSTing the same bodies in a loop to the same receiver."""
    import httpx
    from sqlalchemy import func, select

    url = _fresh_sqlite("webhooks")
    os.environ.update(PIM_DATABASE_URL=url, PIM_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
                      PIM_JOB_POLL_INTERVAL="0.2")
    from pim.config import reset_settings
    from pim.jobs.embedded import start_embedded_runner, stop_embedded_runner
    from pim.jobs.settings import reset_job_settings

    reset_settings()
    reset_job_settings()
    import pim.models as models
    from pim.db import get_engine, session_scope
    from pim.webhooks import create_subscription, record_event
    from pim.webhooks.models import Delivery, Message
    from pim.webhooks.schemas import SubscriptionIn
    from pim.workflow.models import Channel

    models.Base.metadata.create_all(get_engine(url))
    receiver = LoopbackReceiver()
    with session_scope() as session:
        session.add(Channel(code="webshop", kind="storefront"))
        session.flush()
        for path in SUBSCRIBERS:
            create_subscription(session, SubscriptionIn(channel="webshop", url=receiver.url(path),
                                                        events=["product.published"]))
    published_at: dict[str, float] = {}
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
        while receiver.count < size * len(SUBSCRIBERS) and time.monotonic() < deadline:
            time.sleep(0.05)
        seconds = time.monotonic() - started
    finally:
        stop_embedded_runner(runner, timeout=30)
    delivered = receiver.count
    with session_scope() as session:
        bodies = session.scalars(select(Message.body).order_by(Message.id)).all()
        succeeded = session.scalar(select(func.count()).select_from(Delivery)
                                   .where(Delivery.status == "succeeded"))
    latencies = []
    for (_path, sku), arrived in receiver.arrivals.items():
        if sku in published_at:
            latencies.append((arrived - published_at[sku]) * 1000)

    base_latencies = []
    with httpx.Client() as client:
        base_started = time.monotonic()
        for body in bodies:
            for path in SUBSCRIBERS:
                t0 = time.perf_counter()
                client.post(receiver.url(path), content=body,
                            headers={"content-type": "application/json"})
                base_latencies.append((time.perf_counter() - t0) * 1000)
        base_seconds = time.monotonic() - base_started
    receiver.close()
    return Measurement(
        items=delivered, seconds=seconds, baseline_seconds=base_seconds,
        baseline_items=len(base_latencies), latencies_ms=latencies,
        baseline_latencies_ms=base_latencies,
        notes=f"{size} publications in {publish_seconds:.1f}s "
              f"({size / publish_seconds:.0f}/s, sending meanwhile); {succeeded} deliveries "
              f"succeeded of {size * len(SUBSCRIBERS)}; latency = publish commit -> arrival",
    )
