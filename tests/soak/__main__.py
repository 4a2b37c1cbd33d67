"""``python -m tests.soak``: set up, load for ``PIM_SOAK_SECONDS``, then check (see the
package's docstring)."""

from __future__ import annotations

import os
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

from tests.integration.webhooks.receiver import Receiver
from tests.soak.feeds import FeedPuller, canonical, check_feed_pulls
from tests.soak.webhooks import check_deliveries, subscribe, wait_delivered
from tests.soak.writers import Tally, editor, importer, publish, publisher

PG_URL = os.environ.get("PIM_SOAK_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/pim_soak")
REDIS_URL = os.environ.get("PIM_SOAK_REDIS_URL", "redis://127.0.0.1:6379/7")
SECONDS = float(os.environ.get("PIM_SOAK_SECONDS", "60"))
EDITORS = 8
HOT_PRODUCTS = 20  # the editors, the import and the publisher all write these
CHANNEL = "webshop-uk"  # the channel published to, pulled from and subscribed to
DISTRIBUTORS = 2  # feed pullers: one taking gzip, one not
DELIVERY_WAIT = 300.0  # seconds the workers get to deliver what is pending at the end
PIM = [str(Path(sys.executable).parent / "pim")]  # the console script of this venv
PLAIN_URL = PG_URL.replace("postgresql+psycopg://", "postgresql://")


def fresh_database() -> None:
    base, name = PLAIN_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(REDIS_URL).flushdb()


def command(env: dict[str, str]):
    def pim(*args: str) -> str:
        done = subprocess.run([*PIM, *args], env=env, capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise SystemExit(f"pim {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout
    return pim


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def token_for(pim, email: str, role: str) -> str:
    pim("user", "create", email, "--role", role, "--password", "soak soak soak 1")
    return re.findall(r"pim_[A-Za-z0-9_-]+", pim("token", "create", "--user", email,
                                                 "--role", role))[0]


def wait_for_server(base: str, token: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"{base}/api/v1/products?limit=1", timeout=5,
                         headers={"Authorization": f"Bearer {token}"}).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer within two minutes")


def hot_products(base: str, admin: str, tally: Tally) -> list[str]:
    """``HOT_PRODUCTS`` products the channel publishes: of the first few pages, those that
    pass its schema (published here, before the load starts)."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin}"},
                      timeout=300) as client:
        listed = client.get("/api/v1/products?limit=200").json()["items"]
        report = publish(client, CHANNEL, [item["sku"] for item in listed], tally)
    passing = sorted({p["sku"] for p in report.get("published", [])})
    if len(passing) < HOT_PRODUCTS:
        raise SystemExit(f"only {len(passing)} of the demo's products pass {CHANNEL}")
    return passing[:HOT_PRODUCTS]


def pending_deliveries(subscription: int) -> int:
    with psycopg.connect(PLAIN_URL) as connection:
        return connection.execute(
            "SELECT count(*) FROM webhook_deliveries WHERE subscription_id = %s "
            "AND status = 'pending'", (subscription,)).fetchone()[0]


def published_snapshots(subscription: int) -> tuple[list[tuple[str, str, int]],
                                                     dict[str, dict[str, int]]]:
    """The publications since the subscription (SKU, locale, version), and every payload
    published in the feed's locale (SKU -> canonical JSON -> version)."""
    with psycopg.connect(PLAIN_URL) as connection:
        since = connection.execute("SELECT created_at FROM webhook_subscriptions WHERE id = %s",
                                   (subscription,)).fetchone()[0]
        rows = connection.execute(
            "SELECT sku, locale, version, payload, published_at >= %s FROM snapshots "
            "WHERE channel_code = %s AND NOT withdrawn ORDER BY version",
            (since, CHANNEL)).fetchall()
        locale = connection.execute(
            "SELECT definition -> 'locales' ->> 0 FROM channels WHERE code = %s",
            (CHANNEL,)).fetchone()[0]
    published = [(sku, where, version) for sku, where, version, _, after in rows if after]
    payloads: dict[str, dict[str, int]] = defaultdict(dict)
    for sku, where, version, payload, _ in rows:
        if where == locale:
            payloads[sku][canonical(payload)] = version
    return published, payloads


def verify_writes(tally: Tally) -> list[str]:
    problems = []
    with psycopg.connect(PLAIN_URL) as connection:
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


def report(title: str, problems: list[str]) -> None:
    print(f"{title}: {len(problems)}")
    for problem in problems[:20]:
        print("  " + problem)


def main() -> int:
    fresh_database()
    folder = Path(tempfile.mkdtemp(prefix="pim-soak-"))
    env = {**os.environ, "PIM_DATABASE_URL": PG_URL, "PIM_REDIS_URL": REDIS_URL,
           "PIM_VAR_DIR": str(folder / "var"), "PIM_API_RATE_LIMIT": "0",
           "PIM_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"}
    pim = command(env)
    pim("db", "upgrade")
    pim("demo", "--products", "200")
    token = token_for(pim, "soak@pim.test", "editor")
    admin = token_for(pim, "soak-admin@pim.test", "admin")
    feed_key = pim("feedkey", "create", "--channel", CHANNEL, "--name", "soak").split()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tally, stop = Tally(), threading.Event()
    with Receiver(keep_alive=True) as receiver:
        subscription = subscribe(pim, receiver, CHANNEL)
        logs = folder / "logs"
        logs.mkdir()
        processes = [
            subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                             stderr=(logs / f"{name}.log").open("w"))
            for name, args in (
                ("serve", [*PIM, "serve", "--host", "127.0.0.1", "--port", str(port)]),
                ("worker-1", [*PIM, "worker", "--with-scheduler"]),
                ("worker-2", [*PIM, "worker"]))]
        try:
            wait_for_server(base, token)
            skus = hot_products(base, admin, tally)
            pullers = [FeedPuller(base, feed_key, CHANNEL, gzip=bool(n % 2))
                       for n in range(DISTRIBUTORS)]
            threads = [threading.Thread(target=editor, args=(base, token, skus, seed, stop,
                                                              tally))
                       for seed in range(EDITORS)]
            threads.append(threading.Thread(target=importer,
                                            args=(PIM, env, skus, stop, tally, folder)))
            threads.append(threading.Thread(target=publisher,
                                            args=(base, admin, CHANNEL, skus, stop, tally)))
            threads += [threading.Thread(target=puller.run, args=(stop, tally))
                        for puller in pullers]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            time.sleep(SECONDS)
            stop.set()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            with httpx.Client(base_url=base, timeout=300,
                              headers={"Authorization": f"Bearer {admin}"}) as client:
                publish(client, CHANNEL, skus, tally)  # the last edits too
            waited = wait_delivered(lambda: pending_deliveries(subscription), DELIVERY_WAIT)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
    requests = sum(tally.statuses.values())
    errors = sum(count for status, count in tally.statuses.items() if status >= 500)
    print(f"soak: {elapsed:.0f} s, {EDITORS} editors over {len(skus)} products, imports of "
          f"the same SKUs, a publisher, {DISTRIBUTORS} feed pullers, a webhook receiver; "
          "PostgreSQL, Redis, 2 workers, 1 server")
    print(f"requests {requests}, 5xx {errors}, 412 {tally.statuses.get(412, 0)}, "
          f"acknowledged writes {len(tally.acknowledged)}, snapshots published "
          f"{tally.published}")
    for kind, values in sorted(tally.latencies.items()):
        statuses = ", ".join(f"{status}: {count}"
                             for status, count in sorted(tally.by_kind[kind].items()))
        print(f"  {kind:15} n={len(values):6}  p50 {percentile(values, 0.5):8.1f} ms  "
              f"p99 {percentile(values, 0.99):8.1f} ms  "
              f"mean {statistics.fmean(values) * 1000:8.1f} ms  ({statuses})")
    published, payloads = published_snapshots(subscription)
    delivery_problems, deliveries = check_deliveries(receiver, published)
    print(f"webhooks: {deliveries['publications']} publications, {deliveries['requests']} "
          f"deliveries received ({deliveries['distinct']} distinct, "
          f"{deliveries['redelivered']} again), the last {waited:.0f} s after the load")
    feed_problems, pulls = check_feed_pulls(pullers, payloads)
    print(f"feeds: {pulls['200']} × 200 ({pulls['lines']} lines), {pulls['304']} × 304, "
          f"{pulls['other']} other")
    write_problems = verify_writes(tally)
    report("lost or unrecorded writes", write_problems)
    report("publications not delivered, or out of order", delivery_problems)
    report("feed pulls not answered or inconsistent", feed_problems)
    print(f"server and worker logs: {logs}")
    failed = errors or write_problems or delivery_problems or feed_problems
    failed = failed or not published or not pulls["200"]  # the checks must have had work
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
