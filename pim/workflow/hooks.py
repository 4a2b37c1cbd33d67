"""The workflow's reaction to catalog writes (``pim.catalog.listeners.products_changed``,
connected in ``pim.wiring``), in the writing transaction.

Completeness is refreshed inline for small writes (a UI or API edit touches one product:
projecting it into every channel costs about a millisecond), so a person sees the effect of
their edit at once. Big writes (import batches, a product model with many variants) only
mark their products dirty here and a batched job refreshes them after commit: computing
completeness costs about as much per product as writing it, so doing it inline would halve
import throughput.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from pim.catalog.listeners import ProductsChanged
from pim.catalog.structure import load_context
from pim.db import on_outer_commit
from pim.workflow import jobs
from pim.workflow.completeness import (
    ProjectionSetup,
    mark_completeness_dirty,
    refresh_completeness,
)
from pim.workflow.loading import load_channel_runtimes, products_with_assets
from pim.workflow.status import mark_changed_since_published

# Writes of more products than this defer their completeness to the batched job.
INLINE_COMPLETENESS_LIMIT = 50

_SETUP_KEY = "pim.workflow.projection_setup"
_REFRESH_KEY = "pim.workflow.refresh_after_commit"


def products_changed(session: Session, change: ProductsChanged) -> None:
    """Mark the products changed since publication and refresh their completeness."""
    product_ids, published_ids = change.product_ids, change.published_ids
    if not product_ids:
        return
    if published_ids is None:
        mark_changed_since_published(session, product_ids)
    elif published_ids:
        changed = set(product_ids)
        mark_changed_since_published(session, [i for i in published_ids if i in changed])
    if len(product_ids) > INLINE_COMPLETENESS_LIMIT:
        mark_completeness_dirty(session, product_ids)
        _refresh_after_commit(session)
        return
    refresh_completeness(session, product_ids, setup=_projection_setup(session, change))


def _projection_setup(session: Session, change: ProductsChanged) -> ProjectionSetup:
    """One setup per transaction and catalog context: a request that writes twice loads
    the context once; a writer holding another context (the structure changed in between,
    as an import's structure rows do) and the next transaction get a fresh one. Channel
    runtimes (parsed definitions, compiled validators) are reused while their config
    hashes hold."""
    transaction = session.get_transaction()
    cached = session.info.get(_SETUP_KEY)
    if (cached is None or cached[0] is not transaction
            or (change.context is not None and cached[1].context is not change.context)):
        setup = ProjectionSetup(change.context or load_context(session),
                                load_channel_runtimes(session))
        cached = session.info[_SETUP_KEY] = (transaction, setup)
    return cached[1]


def _refresh_after_commit(session: Session) -> None:
    """Enqueue the batched refresh once the markers are committed (never before: a worker
    must see them). One listener per transaction however many batches it writes."""
    if session.info.get(_REFRESH_KEY):
        return
    session.info[_REFRESH_KEY] = True

    def enqueue(committed: Session) -> None:
        committed.info.pop(_REFRESH_KEY, None)
        jobs.enqueue_completeness_refresh()

    def forget(rolled_back: Session) -> None:
        rolled_back.info.pop(_REFRESH_KEY, None)

    on_outer_commit(session, enqueue, rolled_back=forget)


def products_showing_assets_changed(session: Session, shas: list[str]) -> None:
    """Some renditions of these assets cannot be drawn (``pim.media.renditions_failed``):
    the products showing them get their completeness refreshed, so the image field reports
    it instead of a feed carrying a URL that does not answer."""
    ids = products_with_assets(session, shas)
    if ids:
        mark_completeness_dirty(session, ids)
        _refresh_after_commit(session)
