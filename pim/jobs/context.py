"""What a job function receives: who asked, its payload, and a cheap way to report progress."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from pim.db import session_scope
from pim.jobs.errors import JobCancelled

# (done, total, message) -> False when the record no longer belongs to this run
ProgressWriter = Callable[[int, int | None, str], bool]
ProgressDisplay = Callable[[int, int | None, str], None]


class JobContext:
    """Passed as the first argument of every job function.

    ``progress()`` may be called for every item: it writes to the database at most once per
    ``write_interval`` seconds (and always when ``done`` reaches ``total``), so a job over a
    million rows costs a few hundred small UPDATEs, not a million.
    """

    def __init__(self, *, job_id: str, kind: str, payload: dict[str, Any],
                 created_by: str | None, attempt: int, max_attempts: int,
                 write_progress: ProgressWriter, write_interval: float = 0.5,
                 display: ProgressDisplay | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.job_id = job_id
        self.kind = kind
        self.payload = payload
        self.created_by = created_by
        self.attempt = attempt
        self.max_attempts = max_attempts
        self.done = 0
        self.total: int | None = None
        self.message = ""
        self._write_progress = write_progress
        self._write_interval = write_interval
        self._display = display
        self._clock = clock
        self._last_write: float | None = None
        self._unwritten = False
        self._deferred = False

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Report ``done`` of ``total`` items (total and message keep their last value when
        not given). Raises :class:`JobCancelled` when the job should stop."""
        self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message
        self._unwritten = True
        if self._display is not None:
            self._display(self.done, self.total, self.message)
        if self._deferred:
            return
        now = self._clock()
        finished = self.total is not None and done >= self.total
        if finished or self._last_write is None or now - self._last_write >= self._write_interval:
            self.flush()

    def flush(self) -> None:
        """Write the latest progress now (the runner calls it when the function returns)."""
        if not self._unwritten:
            return
        self._last_write = self._clock()
        self._unwritten = False
        if not self._write_progress(self.done, self.total, self.message):
            raise JobCancelled(f"job {self.job_id} was cancelled or handed to another worker")

    @contextlib.contextmanager
    def deferred_progress(self, defer: bool = True) -> Iterator[None]:
        """Show progress but write it only when the block ends.

        For work that holds SQLite's one write lock for its whole length (a dry-run import,
        an import that aborts on the first error): a progress write on another connection
        would wait for that lock until it timed out and failed the job.
        """
        if not defer:
            yield
            return
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
        self.flush()

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work for the job (commits on success), on the hub's database."""
        with session_scope() as session:
            yield session
