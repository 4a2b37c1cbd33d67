"""Fixtures for the job tests: short timings, and real worker processes on either runner.

``runner`` is parametrized over rq (a real ``pim worker`` against Redis db 15) and the
embedded runner (``pim worker`` without Redis, in the foreground); with the ``db`` fixture
each test runs on SQLite and PostgreSQL too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from pim.config import reset_settings
from pim.db import read_session
from pim.jobs.models import Job
from pim.jobs.settings import reset_job_settings
from tests.conftest import ROOT

FAST_JOBS = {
    "PIM_JOB_MODULES": "tests.integration.jobs.sample_jobs",
    "PIM_JOB_RETRY_SCHEDULE": "0.2,0.2",
    "PIM_JOB_HEARTBEAT_INTERVAL": "0.2",
    "PIM_JOB_STALE_AFTER": "3",
    "PIM_JOB_POLL_INTERVAL": "0.1",
    "PIM_JOB_MAINTENANCE_INTERVAL": "1",
    "PIM_EMBEDDED_WORKERS": "2",
}
PIM = Path(sys.executable).parent / "pim"


@pytest.fixture
def fast_jobs(db, monkeypatch):
    for name, value in FAST_JOBS.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    reset_job_settings()
    import tests.integration.jobs.sample_jobs  # noqa: F401  (registers the kinds here too)

    yield db
    reset_job_settings()


def wait_until(condition: Callable[[], object], *, timeout: float = 30.0,
               interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def job_row(job_id: str) -> Job:
    with read_session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def wait_for_status(job_id: str, *statuses: str, timeout: float = 30.0) -> Job:
    return wait_until(lambda: (row := job_row(job_id)).status in statuses and row,
                      timeout=timeout, what=f"job {job_id} to be {'/'.join(statuses)}")


class Workers:
    """``pim worker`` processes of one runner kind; all stopped when the test ends."""

    def __init__(self, backend: str, log_dir: Path):
        self.backend = backend
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        options = list(args)
        if self.backend == "rq" and "--burst" not in options:
            options.append("--with-scheduler")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        log = open(self.log_dir / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen([str(PIM), "worker", *options], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes.append(process)
        return process

    def run_burst(self, timeout: float = 60.0) -> int:
        process = self.start("--burst")
        return process.wait(timeout=timeout)

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the worker and everything it started (rq's work horse runs in its own
        process group), as when the machine dies."""
        try:
            children = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        process.kill()
        process.wait(timeout=10)
        psutil.wait_procs(children, timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill(process)

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace")
                         for path in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture(params=[pytest.param("rq", marks=pytest.mark.redis), "embedded"])
def workers(request, fast_jobs, monkeypatch, tmp_path):
    if request.param == "rq":
        monkeypatch.setenv("PIM_REDIS_URL", request.getfixturevalue("redis_url"))
        reset_settings()
    log_dir = tmp_path / "worker-logs"
    log_dir.mkdir()
    running = Workers(request.param, log_dir)
    try:
        yield running
    finally:
        running.stop_all()
        print(running.logs())  # pytest shows it when the test failed
