"""Racing writes against a live server (uvicorn in a subprocess, its own connections): the
version check is part of the write, so a loser with If-Match gets 412 with the current
ETag, a write without If-Match applies over whatever version is current, and no write is
acknowledged and then lost. Never a 500."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from pim.catalog.read import get_product
from pim.db import dispose_engines, session_scope
from pim.history.models import HistoryEntry

WRITERS = 8


@pytest.fixture
def server(world, db) -> Iterator[str]:
    """The hub served by uvicorn in a subprocess over the test's database."""
    with serving(world, {}) as base:
        yield base


@pytest.fixture
def one_thread_server(world, db) -> Iterator[str]:
    """As ``server``, with one thread for the handlers (``PIM_WORKER_THREADS=1``)."""
    with serving(world, {"PIM_WORKER_THREADS": "1"}) as base:
        yield base


@contextlib.contextmanager
def serving(world, env: dict[str, str]) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dispose_engines()  # the server gets the database to itself but for our reads
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "pim.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
         "--log-level", "warning"], env={**os.environ, "PIM_API_RATE_LIMIT": "0", **env})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/api/v1/products/EL-1", headers=world.auth("viewer"),
                          timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    pytest.fail("the server exited on start")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def race(calls) -> list[httpx.Response]:
    """Run the ``calls`` (each taking an httpx client) all at once, one thread each."""
    start = threading.Barrier(len(calls))
    answers: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(index: int, call) -> None:
        with httpx.Client(timeout=60) as client:
            start.wait()
            try:
                answers[index] = call(client)
            except BaseException as error:  # reported below, with the others
                answers[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [a for a in answers if not isinstance(a, httpx.Response)]
    assert not failures, failures
    return answers  # type: ignore[return-value]


def name_patch(text: str) -> dict:
    return {"values": {"name": [{"locale": "en_GB", "scope": None, "data": text}]}}


def history_of(sku: str) -> list[HistoryEntry]:
    with session_scope() as session:
        return list(session.scalars(select(HistoryEntry).where(
            HistoryEntry.entity == "product", HistoryEntry.code == sku)
            .order_by(HistoryEntry.version)))


def test_racing_patches_with_one_if_match_give_one_success_and_412s(server, world):
    editor = world.auth("editor")
    url = f"{server}/api/v1/products/EL-1"
    etag = httpx.get(url, headers=editor).headers["etag"]
    answers = race([lambda c, n=n: c.patch(url, json=name_patch(f"writer {n}"),
                                           headers={**editor, "If-Match": etag})
                    for n in range(WRITERS)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * (WRITERS - 1), [a.text for a in answers]
    [winner] = [a for a in answers if a.status_code == 200]
    for loser in (a for a in answers if a.status_code == 412):
        assert loser.headers["etag"] == winner.headers["etag"] == '"2"'
        assert loser.headers["content-type"].startswith("application/problem+json")
    with session_scope() as session:
        stored = get_product(session, "EL-1")
    assert stored["values"]["name"][0]["data"] == winner.json()["values"]["name"][0]["data"]
    assert [entry.version for entry in history_of("EL-1")] == [1, 2]


def test_racing_patches_without_if_match_all_apply_and_none_is_lost(server, world):
    all_apply_and_none_is_lost(server, world, rounds=3)


def test_writers_waiting_for_the_write_lock_on_one_handler_thread_all_apply(
        one_thread_server, world):
    # Each writer waits for SQLite's write lock on the one handler thread while the holder
    # commits on a thread of its own: none may wait for ever (or out its busy timeout).
    all_apply_and_none_is_lost(one_thread_server, world, rounds=2)


def all_apply_and_none_is_lost(server: str, world, *, rounds: int) -> None:
    editor = world.auth("editor")
    url = f"{server}/api/v1/products/EL-1"

    def writer(n: int):
        def call(client: httpx.Client) -> httpx.Response:
            answer = None
            for r in range(rounds):
                answer = client.patch(url, json=name_patch(f"writer {n} round {r}"),
                                      headers=editor)
                assert answer.status_code == 200, answer.text
                acknowledged.append((answer.json()["version"], f"writer {n} round {r}"))
            assert answer is not None
            return answer
        return call

    acknowledged: list[tuple[int, str]] = []
    race([writer(n) for n in range(WRITERS)])
    history = history_of("EL-1")
    # Every acknowledged write is a version of its own, recorded with what it wrote.
    assert sorted(v for v, _ in acknowledged) == list(range(2, 2 + WRITERS * rounds))
    assert [entry.version for entry in history] == list(range(1, 2 + WRITERS * rounds))
    by_version = {entry.version: entry.state for entry in history}
    for version, text in acknowledged:
        assert by_version[version]["values"]["name"][0]["data"] == text
    with session_scope() as session:
        stored = get_product(session, "EL-1")
        assert stored["version"] == len(history) == session.scalar(
            select(func.count()).select_from(HistoryEntry).where(HistoryEntry.code == "EL-1"))


def test_racing_creations_of_one_sku_give_one_201_and_409s(server, world):
    editor = world.auth("editor")
    body = {"sku": "NEW-1", "family": "electronics",
            "values": {"brand": [{"locale": None, "scope": None, "data": "Voltia"}]}}
    answers = race([lambda c: c.post(f"{server}/api/v1/products", json=body, headers=editor)
                    for _ in range(WRITERS)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (WRITERS - 1), [a.text for a in answers]
    assert [entry.version for entry in history_of("NEW-1")] == [1]
