"""Every change of a job row's status, each one conditional UPDATE.

Runners never read-then-write a status: each transition is ``UPDATE ... WHERE status = ...
AND attempts = ...``, so two processes racing for one job (two embedded runners, an rq
worker and the recovery of another) cannot both win, on SQLite or PostgreSQL. A runner that
loses the race (the job was cancelled or recovered meanwhile) sees rowcount 0 and stops.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from pim.db import affected, read_session, session_scope, utcnow
from pim.jobs.dispatch import Dispatch, dispatch_after_commit
from pim.jobs.models import Job

PENDING = ("queued", "scheduled")
ACTIVE = ("queued", "scheduled", "running")

_NO_SYNC = {"synchronize_session": False}


# Tells this process from an earlier one with the same pid (a restarted container's pid 1).
_PROCESS_TOKEN = uuid.uuid4().hex[:8]


def runner_name(kind: str) -> str:
    """``kind:host:pid:token`` of this process; ``kind`` is rq, embedded or inline."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}"


def runner_is_gone(runner: str) -> bool:
    """True when ``runner`` ran on this host and its process has certainly ended. Other
    hosts (and a pid reused by another process) are left to the heartbeat."""
    parts = runner.split(":")
    if len(parts) != 4 or parts[1] != socket.gethostname() or not parts[2].isdigit():
        return False
    pid, token = int(parts[2]), parts[3]
    if pid == os.getpid():
        return token != _PROCESS_TOKEN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process holds the pid: alive
        return False
    return False


# The attempts this process is running now (``Heartbeat`` adds and removes them): alive
# whatever their heartbeat says, so an attempt whose beats are held up (SQLite's one write
# lock held by a long import) is never taken for lost by its own process.
_running_here: set[tuple[str, int]] = set()
_running_lock = threading.Lock()


def mark_running_here(job_id: str, attempt: int, running: bool) -> None:
    with _running_lock:
        if running:
            _running_here.add((job_id, attempt))
        else:
            _running_here.discard((job_id, attempt))


def runs_here(job_id: str, attempt: int) -> bool:
    """Whether this process is running ``attempt`` of the job right now."""
    return (job_id, attempt) in _running_here


def runner_is_alive_here(runner: str) -> bool:
    """True when ``runner`` is a live process of this host (this one or another)."""
    parts = runner.split(":")
    return (len(parts) == 4 and parts[1] == socket.gethostname() and parts[2].isdigit()
            and not runner_is_gone(runner))


def _this_attempt(job_id: str, attempt: int):
    return and_(Job.id == job_id, Job.status == "running", Job.attempts == attempt)


def _claim_values(runner: str, now: datetime) -> dict[str, Any]:
    return {"status": "running", "attempts": Job.attempts + 1, "started_at": now,
            "heartbeat_at": now, "finished_at": None, "runner": runner}


def claim_job(job_id: str, *, expected_attempts: int | None, runner: str) -> int | None:
    """Take one pending job (rq: the scheduler already judged it due). Returns the attempt
    number now running, or None when the job is not pending or another attempt took it."""
    conditions = [Job.id == job_id, Job.status.in_(PENDING)]
    if expected_attempts is not None:
        conditions.append(Job.attempts == expected_attempts)
    with session_scope() as session:
        done = session.execute(update(Job).where(*conditions)
                               .values(**_claim_values(runner, utcnow())),
                               execution_options=_NO_SYNC)
        if affected(done) != 1:
            return None
        return session.scalar(select(Job.attempts).where(Job.id == job_id))


def _due(now: datetime):
    return or_(Job.status == "queued", and_(Job.status == "scheduled", Job.run_at <= now))


def claim_due_jobs(*, limit: int, runner: str) -> list[tuple[str, int]]:
    """Take up to ``limit`` due jobs, oldest first: ``[(job_id, attempt)]``.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets runners in several processes claim side by
    side without waiting on each other. SQLite: the writer's ``BEGIN IMMEDIATE`` already
    serialises claimers. Either way the UPDATE repeats the condition.
    """
    now = utcnow()
    claimed: list[tuple[str, int]] = []
    with session_scope() as session:
        rows = session.execute(
            select(Job.id, Job.attempts).where(_due(now)).order_by(Job.created_at)
            .limit(limit).with_for_update(skip_locked=True)).all()
        for job_id, attempts in rows:
            done = session.execute(
                update(Job).where(Job.id == job_id, Job.status.in_(PENDING),
                                  Job.attempts == attempts)
                .values(**_claim_values(runner, now)), execution_options=_NO_SYNC)
            if affected(done) == 1:
                claimed.append((job_id, attempts + 1))
    return claimed


def due_overview() -> tuple[bool, datetime | None]:
    """(is any job due now, when the next scheduled one falls due): a read that lets the
    embedded scheduler skip the write lock when there is nothing to claim."""
    now = utcnow()
    with read_session() as session:
        due = session.scalar(select(Job.id).where(_due(now)).limit(1)) is not None
        upcoming = session.scalar(select(func.min(Job.run_at))
                                  .where(Job.status == "scheduled", Job.run_at > now))
    return due, upcoming


def write_progress(job_id: str, attempt: int, done: int, total: int | None,
                   message: str) -> bool:
    with session_scope() as session:
        result = session.execute(
            update(Job).where(_this_attempt(job_id, attempt))
            .values(progress_done=done, progress_total=total, message=message,
                    heartbeat_at=utcnow()), execution_options=_NO_SYNC)
        return affected(result) == 1


def touch_heartbeat(job_id: str, attempt: int) -> bool:
    with session_scope() as session:
        result = session.execute(update(Job).where(_this_attempt(job_id, attempt))
                                 .values(heartbeat_at=utcnow()), execution_options=_NO_SYNC)
        return affected(result) == 1


def record_success(job_id: str, attempt: int, result: dict[str, Any], *, done: int,
                   total: int | None, message: str) -> bool:
    with session_scope() as session:
        updated = session.execute(
            update(Job).where(_this_attempt(job_id, attempt))
            .values(status="succeeded", result=result, finished_at=utcnow(),
                    progress_done=done, progress_total=total, message=message),
            execution_options=_NO_SYNC)
        return affected(updated) == 1


def record_failure(job_id: str, attempt: int, error: str, *,
                   retry_in: float | None, permanent: bool = False) -> str | None:
    """Fail this attempt: schedule the next one ``retry_in`` seconds from now, or fail the
    job when ``retry_in`` is None. A ``permanent`` failure (never retried) keeps its error as
    it is, without an "attempt N of M" that would suggest otherwise. Returns the new status,
    None when the row was not ours."""
    now = utcnow()
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "running" or job.attempts != attempt:
            return None
        label = f"attempt {attempt} of {job.max_attempts}"
        values: dict[str, Any]
        if permanent:
            values = {"status": "failed", "finished_at": now, "error": error,
                      "message": "failed"}
        elif retry_in is None:
            values = {"status": "failed", "finished_at": now, "error": f"{label} failed: {error}",
                      "message": f"failed after {label}"}
        else:
            run_at = now + timedelta(seconds=retry_in)
            values = {"status": "scheduled", "run_at": run_at,
                      "error": f"{label} failed: {error}",
                      "message": f"{label} failed; retrying at {run_at.isoformat()}"}
        return _transition(session, job, attempt, values)


def retry_in_place(job_id: str, attempt: int, error: str) -> bool:
    """Inline runs retry in their own process: the row stays running, one attempt further."""
    with session_scope() as session:
        max_attempts = session.scalar(select(Job.max_attempts).where(Job.id == job_id))
        updated = session.execute(
            update(Job).where(_this_attempt(job_id, attempt))
            .values(attempts=attempt + 1, heartbeat_at=utcnow(),
                    error=f"attempt {attempt} of {max_attempts} failed: {error}",
                    message=f"attempt {attempt} of {max_attempts} failed; retrying"),
            execution_options=_NO_SYNC)
        return affected(updated) == 1


def record_lost(job_id: str, attempt: int, reason: str) -> str | None:
    """The process running ``attempt`` died: requeue the job when attempts remain, fail it
    otherwise. Inline runs are never requeued: their input may be a file on that machine.
    Returns the new status, None when the attempt had already ended."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "running" or job.attempts != attempt:
            return None
        label = f"attempt {attempt} of {job.max_attempts} lost: {reason}"
        inline = (job.runner or "").startswith("inline:")
        if attempt < job.max_attempts and not inline:
            values: dict[str, Any] = {"status": "queued", "run_at": None,
                                      "error": f"{label}; requeued", "message": "requeued"}
        else:
            values = {"status": "failed", "finished_at": utcnow(), "error": label,
                      "message": "lost"}
        return _transition(session, job, attempt, values)


def _transition(session, job: Job, attempt: int, values: dict[str, Any]) -> str | None:
    """Apply ``values`` if ``attempt`` still runs; a job made pending again is handed to
    the runners once the transaction commits."""
    updated = session.execute(update(Job).where(_this_attempt(job.id, attempt)).values(**values),
                              execution_options=_NO_SYNC)
    if affected(updated) != 1:
        return None
    if values["status"] in PENDING:
        dispatch_after_commit(session, Dispatch(job.id, job.kind, attempt, values["run_at"]))
    return values["status"]


def record_interrupted(job_id: str, attempt: int, reason: str) -> bool:
    """Someone stopped an inline run (Ctrl-C): the job is cancelled, not retried."""
    with session_scope() as session:
        updated = session.execute(
            update(Job).where(_this_attempt(job_id, attempt))
            .values(status="cancelled", finished_at=utcnow(), message=reason),
            execution_options=_NO_SYNC)
        return affected(updated) == 1
