"""The embedded runner: jobs run in threads of this process when there is no Redis.

``embedded_workers`` threads run jobs; one scheduler thread claims due rows (queued, or
scheduled with ``run_at`` passed) only as threads fall free, so a claimed row is always
being worked on. Claims are conditional UPDATEs (``state.claim_due_jobs``): several
processes (web processes, ``pim worker``) can share one database without running a job
twice. The web app calls :func:`start_embedded_runner` / :func:`stop_embedded_runner`;
``pim worker`` without Redis runs one in the foreground.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from pim.config import get_settings
from pim.db import utcnow
from pim.jobs import dispatch, state
from pim.jobs.execution import execute_claimed
from pim.jobs.recovery import run_maintenance_tasks
from pim.jobs.registry import load_job_modules
from pim.jobs.settings import get_job_settings

log = logging.getLogger("pim.jobs")

_local_runner: EmbeddedRunner | None = None
_local_lock = threading.Lock()


class EmbeddedRunner:
    def __init__(self, workers: int | None = None, *, poll_interval: float | None = None):
        settings = get_job_settings()
        self.name = state.runner_name("embedded")
        self.workers = max(1, workers or get_settings().embedded_workers)
        self.poll_interval = poll_interval or settings.poll_interval
        self.maintenance_interval = settings.maintenance_interval
        self._claimed: queue.Queue[tuple[str, int] | None] = queue.Queue()
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> EmbeddedRunner:
        load_job_modules()
        self._recover()
        self._start_workers()
        scheduler = threading.Thread(target=self._schedule_forever, name="jobs-scheduler",
                                     daemon=True)
        scheduler.start()
        self._threads.append(scheduler)
        log.info("embedded job runner %s: %s threads", self.name, self.workers)
        return self

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop claiming, let running jobs finish (up to ``timeout`` seconds; a job still
        running then is recovered by the next runner to start)."""
        self._stopping.set()
        self._wake.set()
        for _ in range(self.workers):
            self._claimed.put(None)
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def wake(self) -> None:
        """Look for due jobs now (a job was just enqueued in this process)."""
        self._wake.set()

    def run_until_idle(self) -> None:
        """Run due jobs until none is due and none is running (``pim worker --burst``)."""
        load_job_modules()
        self._recover()
        self._start_workers()
        try:
            while True:
                claimed = self._claim_into_free_threads()
                if not claimed and self._busy_count() == 0 and not state.due_overview()[0]:
                    return
                self._wake.wait(self.poll_interval)
                self._wake.clear()
        finally:
            self.stop(timeout=None)

    # -- threads -------------------------------------------------------------------------

    def _start_workers(self) -> None:
        for number in range(self.workers):
            thread = threading.Thread(target=self._work_forever, name=f"jobs-worker-{number}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def _schedule_forever(self) -> None:
        next_maintenance = time.monotonic() + self.maintenance_interval
        while not self._stopping.is_set():
            wait = self.poll_interval
            try:
                self._claim_into_free_threads()
                if time.monotonic() >= next_maintenance:
                    self._recover()
                    next_maintenance = time.monotonic() + self.maintenance_interval
                _, upcoming = state.due_overview()
                if upcoming is not None:  # wake for a scheduled job due before the next poll
                    wait = min(wait, max(0.01, (upcoming - utcnow()).total_seconds()))
            except Exception:  # the database may be briefly away; try again next poll
                log.exception("embedded job scheduler: claiming due jobs failed")
            self._wake.wait(wait)
            self._wake.clear()

    def _claim_into_free_threads(self) -> int:
        if self._stopping.is_set():
            return 0
        free = self.workers - self._busy_count()
        if free <= 0 or not state.due_overview()[0]:
            return 0
        claimed = state.claim_due_jobs(limit=free, runner=self.name)
        for item in claimed:
            with self._busy_lock:
                self._busy += 1
            self._claimed.put(item)
        return len(claimed)

    def _work_forever(self) -> None:
        while True:
            item = self._claimed.get()
            if item is None:
                return
            try:
                execute_claimed(*item)
            except Exception:
                log.exception("job %s: the runner failed to record its outcome", item[0])
            finally:
                with self._busy_lock:
                    self._busy -= 1
                self._wake.set()  # a thread fell free: claim the next due job now

    def _busy_count(self) -> int:
        with self._busy_lock:
            return self._busy

    def _recover(self) -> None:
        try:
            run_maintenance_tasks()
        except Exception:
            log.exception("embedded job runner: recovering lost jobs failed")


def start_embedded_runner(workers: int | None = None) -> EmbeddedRunner | None:
    """Start this process's runner (the web app calls this on startup). Returns None when
    ``PIM_REDIS_URL`` is set: rq workers run the jobs then."""
    global _local_runner
    if get_settings().redis_url:
        log.info("PIM_REDIS_URL is set: jobs run on rq workers, not in this process")
        return None
    with _local_lock:
        if _local_runner is None:
            _local_runner = EmbeddedRunner(workers).start()
            dispatch.local_runner_wake = _local_runner.wake
        return _local_runner


def stop_embedded_runner(runner: EmbeddedRunner | None = None, timeout: float = 30.0) -> None:
    global _local_runner
    with _local_lock:
        runner = runner or _local_runner
        if runner is _local_runner:
            _local_runner = None
            dispatch.local_runner_wake = None
    if runner is not None:
        runner.stop(timeout)

