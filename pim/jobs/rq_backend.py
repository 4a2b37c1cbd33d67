"""Running jobs on rq workers over Redis (``PIM_REDIS_URL``).

One rq job per attempt, with id ``<job id>-a<attempts made before it>``: a retry is a new
rq job (scheduled with ``enqueue_at`` when it has a delay), and the id says which attempt
an rq job was for, so a late duplicate or callback can never touch a newer attempt.

The rq job only calls :func:`perform_rq_job`, which claims the row and runs the job
function through the same code as the embedded runner. rq's scheduler (``pim worker
--with-scheduler``) owns time: scheduled jobs and retry delays.

A job never silently disappears: a work horse that dies is reported by rq
(``work_horse_killed_handler``, and ``AbandonedJobError`` from the started registry's
cleanup through the job's ``on_failure`` callback), and every worker's maintenance
recovers rows whose runner is gone (``recovery``) and resends pending rows Redis lost.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from redis import Redis
from rq import Callback, Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job as RqJob
from rq.job import JobStatus
from sqlalchemy import select

from pim import db
from pim.config import get_settings
from pim.db import read_session, utcnow
from pim.jobs import state
from pim.jobs.dispatch import Dispatch, send
from pim.jobs.execution import execute_claimed
from pim.jobs.models import Job
from pim.jobs.recovery import run_maintenance_tasks
from pim.jobs.registry import get_spec, load_job_modules
from pim.jobs.settings import get_job_settings

log = logging.getLogger("pim.jobs")

_ALIVE_RQ_STATUSES = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED,
                      JobStatus.DEFERRED, JobStatus.CREATED}


class JobFailed(Exception):
    """Raised to rq once the job has failed for good, so rq's failed registry agrees."""


@cache
def redis_connection(url: str) -> Redis:
    return Redis.from_url(url)


def _connection() -> Redis:
    url = get_settings().redis_url
    if not url:
        raise RuntimeError("PIM_REDIS_URL is not set")
    return redis_connection(url)


def rq_job_id(job_id: str, attempts_made: int) -> str:
    return f"{job_id}-a{attempts_made}"


def _parse_rq_job_id(rq_id: str) -> tuple[str, int]:
    job_id, _, attempts = rq_id.rpartition("-a")
    return job_id, int(attempts)


def send_to_rq(dispatch: Dispatch) -> None:
    spec = get_spec(dispatch.kind)
    queue = Queue(spec.queue, connection=_connection())
    options: dict[str, Any] = {
        "args": (dispatch.job_id, dispatch.attempts),
        "job_id": rq_job_id(dispatch.job_id, dispatch.attempts),
        "job_timeout": spec.timeout,
        "result_ttl": get_job_settings().result_ttl,
        "description": f"{dispatch.kind} {dispatch.job_id}",
        "on_failure": Callback(on_rq_job_failure),
    }
    if dispatch.run_at is not None and dispatch.run_at > utcnow():
        queue.enqueue_at(_next_whole_second(dispatch.run_at), perform_rq_job, **options)
    else:
        queue.enqueue(perform_rq_job, **options)


def _next_whole_second(moment: datetime) -> datetime:
    """rq's scheduled registry keeps whole seconds and drops the fraction, which would run
    a job up to a second early; rounding up keeps "not before run_at"."""
    if moment.microsecond == 0:
        return moment
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def perform_rq_job(job_id: str, attempts_made: int) -> dict[str, Any]:
    """What rq runs: claim the attempt after ``attempts_made`` and run it."""
    load_job_modules()
    attempt = state.claim_job(job_id, expected_attempts=attempts_made,
                              runner=state.runner_name("rq"))
    if attempt is None:  # cancelled, or a duplicate of an attempt already taken
        return {"skipped": f"job {job_id} is not pending for attempt {attempts_made + 1}"}
    status = execute_claimed(job_id, attempt)
    if status == "failed":
        raise JobFailed(f"job {job_id} failed on attempt {attempt}")
    return {"job": job_id, "attempt": attempt, "status": status}


def on_rq_job_failure(rq_job: RqJob, connection, exc_type, exc_value, _traceback) -> None:
    """rq gave up on an attempt outside the job function (abandoned by a dead worker, a
    timeout while recording): make the row say so."""
    if exc_type is JobFailed:
        return  # the row already says failed
    job_id, attempts_made = _parse_rq_job_id(rq_job.id)
    reason = f"rq reported {getattr(exc_type, '__name__', exc_type)}: {exc_value}".strip()
    state.record_lost(job_id, attempts_made + 1, reason)


def _on_work_horse_killed(rq_job: RqJob, _pid, return_value, _rusage) -> None:
    job_id, attempts_made = _parse_rq_job_id(rq_job.id)
    state.record_lost(job_id, attempts_made + 1,
                      f"the rq work horse died (waitpid status {return_value})")


def rq_attempt_lost(job_id: str, attempt: int, _runner: str) -> str | None:
    """Recovery's rq check: the attempt's rq job ended or vanished without the row hearing."""
    rq_id = rq_job_id(job_id, attempt - 1)
    try:
        status = RqJob.fetch(rq_id, connection=_connection()).get_status(refresh=False)
    except NoSuchJobError:
        return f"its rq job {rq_id} is gone"
    if status not in _ALIVE_RQ_STATUSES:
        return f"its rq job {rq_id} is {status.value}"
    return None


def resend_unsent_jobs() -> int:
    """Pending rows without their rq job (Redis was down at commit, or flushed): send again."""
    connection = _connection()
    with read_session() as session:
        rows = session.execute(select(Job.id, Job.kind, Job.attempts, Job.run_at)
                               .where(Job.status.in_(state.PENDING))).all()
    resent = 0
    for job_id, kind, attempts, run_at in rows:
        if RqJob.exists(rq_job_id(job_id, attempts), connection):
            continue
        send(Dispatch(job_id, kind, attempts, run_at))
        resent += 1
    return resent


def run_maintenance() -> None:
    """The hub's part of worker maintenance; several workers may run it at once."""
    run_maintenance_tasks(rq_check=rq_attempt_lost)
    resend_unsent_jobs()


class PimWorker(Worker):
    """An rq worker that also keeps the job rows honest during its maintenance."""

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        try:
            run_maintenance()
        except Exception:
            self.log.exception("job recovery failed; will try again at the next maintenance")


def _forget_inherited_connections() -> None:
    """A forked work horse must not share the parent's database connections."""
    for engine in list(db._engines.values()):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_connections)


def run_rq_worker(queues: list[str], *, burst: bool, with_scheduler: bool,
                  name: str | None = None) -> bool:
    """Run an rq worker until stopped (or, with ``burst``, until the queues are empty)."""
    load_job_modules()
    interval = max(1, int(get_job_settings().maintenance_interval))
    connection = _connection()
    worker = PimWorker(
        [Queue(queue, connection=connection) for queue in queues], name=name,
        connection=connection, maintenance_interval=interval,
        # rq runs maintenance between dequeues; a dequeue blocks worker_ttl - 15 seconds.
        worker_ttl=interval + 15,
        work_horse_killed_handler=_on_work_horse_killed)
    log.info("rq worker %s on queues %s (maintenance every %s)", worker.name,
             ", ".join(queues), timedelta(seconds=interval))
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO")
