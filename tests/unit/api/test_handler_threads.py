"""The handlers' thread pool (``pim.api.threads``): its size, and the time a request's
call waits in its queue, reported as the ``queue`` part of ``Server-Timing``."""

from __future__ import annotations

import os
import threading

import pytest

from pim.api.threads import HandlerExecutor, handler_thread_count
from pim.api.timing import RequestClock, current_clock, server_timing
from pim.config import reset_settings


@pytest.fixture
def worker_threads(monkeypatch):
    def set_to(value: str | None) -> int:
        if value is None:
            monkeypatch.delenv("PIM_WORKER_THREADS", raising=False)
        else:
            monkeypatch.setenv("PIM_WORKER_THREADS", value)
        reset_settings()
        return handler_thread_count()
    yield set_to
    reset_settings()


def test_the_pool_has_the_configured_threads_or_asyncios_default(worker_threads):
    assert worker_threads("3") == 3
    assert worker_threads(None) == min(32, (os.cpu_count() or 1) + 4)
    assert worker_threads("0") == min(32, (os.cpu_count() or 1) + 4)


def test_a_negative_thread_count_is_refused_naming_the_setting(worker_threads):
    with pytest.raises(ValueError, match="worker_threads"):
        worker_threads("-1")


def test_a_call_queued_behind_a_busy_thread_adds_its_wait_to_the_request():
    release = threading.Event()
    with HandlerExecutor(max_workers=1) as executor:
        busy = executor.submit(release.wait)  # outside any request: not timed
        clock = RequestClock(started=0.0)
        token = current_clock.set(clock)
        try:
            queued = executor.submit(lambda: threading.current_thread().name)
        finally:
            current_clock.reset(token)
        assert not queued.done()  # it waits for the one thread
        release.set()
        busy.result(timeout=10)
        queued.result(timeout=10)
    assert clock.queued > 0
    header = server_timing(clock, now=clock.started + clock.queued + 0.0123).decode()
    assert header.startswith("app;dur=12.3, queue;dur=")
