"""A pull: what one connector reads from its ERP, written into the catalog.

Products are written in batches (one transaction each) through the catalog's one write
path, ``write_products``, with the ``erp`` policy (ERP-owned attributes only; a pim-owned
value is never touched) and the history source ``erp:<connector>``. The ERP is read in a
thread of its own while this one writes, so a pull takes about as long as reading alone.

- A product the ERP has but the hub has not is created in the connector's family, enabled.
- A product deactivated in the ERP, or gone from it, is disabled here, never deleted; one
  the ERP disabled here is enabled again when the ERP reactivates it (one a person
  disabled stays disabled).
- Values of attributes outside the product's family are left out (and counted in the
  notes); a price attribute keeps its amounts in currencies the ERP does not speak.
- Stock is written per mapped stock source; other sources' quantities stay.

The watermark moves only in the last transaction, which records the pull as succeeded: a
pull that fails half-way leaves it where it was, and the next pull reads the same changes
again (writing them twice changes nothing).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from importers.erp import (
    ErpItem,
    ErpProduct,
    ErpStock,
    PullEnd,
    Redactor,
    RestConnector,
    TrytonConnector,
    open_connector,
)
from pim.catalog.models import Product, Stock
from pim.catalog.products import CatalogCache, WritePolicy, WriteResult, write_products
from pim.db import utcnow
from pim.erp.mapping import ResolvedMapping, resolve_mapping
from pim.erp.models import ErpProductLink
from pim.erp.state import begin_pull, fail_pull, finish_pull
from pim.records import ProductRecord, RowError
from pim.workflow.models import Channel

BATCH_SIZE = 500  # products per transaction
PREFETCH_ITEMS = 2000  # items read ahead of the writes
MAX_LISTED = 200  # errors and warnings kept in full in a pull's record; counts stay exact

Config = TrytonConnector | RestConnector
Progress = Callable[[int, str], None]


@dataclass
class PullReport:
    """What a pull did; ``as_dict()`` is the JSON its job and connector record keep."""

    connector: str
    full: bool
    started_at: datetime
    watermark_before: datetime | None = None
    watermark_after: datetime | None = None
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    disabled: int = 0
    enabled: int = 0
    refused: int = 0
    stock_updated: int = 0
    error_count: int = 0
    warning_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    finished_at: datetime | None = None
    error: str | None = None

    def add_error(self, sku: str | None, message: str, *, key: str | None = None,
                  warning: bool = False) -> None:
        entry = {"sku": sku, "erp_key": key, "message": message}
        if warning:
            self.warning_count += 1
            if len(self.warnings) < MAX_LISTED:
                self.warnings.append(entry)
        else:
            self.error_count += 1
            if len(self.errors) < MAX_LISTED:
                self.errors.append(entry)

    def summary(self) -> str:
        kind = "full" if self.full else "incremental"
        return (f"{kind} pull of {self.connector}: {self.read} read, {self.created} created, "
                f"{self.updated} updated, {self.unchanged} unchanged, {self.disabled} "
                f"disabled, {self.enabled} enabled again, {self.refused} refused, "
                f"{self.stock_updated} stock updates ({self.seconds:.1f}s)")

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for name in ("started_at", "finished_at", "watermark_before", "watermark_after"):
            value = data[name]
            data[name] = value.isoformat() if value is not None else None
        data["summary"] = self.summary()
        return data


def pull(config: Config, *, session_factory: sessionmaker[Session], full: bool = False,
         actor: str | None = None, job_id: str | None = None,
         progress: Progress | None = None, batch_size: int = BATCH_SIZE,
         read_ahead_items: int = PREFETCH_ITEMS) -> PullReport:
    """Pull ``config``'s ERP into the catalog (incrementally from its watermark unless
    ``full`` or it has none) and return the report. Raises what stopped the pull (a
    ``ConnectorError``, ``Conflict`` when another pull of it is running) after recording
    the failure on the connector."""
    name = config.connector_name
    started = time.perf_counter()
    with session_factory.begin() as session:
        watermark = begin_pull(session, config, job_id)
    report = PullReport(connector=name, full=full or watermark is None, started_at=utcnow(),
                        watermark_before=watermark)
    try:
        _pull(config, report, session_factory, since=None if report.full else watermark,
              actor=actor or f"erp:{name}", progress=progress, batch_size=batch_size,
              read_ahead_items=read_ahead_items)
        report.seconds = time.perf_counter() - started
        report.finished_at = utcnow()
        with session_factory.begin() as session:
            finish_pull(session, name, report.as_dict(), report.watermark_after, job_id)
    except BaseException as error:
        report.seconds = time.perf_counter() - started
        report.finished_at = utcnow()
        report.error = Redactor(config.secrets())(getattr(error, "message", None) or error)
        with session_factory.begin() as session:
            fail_pull(session, name, report.as_dict(), report.error, job_id)
        raise
    return report


def _pull(config: Config, report: PullReport, session_factory: sessionmaker[Session], *,
          since: datetime | None, actor: str, progress: Progress | None,
          batch_size: int, read_ahead_items: int) -> None:
    with session_factory() as session:
        cache = CatalogCache(session)
        stock_sources = _channel_stock_sources(session)
    resolved = resolve_mapping(config, cache.context, families=cache.family_attributes,
                               stock_sources=stock_sources)
    report.notes += resolved.notes
    source_config = config
    if isinstance(config, TrytonConnector):
        source_config = config.model_copy(update={"price_lists": resolved.price_lists})
    writer = BatchWriter(config, resolved, report, session_factory, cache, actor)
    end: PullEnd | None = None
    with open_connector(source_config, resolved.targets) as source:
        products: list[ErpProduct] = []
        stock: list[ErpStock] = []
        for item in read_ahead(source.pull(since), read_ahead_items):
            if isinstance(item, ErpProduct):
                report.read += 1
                products.append(item)
                if len(products) >= batch_size:
                    writer.write(products)
                    products = []
                    _report_progress(progress, report)
            elif isinstance(item, ErpStock):
                stock.append(item)
            elif isinstance(item, RowError):
                report.read += 1  # an ERP product that could not be read whole
                report.refused += item.severity == "error"
                report.add_error(item.sku, item.message, warning=item.severity == "warning")
            elif isinstance(item, PullEnd):
                end = item
    if end is None:
        raise RuntimeError("the connector ended without its PullEnd")
    if products:
        writer.write(products)
    if stock:
        writer.write_stock(stock)
    if end.present_keys is not None:
        writer.disable_missing(end.present_keys)
    writer.add_notes()
    report.notes += end.notes
    report.watermark_after = _next_watermark(report.watermark_before, end.watermark,
                                             full=since is None)
    _report_progress(progress, report)


def _report_progress(progress: Progress | None, report: PullReport) -> None:
    if progress is not None:
        progress(report.read, f"{report.read} read, {report.created} created, "
                              f"{report.updated} updated, {report.disabled} disabled")


def _next_watermark(before: datetime | None, seen: datetime | None, *,
                    full: bool) -> datetime | None:
    """An incremental pull never moves the watermark back; a full one sets it."""
    if seen is None:
        return before
    if full or before is None:
        return seen
    return max(before, seen)


def _channel_stock_sources(session: Session) -> set[str]:
    sources: set[str] = set()
    for definition in session.scalars(select(Channel.definition)):
        sources.update((definition or {}).get("stock_sources") or ())
    return sources


def read_ahead(items: Iterator[ErpItem], size: int = PREFETCH_ITEMS) -> Iterator[ErpItem]:
    """``items``, read by a thread of their own up to ``size`` ahead: the ERP answers the
    next page while this thread writes the last one. The reader's exception is raised
    here; leaving the loop early stops the reader."""
    buffer: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()
    done = object()

    def read() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
            outcome: tuple[str, Any] = ("end", done)
        except BaseException as error:  # handed to the writing thread
            outcome = ("error", error)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        while not stop.is_set():
            try:
                buffer.put(outcome, timeout=0.1)
                return
            except queue.Full:
                continue

    reader = threading.Thread(target=read, name="erp-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        reader.join(timeout=30)


class BatchWriter:
    """Writes batches of ERP products, stock and deletions for one pull."""

    def __init__(self, config: Config, resolved: ResolvedMapping, report: PullReport,
                 session_factory: sessionmaker[Session], cache: CatalogCache, actor: str):
        self.config = config
        self.name = config.connector_name
        self.source = f"erp:{self.name}"
        self.resolved = resolved
        self.report = report
        self.session_factory = session_factory
        self.cache = cache
        self.actor = actor
        self.policy = WritePolicy("erp")
        self.left_out: Counter[tuple[str, str]] = Counter()  # (attribute, family) -> products

    def write(self, items: list[ErpProduct]) -> None:
        with self.session_factory.begin() as session:
            self._write(session, items)

    def _write(self, session: Session, items: list[ErpProduct]) -> None:
        skus = [item.record.sku for item in items]
        stored = {row.sku: row for row in session.execute(
            select(Product.id, Product.sku, Product.family_code, Product.enabled,
                   Product.values).where(Product.sku.in_(skus)))}
        links = {link.erp_key: link for link in session.scalars(
            select(ErpProductLink).where(ErpProductLink.connector == self.name,
                                         ErpProductLink.erp_key.in_([i.key for i in items])))}
        stock = self._stored_stock(session, [stored[s].id for s in skus if s in stored]
                                   if any(i.record.stock is not None for i in items) else [])
        records: list[ProductRecord] = []
        renamed: list[str] = []
        stock_changed: set[str] = set()
        for item in items:
            record, row, link = item.record, stored.get(item.record.sku), links.get(item.key)
            record.family = None if row is not None else self.config.family
            record.enabled = self._enabled(item, row, link)
            family = row.family_code if row is not None else self.config.family
            self._keep_family_values(record, family)
            self._keep_other_currencies(record, (row.values or {}) if row is not None else {})
            if row is not None and record.stock is not None:
                before = stock.get(row.id, {})
                record.stock = {**before, **record.stock}
                if record.stock != before:
                    stock_changed.add(record.sku)
            if link is not None and link.sku != record.sku and link.deleted_at is None:
                renamed.append(link.sku)
                self.report.notes.append(f"ERP product {item.key} changed its SKU from "
                                         f"{link.sku} to {record.sku}: {link.sku} disabled")
            records.append(record)
        results = write_products(session, records, actor=self.actor, source=self.source,
                                 policy=self.policy, cache=self.cache)
        now = utcnow()
        for item, record, result in zip(items, records, results, strict=True):
            row = stored.get(record.sku)
            self._count(result, record, row)
            if not result.ok:
                continue
            self.report.stock_updated += record.sku in stock_changed
            link = links.get(item.key)
            if link is None:
                link = ErpProductLink(connector=self.name, erp_key=item.key, sku=record.sku)
                session.add(link)
            was_disabled_by_erp = bool(link.disabled_by_erp)
            link.sku, link.active, link.deleted_at, link.seen_at = (
                record.sku, item.active, None, now)
            if record.enabled is False:
                link.disabled_by_erp = row is None or bool(row.enabled) or was_disabled_by_erp
            elif record.enabled is True:
                link.disabled_by_erp = False
        if renamed:
            self._disable(session, renamed)

    @staticmethod
    def _enabled(item: ErpProduct, row, link: ErpProductLink | None) -> bool | None:
        """Disabled when the ERP deactivated it; enabled when new, or when the ERP had
        disabled it and reactivated it since; otherwise left as the hub has it."""
        if not item.active:
            return False
        if row is None or (link is not None and link.disabled_by_erp and not row.enabled):
            return True
        return None

    def _count(self, result: WriteResult, record: ProductRecord, row) -> None:
        report = self.report
        if result.status == "refused":
            report.refused += 1
            reasons = "; ".join(
                f"{e.get('attribute') or e.get('field')}: {e['message']}" for e in result.errors)
            report.add_error(record.sku, reasons or "refused")
            return
        setattr(report, result.status, getattr(report, result.status) + 1)
        if row is not None and record.enabled is False and row.enabled:
            report.disabled += 1
        elif row is not None and record.enabled is True and not row.enabled:
            report.enabled += 1
        elif row is None and record.enabled is False:
            report.disabled += 1

    def _keep_family_values(self, record: ProductRecord, family: str | None) -> None:
        allowed = self.cache.family_attributes.get(family or "")
        if not allowed:
            return
        for code in [c for c in record.values if c not in allowed]:
            del record.values[code]
            self.left_out[(code, family or "")] += 1

    def _keep_other_currencies(self, record: ProductRecord, stored: dict[str, Any]) -> None:
        """A price attribute keeps the amounts in currencies this ERP does not write."""
        for code in self.resolved.price_attributes & record.values.keys():
            for entry in record.values[code]:
                data = entry.get("data")
                if not isinstance(data, list):
                    continue
                ours = {price.get("currency") for price in data}
                kept = [price for price in _stored_prices(stored, code, entry)
                        if price.get("currency") not in ours]
                entry["data"] = [p for p in data if p.get("amount") is not None] + kept or None

    def _stored_stock(self, session: Session, product_ids: list[int]
                      ) -> dict[int, dict[str, Decimal]]:
        stock: dict[int, dict[str, Decimal]] = {}
        if product_ids:
            for pid, source, quantity in session.execute(
                    select(Stock.product_id, Stock.source, Stock.quantity)
                    .where(Stock.product_id.in_(product_ids))):
                stock.setdefault(pid, {})[source] = Decimal(quantity)
        return stock

    def write_stock(self, items: list[ErpStock]) -> None:
        """Stock of products whose data did not change (only for products the hub has)."""
        for start in range(0, len(items), BATCH_SIZE):
            chunk = items[start:start + BATCH_SIZE]
            with self.session_factory.begin() as session:
                ids = dict(session.execute(select(Product.sku, Product.id).where(
                    Product.sku.in_([i.sku for i in chunk]))).all())
                stored = self._stored_stock(session, list(ids.values()))
                records = [ProductRecord(sku=i.sku, stock={**stored.get(ids[i.sku], {}),
                                                           **i.stock})
                           for i in chunk if i.sku in ids]
                changed = [r for r in records if r.stock != stored.get(ids[r.sku], {})]
                if changed:
                    write_products(session, changed, actor=self.actor, source=self.source,
                                   policy=self.policy, cache=self.cache)
                self.report.stock_updated += len(changed)

    def disable_missing(self, present: frozenset[str]) -> None:
        """Disable the products whose ERP key is gone (deleted in the ERP)."""
        with self.session_factory.begin() as session:
            # Plain rows first: most pulls find nothing gone among thousands of links.
            rows = session.execute(select(ErpProductLink.erp_key, ErpProductLink.sku).where(
                ErpProductLink.connector == self.name,
                ErpProductLink.deleted_at.is_(None))).all()
            live = {sku for key, sku in rows if key in present}
            gone_keys = [key for key, _ in rows if key not in present]
            if not gone_keys:
                return
            if not present:
                # An ERP that lists nothing at all is more likely misconfigured (another
                # company, an endpoint answering an empty page) than emptied.
                self.report.add_error(None, f"the ERP listed no products at all: the "
                                            f"{len(gone_keys)} products pulled before were "
                                            "left enabled", warning=True)
                return
            gone = [link for chunk in _chunks(gone_keys) for link in session.scalars(
                select(ErpProductLink).where(ErpProductLink.connector == self.name,
                                             ErpProductLink.erp_key.in_(chunk)))]
            now = utcnow()
            disabled = self._disable(session, [g.sku for g in gone if g.sku not in live])
            for link in gone:
                link.deleted_at = now
                link.active = False
                link.disabled_by_erp = link.disabled_by_erp or link.sku in disabled
            self.report.notes.append(f"{len(gone)} products gone from the ERP: "
                                     f"{len(disabled)} disabled")

    def _disable(self, session: Session, skus: list[str]) -> set[str]:
        enabled = [sku for chunk in _chunks(skus) for sku in session.scalars(
            select(Product.sku).where(Product.sku.in_(chunk), Product.enabled.is_(True)))]
        if not enabled:
            return set()
        results = write_products(session, [ProductRecord(sku=s, enabled=False) for s in enabled],
                                 actor=self.actor, source=self.source, policy=self.policy,
                                 cache=self.cache)
        done = {r.sku for r in results if r.ok}
        self.report.disabled += len(done)
        return done

    def add_notes(self) -> None:
        for (code, family), count in sorted(self.left_out.items()):
            self.report.notes.append(f"{code}: not an attribute of family {family} "
                                     f"({count} products): not written")


def _chunks(items: list[str], size: int = 1000) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _stored_prices(stored: dict[str, Any], code: str, entry: dict[str, Any]) -> list[dict]:
    for candidate in stored.get(code) or ():
        if (candidate.get("locale") == entry.get("locale")
                and candidate.get("scope") == entry.get("scope")):
            data = candidate.get("data")
            return data if isinstance(data, list) else []
    return []
