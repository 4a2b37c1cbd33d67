"""The job registry's rules and the throttling of progress writes, without a database."""

from __future__ import annotations

import pytest

from pim.jobs.context import JobContext
from pim.jobs.errors import JobCancelled
from pim.jobs.registry import JobSpec, job


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def context(writes: list, clock: FakeClock, *, accept: bool = True) -> JobContext:
    def write(done, total, message):
        writes.append((done, total, message))
        return accept

    return JobContext(job_id="j1", kind="k", payload={}, created_by=None, attempt=1,
                      max_attempts=1, write_progress=write, write_interval=0.5, clock=clock)


def test_progress_is_written_at_most_once_per_interval():
    writes, clock = [], FakeClock()
    ctx = context(writes, clock)

    for done in range(1, 101):
        ctx.progress(done, 1000)
    clock.now += 0.5
    ctx.progress(101)

    assert writes == [(1, 1000, ""), (101, 1000, "")]


def test_progress_is_written_when_the_last_item_is_done():
    writes, clock = [], FakeClock()
    ctx = context(writes, clock)

    ctx.progress(1, 3, "first")
    ctx.progress(3, message="last")

    assert writes[-1] == (3, 3, "last")


def test_flush_writes_what_the_throttle_held_back():
    writes, clock = [], FakeClock()
    ctx = context(writes, clock)
    ctx.progress(1, 10)
    ctx.progress(7)

    ctx.flush()

    assert writes[-1] == (7, 10, "")


def test_progress_raises_job_cancelled_when_the_record_is_no_longer_this_run():
    ctx = context([], FakeClock(), accept=False)

    with pytest.raises(JobCancelled):
        ctx.progress(1, 10)


def spec(delays) -> JobSpec:
    return JobSpec("k", lambda ctx: None, "default", 5, delays, 60)


def test_retry_delays_follow_the_kind_list_and_repeat_the_last():
    assert [spec((1.0, 30.0)).delay_after(n) for n in (1, 2, 3, 4)] == [1.0, 30.0, 30.0, 30.0]


def test_retry_delays_default_to_the_job_retry_schedule_setting(monkeypatch):
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_JOB_RETRY_SCHEDULE", "2,7")
    reset_settings()
    try:
        assert [spec(None).delay_after(n) for n in (1, 2, 3)] == [2.0, 7.0, 7.0]
    finally:
        reset_settings()


def test_only_module_level_functions_can_be_jobs():
    def outer():
        @job("unit.nested")
        def nested(ctx):
            return None

    with pytest.raises(ValueError, match="module-level"):
        outer()


def test_a_kind_cannot_be_claimed_by_two_functions():
    job("unit.once")(_first)

    with pytest.raises(ValueError, match="already"):
        job("unit.once")(_second)


def _first(ctx):
    return None


def _second(ctx):
    return None
