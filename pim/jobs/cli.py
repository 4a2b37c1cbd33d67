"""CLI for jobs: ``pim jobs list|show|cancel`` and ``pim worker``."""

from __future__ import annotations

import json
import logging
import signal
import threading

import click

from pim.cli_support import command_reader, command_session
from pim.config import get_settings
from pim.jobs.embedded import EmbeddedRunner
from pim.jobs.models import JOB_STATUSES
from pim.jobs.registry import load_job_modules, queue_names
from pim.jobs.service import cancel_job, get_job, list_jobs


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: imports, exports, publications, ERP pulls, webhook retries."""


@jobs_group.command("list")
@click.option("--status", type=click.Choice(JOB_STATUSES), help="Only jobs in this status.")
@click.option("--kind", help="Only jobs of this kind.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
def list_command(status: str | None, kind: str | None, limit: int) -> None:
    """The newest jobs first."""
    # rich (the table) loads only for the commands that draw one.
    from rich.console import Console
    from rich.table import Table

    with command_reader() as session:
        jobs = list_jobs(session, status=status, kind=kind, limit=limit)
    table = Table("id", "kind", "status", "progress", "attempts", "created", "by", "message")
    for job in jobs:
        progress = f"{job.progress_done}/{job.progress_total}" if job.progress_total \
            else str(job.progress_done or "")
        table.add_row(job.id, job.kind, job.status, progress,
                      f"{job.attempts}/{job.max_attempts}",
                      job.created_at.strftime("%Y-%m-%d %H:%M:%S"), job.created_by or "",
                      (job.error or job.message or "").splitlines()[0][:60]
                      if (job.error or job.message) else "")
    Console(width=200).print(table)


@jobs_group.command("show")
@click.argument("job_id")
def show_command(job_id: str) -> None:
    """One job in full, as JSON."""
    with command_reader() as session:
        job = get_job(session, job_id)
    click.echo(json.dumps(job.model_dump(mode="json"), indent=2))


@jobs_group.command("cancel")
@click.argument("job_id")
def cancel_command(job_id: str) -> None:
    """Cancel a job that has not finished (a running one stops at its next progress report)."""
    with command_session() as session:
        job = cancel_job(session, job_id, cancelled_by="cli")
    click.echo(f"job {job.id} cancelled")


@click.command("worker")
@click.option("--queues", "-q", "queue_options", multiple=True,
              help="Queues to work on (repeat or separate with commas); "
                   "default: every queue a registered job uses.")
@click.option("--with-scheduler", is_flag=True,
              help="Also move scheduled jobs and retries to their queue when due (rq). "
                   "Run at least one worker with it; several may.")
@click.option("--burst", is_flag=True, help="Run the jobs due now, then exit.")
@click.option("--name", help="Worker name (rq); default: generated.")
def worker_command(queue_options: tuple[str, ...], with_scheduler: bool, burst: bool,
                   name: str | None) -> None:
    """Run jobs: an rq worker with PIM_REDIS_URL, else the embedded runner in the foreground."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    load_job_modules()
    if get_settings().redis_url:
        # rq and redis load only in processes configured for them.
        from pim.jobs.rq_backend import run_rq_worker

        queues = [part.strip() for option in queue_options for part in option.split(",")
                  if part.strip()] or queue_names()
        run_rq_worker(queues, burst=burst, with_scheduler=with_scheduler, name=name)
        return
    if queue_options:
        click.echo("no PIM_REDIS_URL: the embedded runner runs every queue", err=True)
    _run_embedded_in_foreground(burst)


def _run_embedded_in_foreground(burst: bool) -> None:
    runner = EmbeddedRunner()
    if burst:
        runner.run_until_idle()
        return
    stop_requested = threading.Event()

    def request_stop(_signum, _frame) -> None:
        if stop_requested.is_set():
            raise SystemExit(1)  # a second signal: leave now; recovery handles running jobs
        click.echo("stopping after the running jobs (again to stop now)", err=True)
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    runner.start()
    while not stop_requested.wait(0.5):
        pass
    runner.stop(timeout=None)


COMMANDS = [jobs_group, worker_command]
