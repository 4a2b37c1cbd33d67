"""``make soak``: the hub under concurrent load, then a check that nothing was lost.

PostgreSQL + Redis + two ``pim worker`` processes + ``pim serve`` on loopback, all real
processes. For ``PIM_SOAK_SECONDS`` (default 60): editors PATCH overlapping products, half
with If-Match (read the ETag, then write) and half without; an import of the same SKUs runs
over and over (ERP-owned prices, through ``pim import``, as a job on the workers). Then it
prints requests, 5xx (must be 0), 412s and p50/p99 per kind, and checks that every
acknowledged write is in the product's history with what it wrote, and that every
product's version equals its number of history entries. Exit status 1 on any failure.

Not part of ``make test``. Uses its own database (``PIM_SOAK_POSTGRES_URL``, dropped and
created) and Redis database (``PIM_SOAK_REDIS_URL``, flushed).
"""

from __future__ import annotations

import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx
import psycopg
import redis

PG_URL = os.environ.get("PIM_SOAK_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/pim_soak")
REDIS_URL = os.environ.get("PIM_SOAK_REDIS_URL", "redis://127.0.0.1:6379/7")
SECONDS = float(os.environ.get("PIM_SOAK_SECONDS", "60"))
EDITORS = 8
HOT_PRODUCTS = 20  # the editors and the import all write these
PIM = [str(Path(sys.executable).parent / "pim")]  # the console script of this venv


def fresh_database() -> None:
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    base, name = plain.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(REDIS_URL).flushdb()


def pim(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([*PIM, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"pim {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.acknowledged: list[tuple[str, int, str]] = []

    def record(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[status] += 1


def editor(base: str, token: str, skus: list[str], seed: int, stop: threading.Event,
           tally: Tally) -> None:
    chance = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    n = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
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


def importer(env: dict[str, str], skus: list[str], stop: threading.Event, tally: Tally,
             folder: Path) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        path = folder / f"prices-{n}.csv"
        path.write_text("sku,price-GBP\n" + "".join(f"{sku},{10 + n}.{i:02d}\n"
                                                    for i, sku in enumerate(skus)))
        started = time.perf_counter()
        done = subprocess.run([*PIM, "import", str(path)], env=env, capture_output=True,
                              text=True, check=False)
        tally.record("import", 200 if done.returncode == 0 else 500,
                     time.perf_counter() - started)
        if done.returncode != 0:
            print(f"import {n} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def verify(tally: Tally) -> list[str]:
    problems = []
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as connection:
        states = {(code, version): state for code, version, state in connection.execute(
            "SELECT code, version, state FROM history WHERE entity = 'product'")}
        counts = dict(connection.execute(
            "SELECT code, count(*) FROM history WHERE entity = 'product' GROUP BY code"))
        versions = dict(connection.execute("SELECT sku, version FROM products"))
    for sku, version, text in tally.acknowledged:
        state = states.get((sku, version))
        if state is None:
            problems.append(f"{sku} v{version}: acknowledged, not in history")
        elif state["values"]["name"][0]["data"] != text:
            problems.append(f"{sku} v{version}: history holds another write than the ack")
    for sku, version in versions.items():
        if counts.get(sku, 0) != version:
            problems.append(f"{sku}: version {version}, {counts.get(sku, 0)} history entries")
    return problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> int:
    fresh_database()
    folder = Path(tempfile.mkdtemp(prefix="pim-soak-"))
    env = {**os.environ, "PIM_DATABASE_URL": PG_URL, "PIM_REDIS_URL": REDIS_URL,
           "PIM_VAR_DIR": str(folder / "var"), "PIM_API_RATE_LIMIT": "0"}
    pim(env, "db", "upgrade")
    pim(env, "demo", "--products", "200")
    pim(env, "user", "create", "soak@pim.test", "--role", "editor", "--password",
        "soak soak soak 1")
    token = re.findall(r"pim_[A-Za-z0-9_-]+", pim(env, "token", "create", "--user",
                                                 "soak@pim.test", "--role", "editor"))[0]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes = [subprocess.Popen([*PIM, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, stdout=subprocess.DEVNULL),
                 subprocess.Popen([*PIM, "worker", "--with-scheduler"], env=env,
                                  stdout=subprocess.DEVNULL),
                 subprocess.Popen([*PIM, "worker"], env=env, stdout=subprocess.DEVNULL)]
    try:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(300):
            try:
                listed = httpx.get(f"{base}/api/v1/products?limit={HOT_PRODUCTS}",
                                   headers=headers, timeout=5)
                if listed.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        skus = [item["sku"] for item in listed.json()["items"]]
        tally, stop = Tally(), threading.Event()
        threads = [threading.Thread(target=editor, args=(base, token, skus, seed, stop, tally))
                   for seed in range(EDITORS)]
        threads.append(threading.Thread(target=importer,
                                        args=(env, skus, stop, tally, folder)))
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(SECONDS)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    requests = sum(tally.statuses.values())
    errors = sum(count for status, count in tally.statuses.items() if status >= 500)
    print(f"soak: {elapsed:.0f} s, {EDITORS} editors over {len(skus)} products, imports "
          f"of the same SKUs; PostgreSQL, Redis, 2 workers, 1 server")
    print(f"requests {requests}, 5xx {errors}, 412 {tally.statuses.get(412, 0)}, "
          f"acknowledged writes {len(tally.acknowledged)}")
    for kind, values in sorted(tally.latencies.items()):
        print(f"  {kind:15} n={len(values):6}  p50 {percentile(values, 0.5):8.1f} ms  "
              f"p99 {percentile(values, 0.99):8.1f} ms  "
              f"mean {statistics.fmean(values) * 1000:8.1f} ms")
    problems = verify(tally)
    print(f"lost or unrecorded writes: {len(problems)}")
    for problem in problems[:20]:
        print("  " + problem)
    return 1 if errors or problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
