"""Finding jobs whose process died mid-attempt, so no job silently disappears.

A row ``running`` is lost when

- its runner ran on this host and that process is gone (seen at once, so a restarted server
  or worker recovers its own crash on start), or
- its heartbeat is older than ``PIM_JOB_STALE_AFTER`` (another host died or hangs; never an
  attempt this process runs, nor on SQLite one of a live process of this host: a long write
  holding SQLite's write lock holds the beats up), or
- (rq) the rq job of that attempt is no longer started: rq's own maintenance failed it as
  abandoned, or it ended without the row hearing about it.

A lost attempt counts as an attempt: the job is requeued while attempts remain and failed
with an error naming the lost runner otherwise (``state.record_lost``). Rerunning is safe
because every job is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from pim.config import get_settings
from pim.db import read_session, utcnow
from pim.jobs import state
from pim.jobs.models import Job
from pim.jobs.settings import get_job_settings
from pim.listeners import Listeners

log = logging.getLogger("pim.jobs")

# (job_id, attempt, runner) -> why the attempt is lost, or None when rq still runs it
RqCheck = Callable[[str, int, str], str | None]

# Run at every maintenance of a runner (each rq worker's, the embedded runner's), after
# lost jobs are recovered: a slice above connects its safety nets here (webhooks: wake the
# subscriptions whose due deliveries no job will send). Several processes may run them at
# once, so each must be idempotent. A listener that raises is logged; the others still run.
maintenance_tasks: Listeners[[], object] = Listeners("jobs.maintenance_tasks")


def lost_reason(runner: str | None, heartbeat_at: datetime | None, *,
                stale_before: datetime, embedded_database: bool = False) -> str | None:
    """Why the attempt run by ``runner`` is lost, or None while it may still be running.

    On the embedded database (SQLite: one machine) a runner process of this host that is
    alive is never lost for its heartbeat's age: a long write holds the one write lock, and
    beats wait for it (a dry-run import holds it from start to end)."""
    if runner and state.runner_is_gone(runner):
        return f"{runner} is no longer running"
    if embedded_database and runner and state.runner_is_alive_here(runner):
        return None
    if heartbeat_at is None or heartbeat_at < stale_before:
        seen = heartbeat_at.isoformat() if heartbeat_at else "never"
        return f"no heartbeat from {runner or 'its runner'} since {seen}"
    return None


def recover_lost_jobs(*, rq_check: RqCheck | None = None) -> list[str]:
    """Requeue or fail every lost running job; returns their ids."""
    stale_before = utcnow() - timedelta(seconds=get_job_settings().stale_after)
    with read_session() as session:
        rows = session.execute(select(Job.id, Job.attempts, Job.runner, Job.heartbeat_at)
                               .where(Job.status == "running")).all()
    embedded_database = get_settings().sqlalchemy_url.startswith("sqlite")
    recovered = []
    for job_id, attempt, runner, heartbeat_at in rows:
        if state.runs_here(job_id, attempt):
            continue  # this process runs it: alive, whatever its heartbeat says
        reason = lost_reason(runner, heartbeat_at, stale_before=stale_before,
                             embedded_database=embedded_database)
        if reason is None and rq_check is not None and (runner or "").startswith("rq:"):
            reason = rq_check(job_id, attempt, runner or "")
        if reason is None:
            continue
        status = state.record_lost(job_id, attempt, reason)
        if status is not None:
            log.warning("job %s attempt %s lost (%s): now %s", job_id, attempt, reason, status)
            recovered.append(job_id)
    return recovered


def run_maintenance_tasks(*, rq_check: RqCheck | None = None) -> None:
    """A runner's maintenance: recover lost jobs, then every connected safety net."""
    recover_lost_jobs(rq_check=rq_check)
    for task in maintenance_tasks:
        try:
            task()
        except Exception:
            log.exception("maintenance task %s failed; it runs again at the next maintenance",
                          getattr(task, "__qualname__", task))
