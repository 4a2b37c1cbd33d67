"""Completeness per (product, channel, locale), kept in ``completeness`` rows.

``refresh_completeness`` recomputes exactly the products it is given, in batches, in the
caller's transaction: the write hook calls it for small edits, the batched job for big
imports (see ``pim.workflow.hooks``) and ``recompute_all`` for a channel or schema change.
A product outside a channel's assortment has no rows for that channel: completeness is the
share of what a channel needs that a product it sells carries.

A refresh leaves alone the rows of a product whose results came out as stored (most edits
change no completeness): ``computed_at`` is when a product's rows were last written with a
different result or configuration, not when they were last checked.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import bindparam, case, delete, func, insert, select
from sqlalchemy.orm import Session

from channels.definition import ChannelDefinition
from pim.catalog.structure import load_context
from pim.db import (
    GC_THRESHOLD,
    chunks,
    fewer_collections,
    insert_many,
    read_session,
    session_factory,
    utcnow,
)
from pim.errors import NotFound
from pim.jobs import enqueue
from pim.records import CatalogContext
from pim.workflow.channels import apply_channel, get_channel
from pim.workflow.checks import check_product
from pim.workflow.loading import (
    BATCH_SIZE,
    ChannelRuntime,
    ModelCache,
    iter_product_id_batches,
    load_channel_runtimes,
    load_products,
    load_products_by_sku,
)
from pim.workflow.models import Channel, Completeness, CompletenessDirty

# The jobs (pim.workflow.jobs): drain the dirty queue; recompute whole channels.
COMPLETENESS_REFRESH = "completeness.refresh"
COMPLETENESS_RECOMPUTE = "completeness.recompute"


@dataclass
class ProjectionSetup:
    """What every batch of one run shares: the catalog context, channels, product models."""

    context: CatalogContext
    runtimes: dict[str, ChannelRuntime]
    models: ModelCache = field(default_factory=ModelCache)

    @classmethod
    def load(cls, session: Session, channels: Iterable[str] | None = None) -> ProjectionSetup:
        return cls(load_context(session), load_channel_runtimes(session, channels))


def refresh_completeness(session: Session, product_ids: list[int], *,
                         setup: ProjectionSetup | None = None) -> int:
    """Recompute the completeness rows of ``product_ids`` in the channels of ``setup``
    (default: every channel). Returns the number of rows written."""
    if not product_ids:
        return 0
    setup = setup or ProjectionSetup.load(session)
    written = 0
    for chunk in chunks(sorted(set(product_ids)), BATCH_SIZE):
        written += write_changed_rows(session, chunk, list(setup.runtimes),
                                      compute_rows(session, chunk, setup))
    return written


def compute_rows(session: Session, product_ids: list[int], setup: ProjectionSetup
                 ) -> list[dict]:
    """The completeness rows of ``product_ids`` (pure work once the products are loaded)."""
    now = utcnow()
    rows = []
    for product in load_products(session, product_ids, setup.models):
        for runtime in setup.runtimes.values():
            result = check_product(product, runtime, setup.context)
            for variant, check in result.variants:
                rows.append({
                    "product_id": product.id, "channel_code": runtime.code,
                    "locale": variant.locale, "in_assortment": True,
                    "required": check.required, "present": check.present,
                    "percent": check.percent, "passed": check.passed,
                    "errors": [error.as_dict() for error in check.errors],
                    "content_hash": "", "config_hash": runtime.config_hash,
                    "computed_at": now,
                })
    return rows


def write_rows(session: Session, product_ids: list[int], channels: list[str],
               rows: list[dict]) -> int:
    """Replace the rows of ``product_ids`` in ``channels`` with ``rows``."""
    if not channels:
        return 0
    session.execute(_DELETE_ROWS, {"ids": product_ids, "channels": channels})
    if rows:
        session.execute(_INSERT_ROWS, rows)
    return len(rows)


def write_changed_rows(session: Session, product_ids: list[int], channels: list[str],
                       rows: list[dict]) -> int:
    """``write_rows`` for the products whose rows differ from the stored ones (in any
    column but ``computed_at``); one read spares the delete, insert and index upkeep of
    an edit that changed no completeness."""
    if not channels:
        return 0
    stored: dict[int, dict[tuple, tuple]] = {}
    for found in session.execute(_STORED_ROWS, {"ids": product_ids, "channels": channels}):
        stored.setdefault(found[0], {})[found[1:3]] = tuple(found[3:])
    fresh: dict[int, dict[tuple, tuple]] = {}
    for row in rows:
        fresh.setdefault(row["product_id"], {})[(row["channel_code"], row["locale"])] = tuple(
            row[column] for column in _COMPARED)
    changed = {pid for pid in product_ids if fresh.get(pid, {}) != stored.get(pid, {})}
    if not changed:
        return 0
    return write_rows(session, sorted(changed), channels,
                      [row for row in rows if row["product_id"] in changed])


# Built once (the inline refresh writes one product per call). Plain table statements: the
# rows are never loaded as objects, so there is no identity map to keep in step.
_TABLE = Completeness.__table__
_DELETE_ROWS = delete(_TABLE).where(
    _TABLE.c.product_id.in_(bindparam("ids", expanding=True)),
    _TABLE.c.channel_code.in_(bindparam("channels", expanding=True)))
_INSERT_ROWS = insert(_TABLE)
_COMPARED = ("in_assortment", "required", "present", "percent", "passed", "errors",
             "content_hash", "config_hash")
_STORED_ROWS = select(
    _TABLE.c.product_id, _TABLE.c.channel_code, _TABLE.c.locale,
    *(_TABLE.c[column] for column in _COMPARED)).where(
    _TABLE.c.product_id.in_(bindparam("ids", expanding=True)),
    _TABLE.c.channel_code.in_(bindparam("channels", expanding=True)))


def mark_completeness_dirty(session: Session, product_ids: list[int]) -> None:
    """Queue products for the batched refresh (same transaction as the write)."""
    now = utcnow()
    for chunk in chunks(sorted(set(product_ids)), BATCH_SIZE):
        # A product marked already is marked again: its marker's time is renewed, so a
        # refresh that started before this write leaves it for the next one.
        insert_many(session, CompletenessDirty.__table__,
                    [{"product_id": pid, "marked_at": now} for pid in chunk],
                    same_in_every_row=("marked_at",), renew_on_conflict=("marked_at",))


def refresh_dirty_completeness(session_factory: Callable[[], Session], *,
                               batch_size: int = BATCH_SIZE) -> int:
    """Drain the dirty queue, one transaction per batch. Safe to run twice or side by side:
    a marker is only removed if it was not renewed while its batch was computed."""
    refreshed = 0
    setup = None
    while True:
        with session_factory() as session, session.begin():
            started = utcnow()
            ids = list(session.scalars(select(CompletenessDirty.product_id)
                                       .order_by(CompletenessDirty.product_id).limit(batch_size)))
            if not ids:
                return refreshed
            setup = setup or ProjectionSetup.load(session)
            refresh_completeness(session, ids, setup=setup)
            session.execute(delete(CompletenessDirty).where(
                CompletenessDirty.product_id.in_(ids), CompletenessDirty.marked_at <= started))
        refreshed += len(ids)


def recompute_all(session_factory: Callable[[], Session], *, channels: list[str] | None = None,
                  progress: Callable[[int], None] | None = None,
                  batch_size: int = BATCH_SIZE, workers: int | None = None) -> int:
    """Recompute every product's completeness in ``channels`` (default all), one
    transaction per batch, so a long run never holds the write lock for long.

    Projection and validation are CPU-bound pure Python: with ``workers`` > 1 (default: one
    per CPU) each worker process loads, computes and writes whole batches itself, so rows
    are never pickled back and the writes are spread over the workers too."""
    with session_factory() as session:
        setup = ProjectionSetup.load(session, channels)
        batches = list(iter_product_id_batches(session, batch_size))
        url = session.get_bind().engine.url.render_as_string(hide_password=False)
    codes = list(setup.runtimes)
    workers = min(workers or os.cpu_count() or 1, len(batches))
    done = 0
    if workers > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                 initargs=(url, codes)) as pool:
            futures = [pool.submit(_refresh_in_worker, ids) for ids in batches]
            try:
                for future in as_completed(futures):
                    done += future.result()
                    if progress:
                        progress(done)
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise
        return done
    with fewer_collections():
        for ids in batches:
            with session_factory() as session, session.begin():
                write_rows(session, ids, codes, compute_rows(session, ids, setup))
            done += len(ids)
            if progress:
                progress(done)
    return done


_WORKER: dict[str, Any] = {}


def _start_worker(url: str, codes: list[str]) -> None:
    """Once per worker process: its setup. The setup and the modules live as long as the
    process, so they are frozen out of the collector's way."""

    with read_session(url) as session:
        _WORKER["setup"] = ProjectionSetup.load(session, codes)
    _WORKER["url"], _WORKER["codes"] = url, codes
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


def _refresh_in_worker(ids: list[int]) -> int:
    """One batch: computed in a read session, so the other workers keep writing meanwhile,
    then written in a short transaction of its own."""

    url, codes, setup = _WORKER["url"], _WORKER["codes"], _WORKER["setup"]
    with read_session(url) as session:
        rows = compute_rows(session, ids, setup)
    with session_factory(url)() as session, session.begin():
        write_rows(session, ids, codes, rows)
    return len(ids)


def stale_channels(session: Session) -> list[str]:
    """Channels with rows computed under another configuration than the current one."""
    rows = session.execute(
        select(Completeness.channel_code).join(
            Channel, Channel.code == Completeness.channel_code)
        .where(Completeness.config_hash != Channel.config_hash).distinct())
    return sorted(code for (code,) in rows)


def completeness_summary(session: Session, channel: str | None = None) -> list[dict]:
    """Per channel and locale: products, complete, average percent, failing."""
    passed = func.sum(case((Completeness.passed.is_(True), 1), else_=0))
    query = (select(Completeness.channel_code, Completeness.locale, func.count(),
                    passed, func.avg(Completeness.percent))
             .group_by(Completeness.channel_code, Completeness.locale)
             .order_by(Completeness.channel_code, Completeness.locale))
    if channel:
        query = query.where(Completeness.channel_code == channel)
    return [{"channel": code, "locale": locale, "products": count, "complete": int(ok or 0),
             "average_percent": _shown_percent(avg, failing=count - int(ok or 0)),
             "failing": count - int(ok or 0)}
            for code, locale, count, ok, avg in session.execute(query)]


def _shown_percent(average, *, failing: int) -> float:
    """The average rounded down to one decimal, and below 100 while a product fails (it
    may have every required field and still fail a rule): 99.96 % with one product failing
    reads 99.9 %, never 100.0 %."""
    shown = Decimal(str(average or 0)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    if failing and shown >= 100:
        shown = Decimal("99.9")
    return float(shown)


def pending_refresh_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CompletenessDirty)) or 0


def product_completeness(session: Session, product_id: int) -> list[dict]:
    """One product's rows, for the API and UI."""
    rows = session.scalars(select(Completeness).where(Completeness.product_id == product_id)
                           .order_by(Completeness.channel_code, Completeness.locale))
    return [{"channel": r.channel_code, "locale": r.locale, "required": r.required,
             "present": r.present, "percent": r.percent, "passed": r.passed,
             "errors": r.errors, "computed_at": r.computed_at} for r in rows]


def check_product_now(session: Session, sku: str, channel: str | None = None) -> list[dict]:
    """The product checked now (not the stored rows) against each channel, or ``channel``:
    per channel whether it carries the product, whether it passes, and each locale's check
    with every error pointing at the attribute, locale and scope to fix."""
    if channel is not None:
        get_channel(session, channel)  # NotFound for an unknown channel
    setup = ProjectionSetup.load(session, [channel] if channel else None)
    product = load_products_by_sku(session, [sku], setup.models).get(sku)
    if product is None:
        raise NotFound(f"product {sku!r} does not exist")
    checks = []
    for runtime in setup.runtimes.values():
        result = check_product(product, runtime, setup.context)
        checks.append({"channel": runtime.code, "in_assortment": result.in_assortment,
                       "passed": result.passed,
                       "locales": [check.as_dict() for _, check in result.variants]})
    return checks


def completeness_overview(session: Session, channel: str | None = None) -> dict:
    """The summary per channel and locale, products waiting for a refresh, and channels
    whose rows predate their configuration."""
    if channel is not None:
        get_channel(session, channel)  # NotFound for an unknown channel
    return {"rows": completeness_summary(session, channel),
            "pending_refresh": pending_refresh_count(session),
            "stale_channels": stale_channels(session)}


def apply_channel_and_recompute(session: Session, definition: ChannelDefinition) -> bool:
    """Create or update a channel; when its configuration changed (its rows are stale),
    recompute its completeness in the background once ``session`` commits. True when it
    changed. (``pim channel apply`` runs the same job inline, with a progress bar.)"""
    changed = apply_channel(session, definition)
    if changed:
        enqueue(COMPLETENESS_RECOMPUTE, {"channels": [definition.code]}, session=session)
    return changed
