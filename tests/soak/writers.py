"""The soak's writers: editors over the API, an importer through ``pim import``, and a
publisher of the products they write; what they did is kept in a ``Tally``."""

from __future__ import annotations

import random
import subprocess
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx


class Tally:
    """Every request's kind, status and latency, and the writes acknowledged."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.by_kind: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.acknowledged: list[tuple[str, int, str]] = []
        self.published = 0  # snapshots the publisher's requests wrote

    def record(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1
            self.by_kind[kind][status] += 1


def editor(base: str, token: str, skus: list[str], seed: int, stop: threading.Event,
           tally: Tally) -> None:
    chance = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    n = 0
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        while not stop.is_set():
            n += 1
            sku = chance.choice(skus)
            text = f"editor {seed} edit {n}"
            body = {"values": {"name": [{"locale": "en_GB", "scope": None, "data": text}]}}
            extra = {}
            kind = "patch"
            if n % 2:
                started = time.perf_counter()
                read = client.get(f"/api/v1/products/{sku}")
                tally.record("get", read.status_code, time.perf_counter() - started)
                extra = {"If-Match": read.headers.get("etag", '"0"')}
                kind = "patch if-match"
            started = time.perf_counter()
            answer = client.patch(f"/api/v1/products/{sku}", json=body, headers=extra)
            tally.record(kind, answer.status_code, time.perf_counter() - started)
            if answer.status_code == 200:
                with tally.lock:
                    tally.acknowledged.append((sku, answer.json()["version"], text))


def importer(pim: list[str], env: dict[str, str], skus: list[str], stop: threading.Event,
             tally: Tally, folder: Path) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        path = folder / f"prices-{n}.csv"
        # Prices above any minimum advertised price of the demo: the products stay
        # publishable, so each import is new content for the publisher too.
        path.write_text("sku,price-GBP\n" + "".join(f"{sku},{500 + n}.{i:02d}\n"
                                                    for i, sku in enumerate(skus)))
        started = time.perf_counter()
        done = subprocess.run([*pim, "import", str(path)], env=env, capture_output=True,
                              text=True, check=False)
        tally.record("import", 200 if done.returncode == 0 else 500,
                     time.perf_counter() - started)
        if done.returncode != 0:
            print(f"import {n} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def publish(client: httpx.Client, channel: str, skus: list[str], tally: Tally) -> dict:
    """Publish ``skus`` to ``channel`` (those that pass); the report."""
    started = time.perf_counter()
    answer = client.post(f"/api/v1/channels/{channel}/publish",
                         json={"skus": skus, "ready": True})
    tally.record("publish", answer.status_code, time.perf_counter() - started)
    if answer.status_code != 200:
        return {}
    report = answer.json()
    with tally.lock:
        tally.published += len(report["published"])
    return report


def publisher(base: str, token: str, channel: str, skus: list[str], stop: threading.Event,
              tally: Tally, every: float = 1.0) -> None:
    """Publish the edited products every ``every`` seconds: each new name a new snapshot,
    each snapshot a webhook delivery and a change in the feed."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=120) as client:
        while not stop.wait(every):
            publish(client, channel, skus, tally)
