"""Search jobs: drain the dirty flags (``search.index``), rebuild everything
(``search.reindex``). Both are safe to run twice: they write whole documents."""

from __future__ import annotations

from pim.db import session_factory
from pim.jobs import JobContext, job
from pim.search import service
from pim.search.indexing import SEARCH_INDEX, SEARCH_REINDEX


@job(SEARCH_INDEX, max_attempts=5, retry_delays=(1, 5, 30, 120))
def index_dirty_job(ctx: JobContext) -> dict:
    return {"indexed": service.index_pending(session_factory())}


@job(SEARCH_REINDEX, max_attempts=2, timeout=4 * 3600)
def reindex_job(ctx: JobContext) -> dict:
    return service.reindex(session_factory(),
                           progress=lambda done, total: ctx.progress(done, total, "products"))
