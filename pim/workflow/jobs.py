"""Workflow jobs: completeness refreshes and scheduled release publication.

Module-level functions taking JSON-safe arguments, safe to run twice: a refresh recomputes
from current data, a release that is already published reports so and does nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from pim.jobs.registry import job

COMPLETENESS_REFRESH = "completeness.refresh"
COMPLETENESS_RECOMPUTE = "completeness.recompute"
RELEASE_PUBLISH = "release.publish"


def _enqueue(kind: str, payload: dict[str, Any], *, session: Session | None = None,
             run_at: datetime | None = None, dedupe_key: str | None = None) -> bool:
    """Hand a job to the runtime; False when the jobs runtime cannot enqueue yet."""
    try:
        from pim.jobs import enqueue
    except ImportError:
        return False
    options: dict[str, Any] = {"session": session, "run_at": run_at}
    if dedupe_key:
        options["dedupe_key"] = dedupe_key
    enqueue(kind, payload, **options)
    return True


def enqueue_completeness_refresh() -> None:
    """After a big write committed: drain the dirty queue in the background. Without a
    jobs runtime it runs here and now, slower for the writer but never stale."""
    if not _enqueue(COMPLETENESS_REFRESH, {}):
        from pim.db import session_factory
        from pim.workflow.completeness import refresh_dirty_completeness

        refresh_dirty_completeness(session_factory())


def enqueue_completeness_recompute(channels: list[str] | None = None) -> bool:
    return _enqueue(COMPLETENESS_RECOMPUTE, {"channels": channels})


def schedule_release(session: Session, release_id: int, publish_at: datetime | None,
                     approved_at: datetime) -> bool:
    """Publish the release at ``publish_at`` (now when None), once ``session`` commits.

    The dedupe key names the approval too: approving twice schedules once, but a release
    rejected and approved again gets a new job (the old one found it not approved)."""
    key = f"release-publish:{release_id}:{approved_at:%Y%m%dT%H%M%S%f}"
    return _enqueue(RELEASE_PUBLISH, {"release_id": release_id}, session=session,
                    run_at=publish_at, dedupe_key=key)


@job(COMPLETENESS_REFRESH, max_attempts=3)
def refresh_completeness_job(ctx) -> dict:
    from pim.db import session_factory
    from pim.workflow.completeness import refresh_dirty_completeness

    return {"refreshed": refresh_dirty_completeness(session_factory())}


@job(COMPLETENESS_RECOMPUTE, max_attempts=2)
def recompute_completeness_job(ctx, channels: list[str] | None = None) -> dict:
    from sqlalchemy import func, select

    from pim.catalog.models import Product
    from pim.db import session_factory
    from pim.workflow.completeness import recompute_all

    factory = session_factory()
    with factory() as session:
        total = session.scalar(select(func.count()).select_from(Product)) or 0
    done = recompute_all(factory, channels=channels,
                         progress=lambda n: ctx.progress(n, total, "products"))
    return {"products": done, "channels": channels}


@job(RELEASE_PUBLISH, max_attempts=3)
def publish_release_job(ctx, release_id: int) -> dict:
    from pim.auth.actor import SYSTEM
    from pim.db import session_scope
    from pim.workflow.releases import publish_release

    with session_scope() as session:
        release = publish_release(session, release_id, actor=SYSTEM, if_due=True)
        return {"release_id": release_id, "status": release.status,
                "report": release.report}
