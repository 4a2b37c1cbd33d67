"""Keeping the index current: the dirty flag, the batched job that drains it, and the full
reindex.

Every writer marks the products it changes ``search_dirty`` in its own transaction (the
catalog does it in ``write_products``; the listener below does it for the variants of a
changed product model) and records a ``search.index`` job in the same transaction unless
one is queued already: that job drains every dirty product in batches, so a burst of
writes becomes a few index updates, and no request ever waits for the index.

A batch claims its products (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent jobs
split the work and a writer waits for the batch's few milliseconds; SQLite: the batch's
write transaction), builds their documents, hands them to the backend and clears their
flags in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, true, update
from sqlalchemy.orm import Session, sessionmaker

from pim.catalog.listeners import ProductsChanged
from pim.catalog.models import Product
from pim.catalog.structure import load_context
from pim.db import chunks
from pim.jobs import enqueue
from pim.jobs.models import Job
from pim.search.backend import SearchBackend
from pim.search.documents import build_documents
from pim.workflow.loading import ModelCache, iter_product_id_batches

SEARCH_INDEX = "search.index"
SEARCH_REINDEX = "search.reindex"
INDEX_BATCH = 500
REINDEX_BATCH = 1000
_ENQUEUE_KEY = "pim.search.index_after_commit"

Progress = Callable[[int, int], None]


def mark_dirty(session: Session, change: ProductsChanged) -> None:
    """``catalog.products_changed`` listener: these products need indexing (the catalog's
    own writes marked them already; variants of a changed model were not), and the
    ``search.index`` job runs once the transaction commits."""
    if not change.product_ids:
        return
    if change.search_marked:  # the catalog wrote the flag with the rows
        ensure_index_job(session)
        return
    for chunk in chunks(sorted(set(change.product_ids)), 900):
        session.execute(update(Product).where(Product.id.in_(chunk),
                                              Product.search_dirty.is_(False))
                        .values(search_dirty=True).execution_options(synchronize_session=False))
    ensure_index_job(session)


def ensure_index_job(session: Session) -> None:
    """Once per transaction (or savepoint): enqueue ``search.index`` in it (dispatched when
    it commits) unless one is queued already. A queued job reads the flags only when it
    starts, after this commit: the share lock taken on it here holds its claim (an UPDATE
    of its row) until this transaction ends (PostgreSQL; SQLite serialises writers anyway).

    Kept per savepoint, not per transaction: an import batch that lost a race is rolled
    back to its savepoint, the job row recorded in it with it, and written again in a new
    one, which must record the job again (a released savepoint's job is found queued)."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    if transaction is None or session.info.get(_ENQUEUE_KEY) is transaction:
        return
    waiting = session.scalar(select(Job.id).where(Job.kind == SEARCH_INDEX,
                                                  Job.status == "queued")
                             .limit(1).with_for_update(read=True))
    if waiting is None:
        enqueue(SEARCH_INDEX, {}, session=session)
    session.info[_ENQUEUE_KEY] = transaction


def index_dirty(factory: sessionmaker[Session], backend: SearchBackend,
                batch_size: int = INDEX_BATCH) -> int:
    """Index every product marked dirty; how many were indexed."""
    done = 0
    models = ModelCache()
    while True:
        with factory() as session, session.begin():
            claim = (select(Product.id).where(Product.search_dirty == true())
                     .order_by(Product.id).limit(batch_size))
            if session.get_bind().dialect.name == "postgresql":
                claim = claim.with_for_update(skip_locked=True)
            ids = list(session.scalars(claim))
            if not ids:
                return done
            index_products(session, backend, ids, models=models)
            session.execute(update(Product).where(Product.id.in_(ids))
                            .values(search_dirty=False)
                            .execution_options(synchronize_session=False))
            done += len(ids)


def index_products(session: Session, backend: SearchBackend, product_ids: list[int], *,
                   models: ModelCache | None = None, target: Any = None) -> int:
    """Build and send these products' documents (ids of deleted products are removed)."""
    context = load_context(session)
    documents = build_documents(session, product_ids, context, models=models,
                                with_channels=backend.needs_channels)
    backend.index(session, documents, target=target)
    gone = set(product_ids) - {doc.product_id for doc in documents}
    if gone:
        backend.delete(session, sorted(gone), target=target)
    return len(documents)


def reindex_all(factory: sessionmaker[Session], backend: SearchBackend,
                progress: Progress | None = None, batch_size: int = REINDEX_BATCH) -> dict:
    """Rebuild every document while the hub serves. The SQL backend rewrites documents in
    place, a batch per transaction (a reader always sees a whole document, old or new);
    Meilisearch builds a new index and swaps it in when complete."""
    with factory() as session:
        total = session.query(Product.id).count()
    target = backend.begin_reindex()
    done = 0
    models = ModelCache()
    with factory() as reader:
        batches = list(iter_product_id_batches(reader, batch_size))
    for ids in batches:
        with factory() as session, session.begin():
            done += index_products(session, backend, ids, models=models, target=target)
        if progress is not None:
            progress(done, total)
    with factory() as session, session.begin():
        backend.finish_reindex(session, target)
    return {"indexed": done, "backend": backend.name}
