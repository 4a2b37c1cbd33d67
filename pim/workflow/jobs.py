"""Workflow jobs: completeness refreshes and recomputes.

Module-level functions taking JSON-safe arguments, safe to run twice: a refresh recomputes
from current data.
"""

from __future__ import annotations

from sqlalchemy import func, select

from pim.catalog.models import Product
from pim.db import session_factory
from pim.jobs import JobContext, enqueue, job
from pim.workflow.completeness import (
    COMPLETENESS_RECOMPUTE,
    COMPLETENESS_REFRESH,
    recompute_all,
    refresh_dirty_completeness,
)


def enqueue_completeness_refresh() -> None:
    """After a big write committed: drain the dirty queue in the background."""
    enqueue(COMPLETENESS_REFRESH, {})


@job(COMPLETENESS_REFRESH, max_attempts=3)
def refresh_completeness_job(ctx: JobContext) -> dict:
    return {"refreshed": refresh_dirty_completeness(session_factory())}


@job(COMPLETENESS_RECOMPUTE, max_attempts=2)
def recompute_completeness_job(ctx: JobContext, channels: list[str] | None = None) -> dict:
    factory = session_factory()
    with factory() as session:
        total = session.scalar(select(func.count()).select_from(Product)) or 0
    done = recompute_all(factory, channels=channels,
                         progress=lambda n: ctx.progress(n, total, "products"))
    return {"products": done, "channels": channels}
