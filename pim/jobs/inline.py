"""Running a job in this process, through the same path as the runners: the CLI's long
commands (import, export, publish, recompute) show a progress bar and leave a job record."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from pim.db import read_session, session_scope, utcnow
from pim.jobs import state
from pim.jobs.dispatch import json_safe_payload
from pim.jobs.execution import Heartbeat, next_retry_delay, record_attempt, run_attempt
from pim.jobs.models import Job
from pim.jobs.registry import get_spec
from pim.jobs.schemas import JobOut
from pim.jobs.service import get_job
from pim.jobs.settings import get_job_settings

if TYPE_CHECKING:
    from rich.console import Console


def run_inline(kind: str, payload: dict[str, Any] | None = None, *,
               created_by: str | None = None, show_progress: bool = True,
               console: Console | None = None, summary: bool = True) -> JobOut:
    """Run ``kind`` now, here; returns the finished record (check its ``status``).

    Transient failures are retried here after the kind's delays. Ctrl-C cancels the job.
    The record is created running, so no runner elsewhere picks it up. ``summary``: print
    the one-line outcome (a command that prints its own says False). The progress bar
    shows a total and the time left once the job reports a total.
    """
    # rich (the progress bar) loads only in the command-line processes that run jobs here.
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    spec = get_spec(kind)
    payload = json_safe_payload(payload or {}, kind)
    console = console or Console(stderr=True)
    runner = state.runner_name("inline")
    now = utcnow()
    job_id = uuid.uuid4().hex
    with session_scope() as session:
        session.add(Job(id=job_id, kind=kind, status="running", payload=payload,
                        created_by=created_by, max_attempts=spec.max_attempts, attempts=1,
                        started_at=now, heartbeat_at=now, runner=runner, progress_done=0,
                        message="", result={}, created_at=now))
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TextColumn("{task.fields[message]}"),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                        transient=True,
                        disable=not show_progress)
    task = progress.add_task(kind, total=None, message="")

    def display(done: int, total: int | None, message: str) -> None:
        progress.update(task, completed=done, total=total, message=message)

    attempt = 1
    with progress:
        try:
            while True:
                outcome = run_attempt(job_id, attempt, display=display)
                delay = next_retry_delay(job_id, attempt, outcome) \
                    if outcome.status == "failed" else None
                if delay is None:
                    record_attempt(job_id, attempt, outcome)
                    break
                if not state.retry_in_place(job_id, attempt, outcome.error):
                    break  # cancelled meanwhile
                console.print(f"{kind}: attempt {attempt} failed "
                              f"({outcome.error.splitlines()[0]}); retrying in {delay:g} s")
                attempt += 1
                with Heartbeat(job_id, attempt, get_job_settings().heartbeat_interval):
                    time.sleep(delay)
        except KeyboardInterrupt:
            state.record_interrupted(job_id, attempt, "interrupted")
            raise
    with read_session() as session:
        job = get_job(session, job_id)
    if summary:
        console.print(summary_line(job))
    return job


def summary_line(job: JobOut) -> str:
    took = f" in {job.duration_seconds:.1f} s" if job.duration_seconds is not None else ""
    if job.status == "succeeded":
        details = ", ".join(f"{key}: {value}" for key, value in job.result.items()
                            if isinstance(value, str | int | float | bool))
        return f"{job.kind} {job.id} succeeded{took}" + (f" ({details})" if details else "")
    reason = (job.error or job.message or "").splitlines()[0] if (job.error or job.message) else ""
    return f"{job.kind} {job.id} {job.status}{took}" + (f": {reason}" if reason else "")
