"""At least once on real rq workers: a worker killed mid-delivery loses nothing."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.integration.webhooks.receiver import Receiver, Reply, wait_for

PIM = str(Path(sys.executable).parent / "pim")


def start_worker(tmp_path: Path, name: str) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    # Its own session: stopping it at the end reaches whatever it started.
    return subprocess.Popen([PIM, "worker", "--with-scheduler", "--name", name],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def descendants(pid: int) -> list[int]:
    """Child processes, recursively (rq's work horse starts its own session, so a process
    group signal misses it)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse at once, as when the machine dies."""
    for pid in [*descendants(process.pid), process.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=5)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@pytest.fixture
def on_rq(hooks, redis_url, monkeypatch):
    from pim.config import reset_settings
    from pim.jobs.settings import reset_job_settings

    monkeypatch.setenv("PIM_REDIS_URL", redis_url)
    monkeypatch.setenv("PIM_JOB_MAINTENANCE_INTERVAL", "1")
    monkeypatch.setenv("PIM_JOB_STALE_AFTER", "5")
    monkeypatch.setenv("PIM_JOB_HEARTBEAT_INTERVAL", "1")
    reset_settings()
    reset_job_settings()
    yield
    reset_job_settings()


@pytest.mark.slow
def test_a_worker_killed_mid_delivery_loses_nothing_and_keeps_the_order(hooks, on_rq, tmp_path):
    release_first = threading.Event()

    def script(n, received):
        if n == 0:  # hold the first request until the worker has been killed
            release_first.wait(20)
        return Reply(200)

    workers = []
    with Receiver(script) as receiver:
        try:
            sub = hooks.subscribe(receiver)
            for version in (1, 2, 3):
                hooks.publish(sku="SKU-7", version=version)
            workers.append(start_worker(tmp_path, "first"))
            wait_for(lambda: receiver.requests, timeout=30)
            kill_hard(workers[0])
            release_first.set()
            workers.append(start_worker(tmp_path, "second"))
            wait_for(lambda: len(hooks.deliveries(sub.id, status="succeeded")) == 3,
                     timeout=60, interval=0.2)
        finally:
            release_first.set()
            for worker in workers:
                stop(worker)
    arrivals = [(r.headers["webhook-id"], json.loads(r.body)["data"]["snapshot_version"])
                for r in receiver.requests]
    assert all(r.verified for r in receiver.requests)
    assert arrivals[0][1] == 1 and arrivals[1] == arrivals[0]  # sent again, same webhook-id
    first_arrival_order = list(dict.fromkeys(version for _, version in arrivals))
    assert first_arrival_order == [1, 2, 3]
    assert [v for _, v in arrivals[1:]] == [1, 2, 3]  # nothing overtook the interrupted one


@pytest.mark.slow
@pytest.mark.parametrize("runner_kind", [pytest.param("rq", marks=pytest.mark.redis), "embedded"])
def test_a_worker_killed_mid_batch_sends_the_batch_again_with_the_same_webhook_ids(
        hooks, tmp_path, monkeypatch, request, runner_kind):
    """Four requests of a batch are in flight when the worker (rq, or ``pim worker``
    running the embedded runner) is SIGKILLed: the next worker sends them again with the
    same webhook-ids, then the rest, every signature verifies and no product's versions
    overtake each other."""
    from pim.config import reset_settings

    if runner_kind == "rq":
        request.getfixturevalue("on_rq")
    monkeypatch.setenv("PIM_WEBHOOK_TIMEOUT", "30")  # the held requests must not time out
    monkeypatch.setenv("PIM_WEBHOOK_CONCURRENCY", "4")
    monkeypatch.setenv("PIM_JOB_POLL_INTERVAL", "0.1")
    reset_settings()
    four_held, release = threading.Event(), threading.Event()

    def script(n, received):
        if not release.is_set():
            if n >= 3:
                four_held.set()
            release.wait(30)
        return Reply(200)

    workers = []
    with Receiver(script, keep_alive=True) as receiver:
        try:
            sub = hooks.subscribe(receiver)
            for version in (1, 2):
                for n in range(10):
                    hooks.publish(sku=f"SKU-{n}", version=version)
            workers.append(start_worker(tmp_path, "first"))
            assert four_held.wait(60)
            kill_hard(workers[0])
            held = {r.headers["webhook-id"] for r in receiver.requests}
            release.set()
            workers.append(start_worker(tmp_path, "second"))
            wait_for(lambda: len(hooks.deliveries(sub.id, status="succeeded")) == 20,
                     timeout=90, interval=0.2)
        finally:
            release.set()
            for worker in workers:
                stop(worker)
    assert len(held) >= 4
    assert all(r.verified for r in receiver.requests)
    later = [r.headers["webhook-id"] for r in receiver.requests[len(held):]]
    assert held <= set(later)  # sent again, same webhook-id
    for n in range(10):
        versions = [json.loads(r.body)["data"]["snapshot_version"] for r in receiver.requests
                    if json.loads(r.body)["data"]["sku"] == f"SKU-{n}"]
        assert versions == sorted(versions) and set(versions) == {1, 2}
