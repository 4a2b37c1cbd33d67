"""Running one claimed attempt of a job: the same code under rq, the embedded runner and
``run_inline``.

The attempt's outcome decides the next status: succeeded; failed at once on
``PermanentError`` (its message is the job's error, its traceback only logged); otherwise
retried after the kind's next delay while attempts remain,
then failed. A heartbeat thread marks the row alive while the function runs, so a process
that dies mid-job is noticed (see ``recovery``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError

from pim.db import lost_a_race, read_session
from pim.jobs import state
from pim.jobs.context import JobContext, ProgressDisplay
from pim.jobs.errors import JobCancelled, PermanentError, UnknownJobKind
from pim.jobs.models import Job
from pim.jobs.registry import JobSpec, get_spec
from pim.jobs.settings import get_job_settings

log = logging.getLogger("pim.jobs")

_MAX_ERROR_CHARS = 300  # of a job's error text; the server log has the rest


@dataclass
class AttemptOutcome:
    """How one attempt ended: ``succeeded``, ``failed`` (``permanent`` or not) or
    ``cancelled`` (the record was taken away from this run)."""

    status: str
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    permanent: bool = False
    context: JobContext | None = None


class Heartbeat:
    """Touches the row every ``interval`` seconds in a daemon thread while an attempt runs."""

    def __init__(self, job_id: str, attempt: int, interval: float):
        self._job_id, self._attempt, self._interval = job_id, attempt, interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id}",
                                        daemon=True)

    def __enter__(self) -> Heartbeat:
        state.mark_running_here(self._job_id, self._attempt, True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        state.mark_running_here(self._job_id, self._attempt, False)
        # A beat waiting for the database (SQLite busy) finds the attempt ended and stops.
        self._thread.join(timeout=1)

    def _beat(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                if not state.touch_heartbeat(self._job_id, self._attempt):
                    return  # the attempt ended or was taken over; nothing left to keep alive
            except DBAPIError as error:
                if not lost_a_race(error):
                    log.warning("heartbeat of job %s failed", self._job_id, exc_info=True)
                    continue
                # SQLite's write lock held past the busy timeout by a long write (often the
                # job's own import): this process knows the attempt is alive (runs_here),
                # and so does recovery on this machine. The next beat may pass.
                log.info("heartbeat of job %s skipped: the database is busy", self._job_id)
            except Exception:  # a missed beat is not fatal; the next one may pass
                log.warning("heartbeat of job %s failed", self._job_id, exc_info=True)


def describe_error(error: BaseException) -> str:
    """The failure as the job record shows it to everyone who may read the job: the kind of
    error and its first line, never a traceback, an SQL statement or its parameters (a
    database error's text carries both). The whole story is in the server log, which the
    caller writes."""
    if isinstance(error, DBAPIError):
        original = error.orig
        lines = str(original).strip().splitlines()
        text = f"database error ({type(original).__name__}): {lines[0] if lines else ''}"
    else:
        lines = str(error).strip().splitlines()
        text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    if len(text) > _MAX_ERROR_CHARS:
        text = text[:_MAX_ERROR_CHARS - 1] + "…"
    return f"{text} (details in the server log)"


def run_attempt(job_id: str, attempt: int, *, display: ProgressDisplay | None = None
                ) -> AttemptOutcome:
    """Call the job function for a claimed ``attempt``; never raises for its failures."""
    settings = get_job_settings()
    with read_session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return AttemptOutcome("cancelled", error="job row is gone")
        kind, payload, created_by, max_attempts = (job.kind, dict(job.payload), job.created_by,
                                                   job.max_attempts)
    context = JobContext(
        job_id=job_id, kind=kind, payload=payload, created_by=created_by, attempt=attempt,
        max_attempts=max_attempts, display=display,
        write_interval=settings.progress_write_interval,
        write_progress=lambda done, total, message: state.write_progress(
            job_id, attempt, done, total, message))
    with Heartbeat(job_id, attempt, settings.heartbeat_interval):
        try:
            function = get_spec(kind).function
            result = function(context, **payload)
            context.flush()
        except JobCancelled as error:
            return AttemptOutcome("cancelled", error=str(error), context=context)
        except PermanentError as error:
            # An ordinary failure (bad input, a missing row): its message is the whole story
            # for the person who asked; the traceback goes to the log only.
            log.info("job %s (%s) failed: %s", job_id, kind, error, exc_info=True)
            return AttemptOutcome("failed", error=str(error) or type(error).__name__,
                                  permanent=True, context=context)
        except Exception as error:  # any other failure is worth another attempt
            log.warning("job %s (%s) attempt %s failed", job_id, kind, attempt, exc_info=True)
            return AttemptOutcome("failed", error=describe_error(error), context=context)
    if result is None:
        result = {}
    elif not isinstance(result, dict):
        result = {"value": result}
    return AttemptOutcome("succeeded", result=result, context=context)


def record_attempt(job_id: str, attempt: int, outcome: AttemptOutcome) -> str | None:
    """Write the attempt's outcome to the row; returns the job's new status (None when
    the row had moved on: cancelled, or recovered and handed to another worker)."""
    if outcome.status == "cancelled":
        return None
    if outcome.status == "succeeded":
        context = outcome.context
        assert context is not None
        done = state.record_success(job_id, attempt, outcome.result, done=context.done,
                                    total=context.total, message=context.message)
        return "succeeded" if done else None
    return state.record_failure(job_id, attempt, outcome.error,
                                retry_in=next_retry_delay(job_id, attempt, outcome),
                                permanent=outcome.permanent)


def next_retry_delay(job_id: str, attempt: int, outcome: AttemptOutcome) -> float | None:
    """Seconds until the next attempt, or None when the job has no attempt left."""
    if outcome.permanent:
        return None
    context = outcome.context
    max_attempts = context.max_attempts if context else 1
    if context is None or attempt >= max_attempts:
        return None
    try:
        spec = get_spec(context.kind)
    except UnknownJobKind:  # this process lacks the module; another worker may have it
        spec = JobSpec(context.kind, lambda ctx: None, "", max_attempts, None, 0)
    return spec.delay_after(attempt)


def execute_claimed(job_id: str, attempt: int) -> str | None:
    """Run and record a claimed attempt (rq and the embedded runner)."""
    outcome = run_attempt(job_id, attempt)
    status = record_attempt(job_id, attempt, outcome)
    if status is None:
        log.info("job %s attempt %s: outcome discarded, the job moved on (%s)", job_id,
                 attempt, outcome.error or outcome.status)
    else:
        log.info("job %s attempt %s: %s", job_id, attempt, status)
    return status
