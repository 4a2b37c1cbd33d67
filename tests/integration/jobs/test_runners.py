"""Jobs on real worker processes: rq over Redis and the embedded runner, each on SQLite and
PostgreSQL. The same behaviour is expected of both runners."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pim.db import utcnow
from pim.jobs import enqueue
from tests.integration.jobs.conftest import job_row, wait_for_status, wait_until

pytestmark = pytest.mark.slow  # every test starts `pim worker` processes


def test_a_job_succeeds_with_its_result_and_full_progress(workers):
    job_id = enqueue("test.count", {"items": 5}, created_by="ann")
    workers.start()

    job = wait_for_status(job_id, "succeeded", "failed")

    assert job.status == "succeeded"
    assert job.result == {"counted": 5}
    assert (job.progress_done, job.progress_total, job.message) == (5, 5, "item 5")
    assert job.attempts == 1 and job.created_by == "ann"
    assert job.started_at <= job.finished_at


def test_a_running_job_reports_progress_before_it_finishes(workers, tmp_path):
    release = tmp_path / "release"
    job_id = enqueue("test.wait", {"release_file": str(release)})
    workers.start()

    running = wait_until(lambda: (row := job_row(job_id)).progress_done > 0 and row,
                         what="progress while running")
    release.touch()

    assert running.status == "running" and running.message == "waiting"
    assert wait_for_status(job_id, "succeeded", "failed").status == "succeeded"


def test_a_failing_job_is_retried_then_fails_with_its_error(workers):
    job_id = enqueue("test.broken")
    workers.start()

    job = wait_for_status(job_id, "failed", "succeeded")

    assert job.status == "failed"
    assert job.attempts == 3
    assert "attempt 3 of 3 failed: RuntimeError: the ERP answered 503" in job.error
    assert job.finished_at is not None


def test_a_transient_failure_is_retried_until_the_job_succeeds(workers):
    job_id = enqueue("test.flaky", {"failures": 2})
    workers.start()

    job = wait_for_status(job_id, "succeeded", "failed")

    assert job.status == "succeeded"
    assert job.result == {"succeeded_on_attempt": 3}
    assert "attempt 2 of 3 failed: TransientError" in job.error  # the last failure stays visible


def test_a_permanent_error_fails_the_job_without_retrying(workers):
    job_id = enqueue("test.invalid", {"sku": "EL-404"})
    workers.start()

    job = wait_for_status(job_id, "failed", "succeeded")

    assert job.attempts == 1
    assert job.error == "no product EL-404"  # its message: no "attempt 1 of 3", no trace


def test_a_scheduled_job_runs_at_its_time_and_not_before(workers):
    run_at = utcnow() + timedelta(seconds=2)
    job_id = enqueue("test.stamp", run_at=run_at)
    workers.start()

    assert job_row(job_id).status == "scheduled"
    job = wait_for_status(job_id, "succeeded", "failed")

    assert job.status == "succeeded"
    assert job.started_at >= run_at
    assert datetime.fromisoformat(job.result["ran_at"]) >= run_at


def test_a_job_whose_worker_is_killed_is_run_again_by_the_next_worker(workers, tmp_path):
    release = tmp_path / "release"
    job_id = enqueue("test.wait", {"release_file": str(release)})  # two attempts
    first = workers.start()
    wait_until(lambda: job_row(job_id).progress_done > 0, what="the first attempt to run")

    workers.kill(first)
    release.touch()
    workers.start()

    job = wait_for_status(job_id, "succeeded", "failed")
    assert job.status == "succeeded"
    assert job.attempts == 2
    assert job.result == {"released_on_attempt": 2}
    assert "attempt 1 of 2 lost" in job.error and "requeued" in job.error


def test_a_job_whose_worker_is_killed_on_its_last_attempt_is_visibly_failed(workers, tmp_path):
    job_id = enqueue("test.wait_once", {"release_file": str(tmp_path / "never")})
    first = workers.start()
    wait_until(lambda: job_row(job_id).progress_done > 0, what="the attempt to run")

    workers.kill(first)
    workers.start()

    job = wait_for_status(job_id, "failed", "succeeded")
    assert job.status == "failed"
    assert "attempt 1 of 1 lost" in job.error
    assert job.finished_at is not None


def test_two_workers_never_run_one_job_twice(workers, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    job_ids = [enqueue("test.record", {"directory": str(runs)}) for _ in range(12)]
    workers.start()
    workers.start()

    for job_id in job_ids:
        assert wait_for_status(job_id, "succeeded", "failed").status == "succeeded"
    ran = sorted(path.name.split(".")[0] for path in runs.iterdir())
    assert ran == sorted(job_ids)


def test_a_burst_worker_runs_the_due_jobs_and_exits(workers):
    due = [enqueue("test.count", {"items": 2}) for _ in range(3)]
    later = enqueue("test.stamp", run_at=utcnow() + timedelta(hours=1))

    assert workers.run_burst() == 0

    assert {job_row(job_id).status for job_id in due} == {"succeeded"}
    assert job_row(later).status == "scheduled"
