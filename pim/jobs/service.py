"""Reading and cancelling jobs: the functions the API, the UI and the CLI call."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pim.db import affected, utcnow
from pim.errors import Conflict, Invalid, NotFound
from pim.jobs.models import JOB_STATUSES, Job
from pim.jobs.schemas import JobOut
from pim.jobs.state import ACTIVE

MAX_LIST = 500


def get_job(session: Session, job_id: str) -> JobOut:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return JobOut.model_validate(job)


def list_jobs(session: Session, *, status: str | None = None, kind: str | None = None,
              created_by: str | None = None, limit: int = 50) -> list[JobOut]:
    """The newest jobs first, optionally of one status, kind or person."""
    if status is not None and status not in JOB_STATUSES:
        raise Invalid.not_one_of("status", status, JOB_STATUSES, "job status")
    if not 1 <= limit <= MAX_LIST:
        raise Invalid(f"limit must be between 1 and {MAX_LIST}")
    query = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
    if status is not None:
        query = query.where(Job.status == status)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if created_by is not None:
        query = query.where(Job.created_by == created_by)
    return [JobOut.model_validate(job) for job in session.scalars(query)]


def recent_jobs(session: Session, *, kinds: tuple[str, ...] | None = None,
                exclude_kinds: tuple[str, ...] = (), limit: int = 10) -> list[JobOut]:
    """The newest jobs first, of ``kinds`` (all when None) but not of ``exclude_kinds``: the
    dashboard's "recent imports" and "recent jobs" (without the webhook sends that would
    crowd out everything else)."""
    if not 1 <= limit <= MAX_LIST:
        raise Invalid(f"limit must be between 1 and {MAX_LIST}")
    query = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
    if kinds is not None:
        query = query.where(Job.kind.in_(kinds))
    if exclude_kinds:
        query = query.where(Job.kind.not_in(exclude_kinds))
    return [JobOut.model_validate(job) for job in session.scalars(query)]


def cancel_job(session: Session, job_id: str, *, cancelled_by: str | None = None) -> JobOut:
    """Cancel a job that has not finished. A pending job never starts; a running one stops
    at its next progress report (job functions check in through ``ctx.progress``), and
    whatever it returns afterwards is discarded. The caller commits."""
    who = f" by {cancelled_by}" if cancelled_by else ""
    updated = session.execute(
        update(Job).where(Job.id == job_id, Job.status.in_(ACTIVE))
        .values(status="cancelled", finished_at=utcnow(), message=f"cancelled{who}"),
        execution_options={"synchronize_session": False})
    if affected(updated) != 1:
        job = get_job(session, job_id)  # raises NotFound
        raise Conflict(f"job {job_id} has already {job.status}")
    session.expire_all()
    return get_job(session, job_id)
