"""The threads that run the handlers' synchronous work, bounded by ``PIM_WORKER_THREADS``.

Litestar runs a ``sync_to_thread`` handler with ``loop.run_in_executor(None, ...)``: on the
event loop's default executor. Python runs one thread at a time (the GIL), so handlers
beyond the cores do not run sooner: they interleave, each taking as many times longer as
there are handlers running. With fewer threads, requests wait for one first come first
served (the executor's queue) and then run at full speed; the wait is reported as the
``queue`` part of ``Server-Timing`` (``pim.api.timing``). But a handler waiting for
SQLite's write lock keeps its thread: with as few threads as cores, saves waiting their
turn hold every thread and reads queue behind them. The default is therefore asyncio's own
size (``min(32, CPUs + 4)``); ``PIM_WORKER_THREADS`` sets another (the CPU count suits a
read-mostly server: pages take less server time each).

The executor is installed when the app starts (``install_handler_threads``, an on-startup
hook: the loop exists by then). Nothing on it may wait for other work on it, or a small
limit deadlocks: a handler blocks at most on SQLite's write lock (``pim.db.WriteGate``),
and the writer holding that lock never needs a handler thread to let it go: its commit runs
on threads of its own (``pim.api.sessions``), a job on the runner's, an import on its
worker's. Streams (exports, feeds, the bulk upsert) take a thread per chunk, not for their
whole length.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pim.api.timing import current_clock
from pim.config import get_settings


def handler_thread_count() -> int:
    """``PIM_WORKER_THREADS``, or by default asyncio's default executor's size."""
    configured = get_settings().worker_threads
    return configured if configured else min(32, (os.cpu_count() or 1) + 4)


class HandlerExecutor(ThreadPoolExecutor):
    """A thread pool that adds the time a request's call waited for a thread to that
    request's ``queue`` time (calls made outside a request are not timed)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        clock = current_clock.get()
        if clock is None:
            return super().submit(fn, *args, **kwargs)
        submitted = time.perf_counter()

        def timed() -> Any:
            clock.queued += time.perf_counter() - submitted
            return fn(*args, **kwargs)

        return super().submit(timed)


def install_handler_threads() -> None:
    """Make a ``HandlerExecutor`` of ``handler_thread_count()`` threads the running loop's
    default executor (asyncio shuts it down with the loop)."""
    executor = HandlerExecutor(max_workers=handler_thread_count(),
                               thread_name_prefix="pim-handler")
    asyncio.get_running_loop().set_default_executor(executor)
