"""Applying an import: a stream of records from ``importers/`` into the catalog.

Structure rows are applied as they come; product models and products are written in
batches, one transaction per batch, through the same ``write_products`` path as every other
writer, so validation, ownership, history and dirty flags are the same. Row errors never
stop the import under ``on_error="skip"``: the bad row is reported and the rest goes in. With
``on_error="abort"`` the whole import is one transaction that is rolled back at the first
error, so the catalog is never half-imported. ``dry_run`` does everything and rolls back.

A big file opened with ``importers.open_source`` is read by a worker process while this one
writes (``pim.catalog.import_worker``): same records, same checks, about twice as fast.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pim.catalog.import_worker import CheckedRecord, WorkerRecords, worker_can_read
from pim.catalog.listeners import ImportRun, import_hooks, structure_rows
from pim.catalog.models import Product
from pim.catalog.product_models import write_product_models
from pim.catalog.products import (
    CatalogCache,
    WritePolicy,
    WriteResult,
    fewer_collections,
    write_products,
    writes_new_products_whole,
)
from pim.catalog.structure import STRUCTURE_KINDS, apply_structure
from pim.catalog.units import ensure_unit_families
from pim.catalog.values import CheckedValues
from pim.db import lost_a_race
from pim.errors import DomainError, Invalid
from pim.records import ProductRecord, RowError, StructureRecord

if TYPE_CHECKING:
    from importers.source import ImportSource

log = logging.getLogger("pim.catalog")
MAX_LISTED = 1000  # errors/conflicts kept in full in a report; the counts stay exact


class BatchHook(Protocol):
    """Called around each batch write (``pim.media.importing.ImportMedia``): ``prepare`` may
    rewrite the records' values and returns row warnings; ``written`` records side effects
    (jobs) in the batch's transaction.

    A hook may also have ``rewritten_attributes(session) -> set[str]``, the attributes whose
    values ``prepare`` may rewrite: the import worker's value checks of records without any
    of them stay valid. Without it every record of the batch is checked again after
    ``prepare``."""

    def prepare(self, session: Session, records: list[ProductRecord]) -> list[RowError]: ...

    def written(self, session: Session, records: list[ProductRecord], results: list) -> Any: ...


def batch_hook(run: ImportRun) -> BatchHook | None:
    """The hook of an import job: the one the slices above answered for ``run``
    (``listeners.import_hooks``: media), several taken in turn, or none."""
    hooks = [hook for hook in import_hooks(run) if hook is not None]
    if len(hooks) <= 1:
        return hooks[0] if hooks else None
    return _BatchHooks(hooks)


class _BatchHooks:
    """Several hooks in the order they were connected. Rewritten attributes are known only
    when every hook says which."""

    def __init__(self, hooks: list[BatchHook]):
        self.hooks = hooks
        if all(hasattr(hook, "rewritten_attributes") for hook in hooks):
            self.rewritten_attributes = self._rewritten_attributes

    def _rewritten_attributes(self, session: Session) -> set[str]:
        return set().union(*(hook.rewritten_attributes(session)  # type: ignore[attr-defined]
                             for hook in self.hooks))

    def prepare(self, session: Session, records: list[ProductRecord]) -> list[RowError]:
        return [warning for hook in self.hooks for warning in hook.prepare(session, records)]

    def written(self, session: Session, records: list[ProductRecord], results: list) -> Any:
        return [hook.written(session, records, results) for hook in self.hooks]


class ImportRowsLost(Exception):
    """The summary does not account for every data row the file's reader read: a row was
    lost (or counted twice) between the file and the catalog. Raised once the records are
    read to the end, after what was written is committed: an import that cannot say what
    became of a row must not pass for complete."""

    def __init__(self, report: ImportReport, read: int):
        accounted = report.accounted_rows()
        summary = f"; its summary counts {report.rows} rows" if report.rows != read else ""
        super().__init__(
            f"{read} data rows were read from the file but the import accounted for "
            f"{accounted} ({report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.refused} refused, {report.skipped} "
            f"skipped, {report.models_created + report.models_updated + report.models_unchanged}"
            f" product models, {report.structure_changed + report.structure_unchanged} "
            f"structure rows){summary}: rows may be missing from the catalog; import the "
            "file again and report this")
        self.report = report
        self.read = read


class ImportAborted(Exception):
    """``on_error="abort"`` met an error: nothing was written."""

    def __init__(self, report: ImportReport):
        first = report.errors[0] if report.errors else {}
        super().__init__(f"import aborted at row {first.get('row')}: {first.get('message')}")
        self.report = report


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    skipped: int = 0  # rows refused before they made a record (see ``rows``)
    structure_changed: int = 0
    structure_unchanged: int = 0
    models_created: int = 0
    models_updated: int = 0
    models_unchanged: int = 0
    error_count: int = 0
    warning_count: int = 0
    conflict_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    aborted: bool = False
    # How the file was read: its layout (akeneo, shopify, magento), file format (csv, xlsx)
    # and, for text, its encoding: {"encoding", "found_by", "confidence"}.
    read_as: dict[str, Any] = field(default_factory=dict)

    def add_row_error(self, error: RowError) -> None:
        if error.severity == "warning":
            self.warning_count += 1
            if len(self.warnings) < MAX_LISTED:
                self.warnings.append(error.as_dict())
        else:
            self.error_count += 1
            if len(self.errors) < MAX_LISTED:
                self.errors.append(error.as_dict())

    def add_result(self, result: WriteResult, *, model: bool = False) -> None:
        if model:
            self.models_created += result.status == "created"
            self.models_updated += result.status == "updated"
            self.models_unchanged += result.status == "unchanged"
        else:
            setattr(self, result.status, getattr(self, result.status) + 1)
        for error in result.errors:
            column = error.get("attribute") or error.get("field")
            if column and error.get("locale"):
                column += f"-{error['locale']}"
            if column and error.get("scope"):
                column += f"-{error['scope']}"
            self.add_row_error(RowError(row=result.row, sku=result.sku, column=column,
                                        message=error["message"]))
        if model and result.status == "refused":
            self.refused += 1
        for conflict in result.conflicts:
            self.conflict_count += 1
            if len(self.conflicts) < MAX_LISTED:
                self.conflicts.append({"row": result.row, "sku": result.sku, **conflict})

    def accounted_rows(self) -> int:
        """The rows the outcomes account for, each row once: products created, updated,
        unchanged or refused, rows skipped before they made a record, product models and
        structure rows applied (a refused one is among ``refused``). Equal to ``rows``, and
        to the reader's count of the file's data rows, unless a row was lost."""
        return (self.created + self.updated + self.unchanged + self.refused + self.skipped
                + self.models_created + self.models_updated + self.models_unchanged
                + self.structure_changed + self.structure_unchanged)

    def reading(self) -> str:
        """How the file was read, for a person: "Shopify CSV in cp1250 (detected,
        confidence 0.92)"; "" when unknown."""
        if not self.read_as:
            return ""
        layout, file_format = self.read_as.get("layout", ""), self.read_as.get("format", "")
        name = {"akeneo": "Akeneo" if file_format == "ndjson" else "column-convention",
                "shopify": "Shopify", "magento": "Magento"}.get(layout, layout)
        text = f"{name} {file_format.upper()}".strip()
        encoding = self.read_as.get("encoding")
        if encoding:
            text += f" in {encoding['encoding']} ({encoding['found_by']}"
            if encoding["found_by"] == "detected":
                text += f", confidence {encoding['confidence']:.2f}"
            text += ")"
        if self.read_as.get("locale"):
            text += f", texts in {self.read_as['locale']}"
        if self.read_as.get("currency"):
            text += f", prices in {self.read_as['currency']}"
        return text

    def summary(self) -> str:
        verb = "would import" if self.dry_run else "imported"
        return (f"{verb} {self.rows} rows: {self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.refused} refused, {self.skipped} skipped; "
                f"{self.models_created} product models created, {self.models_updated} updated; "
                f"{self.error_count} errors, {self.warning_count} warnings, "
                f"{self.conflict_count} conflicts ({self.seconds:.1f}s)")

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def apply_import(
    session_factory: Callable[[], Session],
    records: Iterable[ProductRecord | StructureRecord | RowError],
    *,
    source: str,
    actor: str | None,
    policy: WritePolicy = WritePolicy("import"),
    on_error: Literal["skip", "abort"] = "skip",
    dry_run: bool = False,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
    hook: BatchHook | None = None,
    read_in_worker: bool | None = None,
    read_as: dict[str, Any] | None = None,
) -> ImportReport:
    """Write ``records`` into the catalog and return the report.

    ``records`` from ``open_source(...).records()`` are read by a worker process when the
    file is big (``read_in_worker=None``), always when it can be (``True``), or never
    (``False``). ``read_as`` goes into the report (``ImportReport.read_as``)."""
    # Full collections are rare while the import runs: garbage left by earlier work (a
    # workbook read before, say) would stay in memory all along. Collect it first, once.
    gc.collect()
    # The reader's count of the file's rows holds for the records only when none was taken
    # from them before (``SourceRecords.started``).
    from_start = not getattr(records, "started", False)
    worker_source = None
    if read_in_worker is not False and worker_can_read(records, force=bool(read_in_worker)):
        worker_source = records.source  # type: ignore[attr-defined]
        records.close()  # type: ignore[attr-defined]  # the worker reads the file itself
    with fewer_collections():
        return _apply_import(session_factory, records, source=source, actor=actor,
                             policy=policy, on_error=on_error, dry_run=dry_run,
                             batch_size=batch_size, progress=progress, hook=hook,
                             worker_source=worker_source, read_as=read_as or {},
                             from_start=from_start)


def _apply_import(
    session_factory: Callable[[], Session],
    records: Iterable[ProductRecord | StructureRecord | RowError],
    *,
    source: str,
    actor: str | None,
    policy: WritePolicy,
    on_error: Literal["skip", "abort"],
    dry_run: bool,
    batch_size: int,
    progress: Callable[[int], None] | None,
    hook: BatchHook | None,
    worker_source: ImportSource | None,
    read_as: dict[str, Any],
    from_start: bool,
) -> ImportReport:
    started = time.perf_counter()
    report = ImportReport(source=source, dry_run=dry_run, read_as=read_as)
    single_transaction = dry_run or on_error == "abort"
    session = session_factory()
    session.begin()
    ensure_unit_families(session)  # measurement attributes name them; idempotent
    cache: CatalogCache | None = None
    worker: WorkerRecords | None = None
    if worker_source is not None:
        cache = CatalogCache(session)
        try:
            worker = records = _start_worker(worker_source, session, cache, hook, policy)
        except OSError:  # no interpreter could be started: the file is read here
            records = worker_source.records()
    products: list[ProductRecord] = []
    checks: list[CheckedValues | None] = []  # the worker's checks, aligned with products
    models: list[ProductRecord] = []

    def should_abort() -> bool:
        return on_error == "abort" and report.error_count > 0

    def flush() -> None:
        nonlocal cache, session
        if cache is None:
            cache = CatalogCache(session)
        checked = checks if worker is not None and worker.check_values else None
        if hook is not None:
            if checked is not None:
                checked = _still_checked(hook, session, products, checked)
            for warning in hook.prepare(session, models + products):
                report.add_row_error(warning)
        if models:
            results = write_racing(session, models, lambda batch, _checks: write_product_models(
                session, batch, actor=actor, source=source, policy=policy, cache=cache))
            for result in results:
                report.add_result(result, model=True)
            if hook is not None:
                hook.written(session, models, results)
        if products:
            results = write_racing(session, products, lambda batch, checks: write_products(
                session, batch, actor=actor, source=source, policy=policy, cache=cache,
                checked=checks), checked)
            for result in results:
                report.add_result(result)
            if hook is not None:
                hook.written(session, products, results)
        models.clear()
        products.clear()
        checks.clear()
        if not single_transaction:
            session.commit()
            session.close()
            session = session_factory()
            session.begin()
        if progress:
            progress(report.rows)

    try:
        # A row whose cells could not be read is refused whole: writing the rest of it would
        # half-update the product (or attribute, family...). Importers yield a row's errors
        # before its record.
        bad_rows: set[int] = set()
        # Rows refused before they made a record (ragged, unreadable, no SKU, duplicate):
        # counted as skipped, so the summary accounts for every data row of the file.
        recordless: set[int] = set()
        for item in records:
            checked = None
            if item.__class__ is CheckedRecord:
                item, checked = item.record, item.checked
            if isinstance(item, RowError):
                report.add_row_error(item)
                if item.severity == "error" and item.row is not None:
                    bad_rows.add(item.row)
                    recordless.add(item.row)
            elif item.row in bad_rows and isinstance(item, ProductRecord | StructureRecord):
                recordless.discard(item.row)
                report.rows += 1
                report.refused += 1
            elif isinstance(item, StructureRecord):
                report.rows += 1
                if products or models:
                    flush()
                try:
                    with session.begin_nested():
                        changed = apply_structure_record(session, item)
                except DomainError as error:
                    report.refused += 1
                    report.add_row_error(RowError(row=item.row, column=item.kind,
                                                  value=item.code, message=error.message))
                else:
                    report.structure_changed += changed
                    report.structure_unchanged += not changed
                cache = None  # the structure changed: look it up again
            else:
                report.rows += 1
                if item.kind == "product_model":
                    models.append(item)
                else:
                    products.append(item)
                    checks.append(checked)
                if len(products) + len(models) >= batch_size:
                    flush()
            if should_abort():
                break
        if not should_abort() and (products or models):
            flush()
        report.skipped = len(recordless)
        report.rows += report.skipped
        report.seconds = time.perf_counter() - started
        # Batches report their errors when written; readers want them in file order.
        report.errors.sort(key=lambda e: e.get("row") or 0)
        report.warnings.sort(key=lambda e: e.get("row") or 0)
        if should_abort():
            report.aborted = True
            session.rollback()
            raise ImportAborted(report)
        # The reader's own count of the file's data rows (else the rows received) against
        # the outcomes: a row lost on the way fails the import, after the commit below.
        read = worker.data_rows if worker is not None else (
            _data_rows(records) if from_start else None)
        read = report.rows if read is None else read
        lost = read != report.rows or read != report.accounted_rows()
        if dry_run:
            session.rollback()
        else:
            session.commit()
            if report.created >= ANALYZE_AFTER_ROWS:
                try:
                    analyze_if_grown(session, report.created)
                except DBAPIError:  # the rows are committed; statistics are a courtesy
                    session.rollback()
                    log.warning("statistics not refreshed after the import", exc_info=True)
        if lost:
            log.error("import %s: %d data rows read, %d rows in the summary, %d accounted for",
                      source, read, report.rows, report.accounted_rows())
            raise ImportRowsLost(report, read)
        return report
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        if worker is not None:
            worker.close()


def _data_rows(records: Iterable[Any]) -> int | None:
    """The data rows the file's reader counted (``ImportSource.data_rows``), when the
    records come from a reader that counts them."""
    return getattr(getattr(records, "source", None), "data_rows", None)


# An import creating at least this many products, and a tenth of the catalog or more, has
# the planner's statistics brought up to date (``analyze_if_grown``).
ANALYZE_AFTER_ROWS = 1000
SQLITE_ANALYSIS_LIMIT = 1000  # rows of each index SQLite's ANALYZE samples: bounded time


def analyze_if_grown(session: Session, created: int) -> bool:
    """After an import made ``created`` products: when that is a tenth of the catalog or
    more, refresh the planner's statistics, which autovacuum would bring up to date only
    later (a list took 18 s a request on a fresh 368,000-product PostgreSQL database until
    ANALYZE). PostgreSQL's ANALYZE samples a fixed number of rows per table; on SQLite
    ANALYZE reads ``SQLITE_ANALYSIS_LIMIT`` rows of each index, then ``PRAGMA optimize``.
    Every table is analyzed: the import grew products and history, and the slices above
    (completeness, status, search) grew theirs with them. Returns whether it ran."""
    total = session.scalar(select(func.count()).select_from(Product)) or 0
    if created * 10 < total:
        return False
    started = time.perf_counter()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql("PRAGMA optimize")
    else:
        connection.exec_driver_sql("ANALYZE")
    session.commit()
    log.info("import created %d of %d products: statistics refreshed in %.1fs", created,
             total, time.perf_counter() - started)
    return True


BATCH_ATTEMPTS = 3  # a batch written again after losing a race to a concurrent writer


def write_racing(session: Session, records: list[ProductRecord],
                 write: Callable[[list[ProductRecord], list[CheckedValues | None] | None],
                              list[WriteResult]],
                 checked: list[CheckedValues | None] | None = None) -> list[WriteResult]:
    """``write(records, checked)`` in a savepoint, so that a batch survives editors and other
    writers touching its products at the same moment.

    ``write_products`` locks the products it reads, so a product an editor changes is
    waited for and merged over; what can still refuse a batch is a race the locks do not
    cover (a SKU created meanwhile by someone else, a deadlock with another writer). Such a
    batch is written again, reading afresh, ``BATCH_ATTEMPTS`` times; then record by record,
    and a record that still loses is refused with a conflict row error: the job goes on."""
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            with session.begin_nested():
                return write(records, checked)
        except DBAPIError as error:
            if not lost_a_race(error):
                raise
            log.info("import batch of %d lost a race (attempt %d): %s", len(records),
                     attempt, type(error.orig).__name__)
    results = []
    for position, record in enumerate(records):
        check = [checked[position]] if checked is not None else None
        try:
            with session.begin_nested():
                results += write([record], check)
        except DBAPIError as error:
            if not lost_a_race(error):
                raise
            results.append(WriteResult(sku=record.sku, status="refused", row=record.row, errors=[
                {"field": None, "message": "changed by another writer at the same moment; "
                 "not imported: import this row again"}]))
    return results


def _start_worker(source: ImportSource, session: Session, cache: CatalogCache,
                  hook: BatchHook | None, policy: WritePolicy) -> WorkerRecords:
    """A worker reading ``source``. It checks values only for the catalog and channels this
    import writes to (equal to the ones the file was opened with), and sends each row's
    values as read only where this process may need them: for a hook (only the rows with a
    value it may rewrite, when it says which), or a product whose family comes from the
    database (the row names none). It makes the products records create when the policy
    writes a new product's values whole and a hook, if any, says which values it
    rewrites."""
    args = source.reopen_args()
    # A hook that does not say which values it rewrites makes every check stale.
    rewritten_attributes = getattr(hook, "rewritten_attributes", None)
    hook_allows = hook is None or rewritten_attributes is not None
    check_values = hook_allows and (args["context"], frozenset(args["channels"])) == (
        cache.context, cache.channels)
    read_values: bool | frozenset[str] = hook is not None
    if rewritten_attributes is not None and check_values:
        read_values = frozenset(rewritten_attributes(session))
    return WorkerRecords(args, check_values=check_values, read_values=read_values,
                         make_products=hook_allows and writes_new_products_whole(policy))


def _still_checked(hook: BatchHook, session: Session, records: list[ProductRecord],
                   checked: list[CheckedValues | None]) -> list[CheckedValues | None] | None:
    """The worker's checks that the hook's ``prepare`` cannot make stale (before it runs)."""
    rewritten_attributes = getattr(hook, "rewritten_attributes", None)
    if rewritten_attributes is None:
        return None
    rewritten = frozenset(rewritten_attributes(session))
    return [check if rewritten.isdisjoint(record.values) else None
            for record, check in zip(records, checked, strict=True)]


def apply_structure_record(session: Session, record: StructureRecord) -> int:
    """Apply one structure row: the catalog's own kinds here, others (channels) by the slice
    that owns them (``listeners.structure_rows``)."""
    if record.kind in STRUCTURE_KINDS:
        return int(apply_structure(session, record.kind, record.code, record.data))
    answers = [changed for changed in structure_rows(session, record) if changed is not None]
    if not answers:
        raise Invalid(f"unknown structure kind {record.kind!r}")
    return int(any(answers))
