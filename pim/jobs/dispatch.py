"""Enqueueing: insert the job row, then hand the job to a runner once the row is committed.

Side effects are recorded inside the caller's transaction and jobs reach a runner only
after commit (a ``Session`` ``after_commit`` hook), so a worker never looks for a row that
is not there yet, and a rolled-back transaction enqueues nothing.

Where a job runs is the only thing that differs: with ``PIM_REDIS_URL`` the job is put on
an rq queue (``rq_backend``); otherwise the embedded runner of this process is woken (any
other embedded runner finds the row on its next poll).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pim.config import get_settings
from pim.db import session_scope, utcnow
from pim.errors import Invalid
from pim.jobs.models import Job
from pim.jobs.registry import get_spec

log = logging.getLogger("pim.jobs")

_PENDING_KEY = "pim.jobs.pending_dispatch"
# The wake-up of this process's embedded runner, set while one runs (``pim.jobs.embedded``):
# a job committed here is claimed at once instead of at the runner's next poll.
local_runner_wake: Callable[[], None] | None = None


@dataclass(frozen=True)
class Dispatch:
    """A pending job to hand to a runner: ``attempts`` made so far, due at ``run_at``."""

    job_id: str
    kind: str
    attempts: int
    run_at: datetime | None


def enqueue(kind: str, payload: dict[str, Any] | None = None, *, session: Session | None = None,
            created_by: str | None = None, run_at: datetime | None = None,
            dedupe_key: str | None = None) -> str:
    """Record a job of ``kind`` and return its id.

    With ``session``, the row joins that session's transaction and the job is dispatched
    when it commits; without, the job is committed and dispatched here. ``run_at`` (aware)
    schedules it. ``dedupe_key`` makes this idempotent: the same key returns the job already
    recorded under it, whatever its status, so include in the key what makes the work new.
    """
    spec = get_spec(kind)
    payload = json_safe_payload(payload or {}, kind)
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be an aware datetime")
    if session is None:
        with session_scope() as own:
            return _record(own, spec.kind, spec.max_attempts, payload, created_by, run_at,
                           dedupe_key)
    return _record(session, spec.kind, spec.max_attempts, payload, created_by, run_at,
                   dedupe_key)


def json_safe_payload(payload: dict[str, Any], kind: str) -> dict[str, Any]:
    try:
        # The standard encoder refuses dates, Decimals and ORM objects instead of silently
        # turning them into strings: a job takes IDs and plain values.
        return json.loads(json.dumps(payload))
    except (TypeError, ValueError) as error:
        raise Invalid(f"job {kind}: payload must be JSON (IDs, strings, numbers): {error}") \
            from error


def _record(session: Session, kind: str, max_attempts: int, payload: dict[str, Any],
            created_by: str | None, run_at: datetime | None, dedupe_key: str | None) -> str:
    if dedupe_key is not None:
        existing = session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    scheduled = run_at is not None and run_at > utcnow()
    job = Job(id=uuid.uuid4().hex, kind=kind, status="scheduled" if scheduled else "queued",
              payload=payload, created_by=created_by, run_at=run_at, max_attempts=max_attempts,
              attempts=0, progress_done=0, message="", result={}, dedupe_key=dedupe_key,
              created_at=utcnow())
    try:
        # A savepoint, so losing a race on the dedupe key leaves the caller's work intact.
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        if dedupe_key is None:
            raise
        existing = session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
        if existing is None:
            raise
        return existing
    dispatch_after_commit(session, Dispatch(job.id, kind, 0, run_at if scheduled else None))
    return job.id


def dispatch_after_commit(session: Session, dispatch: Dispatch) -> None:
    session.info.setdefault(_PENDING_KEY, []).append(dispatch)


# SQLAlchemy 2.1 announces a savepoint's release and rollback as it does the transaction's:
# only the outermost transaction's end sends or drops the pending jobs (a job enqueued in a
# savepoint that is rolled back is sent nonetheless: a runner skips a job it cannot find).
@event.listens_for(Session, "after_commit")
def _dispatch_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released
        return
    for dispatch in session.info.pop(_PENDING_KEY, ()):
        send(dispatch)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: Any) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING_KEY, None)


def send(dispatch: Dispatch) -> None:
    """Hand a committed pending job to its runner. Never raises: a job that cannot be sent
    now stays pending in the database, where worker maintenance finds and resends it."""
    try:
        if get_settings().redis_url:
            # rq and redis load only in processes configured for them.
            from pim.jobs.rq_backend import send_to_rq

            send_to_rq(dispatch)
        elif (wake := local_runner_wake) is not None:
            wake()
    except Exception:
        log.exception("job %s committed but not sent to a runner; maintenance will resend it",
                      dispatch.job_id)
