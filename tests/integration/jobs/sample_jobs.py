"""Job functions for the tests. Workers started by the tests import this module through
``PIM_JOB_MODULES``; like every job, each is safe to run twice."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from pim.jobs import JobContext, PermanentError, TransientError, job


@job("test.count", max_attempts=1)
def count_items(ctx: JobContext, items: int, pause: float = 0.0) -> dict:
    for done in range(1, items + 1):
        if pause:
            time.sleep(pause)
        ctx.progress(done, items, f"item {done}")
    return {"counted": items}


@job("test.flaky", max_attempts=3)
def fail_first_attempts(ctx: JobContext, failures: int) -> dict:
    if ctx.attempt <= failures:
        raise TransientError(f"the ERP timed out on attempt {ctx.attempt}")
    return {"succeeded_on_attempt": ctx.attempt}


@job("test.broken", max_attempts=3)
def always_broken(ctx: JobContext) -> None:
    raise RuntimeError("the ERP answered 503")


@job("test.invalid", max_attempts=3)
def reject_input(ctx: JobContext, sku: str) -> None:
    raise PermanentError(f"no product {sku}")


def _wait_for(ctx: JobContext, release_file: str, limit: float) -> dict:
    ticks = 0
    deadline = time.monotonic() + limit
    while not Path(release_file).exists():
        if time.monotonic() > deadline:
            raise PermanentError("never released")
        ticks += 1
        ctx.progress(ticks, None, "waiting")
        time.sleep(0.05)
    return {"released_on_attempt": ctx.attempt}


@job("test.wait", max_attempts=2)
def wait_for_release(ctx: JobContext, release_file: str, limit: float = 60) -> dict:
    return _wait_for(ctx, release_file, limit)


@job("test.wait_once", max_attempts=1)
def wait_for_release_once(ctx: JobContext, release_file: str, limit: float = 60) -> dict:
    return _wait_for(ctx, release_file, limit)


@job("test.stamp", max_attempts=1)
def stamp_time(ctx: JobContext) -> dict:
    return {"ran_at": datetime.now(UTC).isoformat()}


@job("test.record", max_attempts=1)
def record_run(ctx: JobContext, directory: str) -> dict:
    # one file per run, named by job and pid: a job run twice leaves two files
    time.sleep(0.05)
    (Path(directory) / f"{ctx.job_id}.{time.monotonic_ns()}").touch()
    return {}


@job("test.database_error", max_attempts=1)
def fail_in_the_database(ctx: JobContext, secret: str) -> None:
    from sqlalchemy import text

    from pim.db import session_scope

    with session_scope() as session:
        session.execute(text("SELECT * FROM no_such_table WHERE code = :secret"),
                        {"secret": secret})
