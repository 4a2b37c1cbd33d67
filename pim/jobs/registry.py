"""The job registry: which function runs for a job kind, on which queue, how often retried.

A job is a module-level function ``fn(ctx: JobContext, **payload) -> dict | None``,
registered with :func:`job`. Payloads are JSON-safe (IDs, strings, numbers), never ORM
objects, so any process can run the job from its row.

Every job must be safe to run twice: a worker that dies after the work but before the
record says "succeeded" leaves the job to be run again. Write with upserts, check what
is already done, key external side effects by the job id.

The hub's own job modules are imported by ``pim.wiring`` (a slice that defines jobs adds
its module there, one line), so every process that wired the slices knows every kind;
plug-ins and tests add theirs through ``PIM_JOB_MODULES`` (:func:`load_job_modules`).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pim.config import Settings, get_settings
from pim.jobs.errors import UnknownJobKind
from pim.jobs.settings import get_job_settings

DEFAULT_QUEUE = "default"
DEFAULT_TIMEOUT = 3600  # seconds; rq stops a job running longer (the embedded runner cannot)

JobFunction = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class JobSpec:
    kind: str
    function: JobFunction
    queue: str
    max_attempts: int
    retry_delays: tuple[float, ...] | None  # None: PIM_JOB_RETRY_SCHEDULE
    timeout: int

    def delay_after(self, failed_attempt: int) -> float:
        """Seconds to wait after attempt ``failed_attempt`` (1-based) failed; the last
        delay repeats when attempts outnumber the delays."""
        delays = self.retry_delays
        if delays is None:
            delays = tuple(Settings.schedule(get_settings().job_retry_schedule))
        if not delays:
            return 0.0
        return delays[min(failed_attempt, len(delays)) - 1]


_specs: dict[str, JobSpec] = {}
_load_lock = threading.Lock()


def job(kind: str, *, queue: str = DEFAULT_QUEUE, max_attempts: int = 3,
        retry_delays: Sequence[float] | None = None,
        timeout: int = DEFAULT_TIMEOUT) -> Callable[[JobFunction], JobFunction]:
    """Register a module-level function as the job ``kind``."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")

    def register(function: JobFunction) -> JobFunction:
        if "<locals>" in function.__qualname__:
            raise ValueError(f"job {kind!r}: only module-level functions can be run by workers")
        existing = _specs.get(kind)
        if existing is not None and _where(existing.function) != _where(function):
            raise ValueError(f"job kind {kind!r} is already {_where(existing.function)}")
        _specs[kind] = JobSpec(kind, function, queue, max_attempts,
                               tuple(retry_delays) if retry_delays is not None else None,
                               timeout)
        return function

    return register


def _where(function: JobFunction) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def load_job_modules() -> None:
    """Import the extra modules defining jobs (``PIM_JOB_MODULES``; safe to call often)."""
    with _load_lock:
        for name in get_job_settings().extra_modules:
            importlib.import_module(name)


def get_spec(kind: str) -> JobSpec:
    spec = _specs.get(kind)
    if spec is None:
        load_job_modules()
        spec = _specs.get(kind)
    if spec is None:
        known = ", ".join(sorted(_specs)) or "none: did this process call " \
            "pim.wiring.connect_listeners()?"
        raise UnknownJobKind(f"no job kind {kind!r} is registered (known: {known})")
    return spec


def registered_kinds() -> list[str]:
    return sorted(_specs)


def queue_names() -> list[str]:
    """Every queue a registered job uses, the default queue first."""
    names = {spec.queue for spec in _specs.values()} | {DEFAULT_QUEUE}
    return [DEFAULT_QUEUE, *sorted(names - {DEFAULT_QUEUE})]
