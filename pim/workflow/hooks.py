"""What the catalog tells the workflow when products change (same transaction).

Completeness is refreshed inline for small writes (a UI or API edit touches one product:
projecting it into every channel costs about a millisecond), so a person sees the effect of
their edit at once. Big writes (import batches, a product model with many variants) only
mark their products dirty here and a batched job refreshes them after commit: computing
completeness costs about as much per product as writing it, so doing it inline would halve
import throughput.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from pim.records import CatalogContext

# Writes of more products than this defer their completeness to the batched job.
INLINE_COMPLETENESS_LIMIT = 50

_SETUP_KEY = "pim.workflow.projection_setup"
_REFRESH_KEY = "pim.workflow.refresh_after_commit"


def products_changed(session: Session, product_ids: list[int], *,
                     context: CatalogContext | None = None,
                     published_ids: list[int] | None = None) -> None:
    """Mark the products changed since publication and refresh their completeness.

    ``context`` is the catalog structure the writer already holds for this transaction
    (its ``CatalogCache.context``): passing it spares the refresh reloading it.
    ``published_ids``: the only ones of ``product_ids`` that can have been published (the
    others were created in this transaction); None when any can."""
    from pim.catalog.structure import load_context
    from pim.workflow.completeness import (
        ProjectionSetup,
        mark_completeness_dirty,
        refresh_completeness,
    )
    from pim.workflow.loading import load_channel_runtimes
    from pim.workflow.status import mark_changed_since_published

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
    # One setup per transaction: a request that writes twice loads the context once, and
    # the next transaction (which may have changed structure) loads it afresh. Channel
    # runtimes (parsed definitions, compiled validators) are reused while their config
    # hashes hold.
    transaction = session.get_transaction()
    cached = session.info.get(_SETUP_KEY)
    if cached is None or cached[0] is not transaction:
        setup = ProjectionSetup(context or load_context(session), load_channel_runtimes(session))
        cached = session.info[_SETUP_KEY] = (transaction, setup)
    refresh_completeness(session, product_ids, setup=cached[1])


def _refresh_after_commit(session: Session) -> None:
    """Enqueue the batched refresh once the markers are committed (never before: a worker
    must see them). One listener per transaction however many batches it writes."""
    if session.info.get(_REFRESH_KEY):
        return
    session.info[_REFRESH_KEY] = True

    def enqueue(committed: Session) -> None:
        committed.info.pop(_REFRESH_KEY, None)
        from pim.workflow.jobs import enqueue_completeness_refresh

        enqueue_completeness_refresh()

    def forget(rolled_back: Session) -> None:
        rolled_back.info.pop(_REFRESH_KEY, None)
        if event.contains(rolled_back, "after_commit", enqueue):
            event.remove(rolled_back, "after_commit", enqueue)

    event.listen(session, "after_commit", enqueue, once=True)
    event.listen(session, "after_soft_rollback", forget, once=True)


def forget_projection_setup(session: Session) -> None:
    """Structure or channels changed in this transaction: load them afresh next time."""
    session.info.pop(_SETUP_KEY, None)
