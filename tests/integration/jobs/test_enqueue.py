"""Enqueueing, the embedded runner inside a process (as the web app uses it), recovery,
and cancelling."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
import redis

from pim.db import session_factory, session_scope, utcnow
from pim.errors import Conflict, Invalid
from pim.jobs import (
    UnknownJobKind,
    cancel_job,
    enqueue,
    start_embedded_runner,
    stop_embedded_runner,
)
from pim.jobs.embedded import EmbeddedRunner
from pim.jobs.models import Job
from pim.jobs.recovery import recover_lost_jobs
from pim.jobs.rq_backend import rq_job_id
from tests.integration.jobs.conftest import job_row, wait_for_status, wait_until


@pytest.fixture
def embedded_runner(fast_jobs):
    runner = start_embedded_runner()
    yield runner
    stop_embedded_runner(runner)


@pytest.fixture
def with_redis(fast_jobs, redis_url, monkeypatch):
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_REDIS_URL", redis_url)
    reset_settings()
    return redis.Redis.from_url(redis_url)


def test_a_job_enqueued_in_a_session_reaches_rq_only_when_the_session_commits(with_redis):
    with session_factory()() as session:
        job_id = enqueue("test.count", {"items": 1}, session=session)
        assert not with_redis.exists(f"rq:job:{rq_job_id(job_id, 0)}")
        session.commit()

    assert job_row(job_id).status == "queued"
    assert with_redis.exists(f"rq:job:{rq_job_id(job_id, 0)}")


def test_a_savepoint_released_or_rolled_back_neither_sends_nor_drops_a_pending_job(
        with_redis):
    with session_factory()() as session:
        job_id = enqueue("test.count", {"items": 1}, session=session)
        with session.begin_nested():  # SQLAlchemy 2.1 announces this release as a commit
            session.get(Job, job_id)
        assert not with_redis.exists(f"rq:job:{rq_job_id(job_id, 0)}")
        try:
            with session.begin_nested():
                raise ValueError("a savepoint rolled back")
        except ValueError:
            pass
        session.commit()

    assert with_redis.exists(f"rq:job:{rq_job_id(job_id, 0)}")


def test_a_job_enqueued_in_a_rolled_back_session_leaves_no_trace(with_redis):
    with session_factory()() as session:
        job_id = enqueue("test.count", {"items": 1}, session=session)
        session.rollback()
        session.commit()  # a later commit of the same session must not send it either

    with session_scope() as session:
        assert session.get(Job, job_id) is None
    assert not with_redis.exists(f"rq:job:{rq_job_id(job_id, 0)}")


def test_enqueueing_twice_with_one_dedupe_key_records_one_job(fast_jobs):
    first = enqueue("test.count", {"items": 1}, dedupe_key="release-publish:12")
    with session_scope() as session:
        second = enqueue("test.count", {"items": 1}, session=session,
                         dedupe_key="release-publish:12")

    assert first == second


def test_an_unknown_job_kind_is_refused(fast_jobs):
    with pytest.raises(UnknownJobKind, match="no job kind 'nope'"):
        enqueue("nope")


def test_a_payload_that_is_not_json_is_refused(fast_jobs):
    with pytest.raises(Invalid, match="payload must be JSON"):
        enqueue("test.count", {"items": 1, "when": utcnow()})


def test_the_embedded_runner_of_this_process_runs_an_enqueued_job(embedded_runner):
    job_id = enqueue("test.count", {"items": 3})

    job = wait_for_status(job_id, "succeeded", "failed")

    assert job.result == {"counted": 3}
    assert job.runner.startswith(f"embedded:{socket.gethostname()}:")


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _insert_running(kind: str, *, runner: str, heartbeat_age: float = 0.0,
                    max_attempts: int = 3, payload: dict | None = None) -> str:
    job_id = enqueue(kind, payload or {})
    with session_scope() as session:
        job = session.get(Job, job_id)
        job.status, job.attempts, job.max_attempts, job.runner = "running", 1, max_attempts, runner
        job.started_at = job.heartbeat_at = utcnow() - timedelta(seconds=heartbeat_age)
    return job_id


def test_starting_the_embedded_runner_recovers_a_job_its_crashed_process_left_running(fast_jobs):
    crashed = f"embedded:{socket.gethostname()}:{_dead_pid()}:0ldp0c55"
    job_id = _insert_running("test.count", runner=crashed, payload={"items": 2})

    runner = start_embedded_runner()
    try:
        job = wait_for_status(job_id, "succeeded", "failed")
    finally:
        stop_embedded_runner(runner)

    assert job.attempts == 2
    assert f"attempt 1 of 3 lost: {crashed} is no longer running; requeued" in job.error


def test_a_job_silent_on_another_host_for_too_long_is_requeued(fast_jobs):
    job_id = _insert_running("test.count", runner="rq:elsewhere:4242:abcd1234",
                             heartbeat_age=60)

    assert recover_lost_jobs() == [job_id]

    job = job_row(job_id)
    assert job.status == "queued" and "no heartbeat from rq:elsewhere" in job.error


def test_a_job_with_a_recent_heartbeat_on_another_host_is_left_running(fast_jobs):
    job_id = _insert_running("test.count", runner="rq:elsewhere:4242:abcd1234")

    assert recover_lost_jobs() == []
    assert job_row(job_id).status == "running"


def test_a_lost_inline_run_is_failed_not_requeued(fast_jobs):
    crashed = f"inline:{socket.gethostname()}:{_dead_pid()}:0ldp0c55"
    job_id = _insert_running("test.count", runner=crashed)

    recover_lost_jobs()

    assert job_row(job_id).status == "failed"


def test_a_cancelled_job_never_runs(fast_jobs):
    job_id = enqueue("test.count", {"items": 1})
    with session_scope() as session:
        cancel_job(session, job_id, cancelled_by="ann")

    EmbeddedRunner().run_until_idle()

    job = job_row(job_id)
    assert (job.status, job.attempts, job.message) == ("cancelled", 0, "cancelled by ann")


def test_a_running_job_stops_at_its_next_progress_report_once_cancelled(embedded_runner,
                                                                        tmp_path):
    job_id = enqueue("test.wait", {"release_file": str(tmp_path / "never")})
    wait_until(lambda: job_row(job_id).progress_done > 0, what="the job to run")

    with session_scope() as session:
        cancel_job(session, job_id)

    wait_until(lambda: embedded_runner._busy_count() == 0, what="the runner to fall idle")
    job = job_row(job_id)
    assert job.status == "cancelled" and job.result == {}


def test_cancelling_a_finished_job_is_a_conflict(embedded_runner):
    job_id = enqueue("test.count", {"items": 1})
    wait_for_status(job_id, "succeeded")

    with session_scope() as session, pytest.raises(Conflict, match="already succeeded"):
        cancel_job(session, job_id)


def test_an_attempt_this_process_runs_is_never_lost_whatever_its_heartbeat(fast_jobs):
    from pim.jobs import state

    job_id = _insert_running("test.count", runner="rq:elsewhere:4242:abcd1234",
                             heartbeat_age=600)
    state.mark_running_here(job_id, 1, True)
    try:
        assert recover_lost_jobs() == []
    finally:
        state.mark_running_here(job_id, 1, False)
    assert job_row(job_id).status == "running"


def test_on_sqlite_a_live_runner_of_this_host_is_not_lost_for_a_held_up_heartbeat(
        fast_jobs, db):
    # Another live process of this machine (here: the test's parent) runs the attempt; a
    # long write holding SQLite's write lock kept its beats out for ten minutes.
    import os

    alive = f"embedded:{socket.gethostname()}:{os.getppid()}:0th3rpr0c"
    job_id = _insert_running("test.count", runner=alive, heartbeat_age=600)

    recovered = recover_lost_jobs()

    if db.startswith("sqlite"):
        assert recovered == [] and job_row(job_id).status == "running"
    else:  # several machines may share PostgreSQL: the heartbeat decides
        assert recovered == [job_id]
