"""Import jobs: the same import from the CLI (run inline), the API and the UI (enqueued).

Re-running an import job is safe: a file already imported changes nothing and writes no
history, so a worker that died mid-import may simply run it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, cast

from importers import ImportFileError, iter_akeneo_catalog, load_profile, open_source
from pim.catalog.importing import (
    ImportAborted,
    ImportReport,
    ImportRowsLost,
    apply_import,
    batch_hook,
)
from pim.catalog.listeners import ImportRun, scope_codes
from pim.catalog.products import WritePolicy
from pim.catalog.structure import load_context
from pim.config import get_settings
from pim.db import get_engine, session_factory
from pim.jobs import JobContext, PermanentError, job
from pim.records import RowError


def _save_report(ctx: JobContext, report: ImportReport) -> str:
    folder = get_settings().var_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ctx.job_id}.json"
    path.write_text(json.dumps(report.as_dict(), indent=2, default=str))
    return str(path)


def _result(ctx: JobContext, report: ImportReport) -> dict[str, Any]:
    return {
        "summary": report.summary(),
        "read_as": report.reading(),
        "report_path": _save_report(ctx, report),
        **{key: getattr(report, key) for key in (
            "rows", "created", "updated", "unchanged", "refused", "models_created",
            "models_updated", "structure_changed", "error_count", "warning_count",
            "conflict_count")},
        "errors": report.errors[:50],
    }


# Below this, a detected encoding is named in the report's warnings (see EncodingGuess).
UNSURE_ENCODING = 0.5


def read_as(records: Any) -> dict[str, Any]:
    """How the file behind ``records`` is read (``ImportReport.read_as``), when it says."""
    source = getattr(records, "source", None)
    if source is None:
        return {}
    described: dict[str, Any] = {"layout": getattr(source, "layout", ""),
                                 "format": getattr(source, "format", "")}
    encoding = getattr(source, "encoding", None)
    if encoding is not None:
        described["encoding"] = encoding.as_dict()
    for name in ("locale", "currency"):  # what a platform file's texts and prices are in
        if getattr(source, name, None):
            described[name] = getattr(source, name)
    return described


def _progress_of(ctx: JobContext, records: Any):
    """Rows done against the file's rows: counted in a workbook, estimated from a CSV's
    size in bytes (never below the rows done), so a progress bar has a total and a time
    left."""
    source = getattr(records, "source", None)
    total = getattr(source, "total_rows", None)
    estimated = total is None and getattr(source, "estimated_rows", None) is not None
    if estimated:
        total = source.estimated_rows  # type: ignore[union-attr]
    if not total:
        return lambda done: ctx.progress(done)
    message = "rows (total estimated from the file size)" if estimated else "rows"
    return lambda done: ctx.progress(done, max(total, done), message)


def _unsure_encoding(report: ImportReport) -> None:
    encoding = report.read_as.get("encoding")
    if encoding and encoding["found_by"] == "detected" and \
            encoding["confidence"] < UNSURE_ENCODING:
        report.add_row_error(RowError(
            None, f"the text encoding was guessed as {encoding['encoding']} with confidence "
            f"{encoding['confidence']:.2f}: if accented letters look wrong, name the encoding "
            "in a mapping profile (encoding: ...)", severity="warning"))


def _apply(ctx: JobContext, records_for, *, dry_run: bool, on_error: Literal["skip", "abort"],
           overwrite_pim_owned: bool, media_root: str | None = None) -> dict[str, Any]:
    factory = session_factory()
    with factory() as session:
        context = load_context(session)
        channels = set(scope_codes(session))
    source = f"import:{ctx.job_id}"
    hook = batch_hook(ImportRun(media_root, source, ctx.created_by, dry_run))
    # A dry run, or an import that aborts on the first error, is one transaction; on SQLite
    # it holds the database's write lock throughout, so progress is written when it ends.
    one_transaction = dry_run or on_error == "abort"
    holds_lock = one_transaction and get_engine().dialect.name == "sqlite"
    try:
        records = records_for(context, channels)
        with ctx.deferred_progress(holds_lock):
            report = apply_import(
                factory, records, source=source,
                actor=ctx.created_by,
                policy=WritePolicy("import", overwrite_pim_owned=overwrite_pim_owned),
                on_error=on_error, dry_run=dry_run,
                batch_size=get_settings().import_batch_size,
                progress=_progress_of(ctx, records), hook=hook,
                read_as=read_as(records),
            )
            ctx.progress(report.rows, report.rows, "")
    except ImportAborted as aborted:
        _unsure_encoding(aborted.report)
        path = _save_report(ctx, aborted.report)
        raise PermanentError(f"{aborted} (nothing imported; report: {path})") from None
    except ImportRowsLost as lost:
        # Another attempt would read the same file the same way: the job fails at once,
        # saying so, and the report shows what was done.
        path = _save_report(ctx, lost.report)
        raise PermanentError(f"{lost} (report: {path})") from None
    except ImportFileError as error:
        raise PermanentError(str(error)) from None
    _unsure_encoding(report)
    return _result(ctx, report)


@job("import", queue="imports", max_attempts=2)
def import_file(ctx: JobContext, *, path: str, profile: str | None = None,
                media_root: str | None = None, dry_run: bool = False,
                on_error: str = "skip", format: str | None = None) -> dict[str, Any]:
    """Import one CSV/XLSX file: products or structure in the column convention, or a
    Shopify or Magento product file (``format``: akeneo, shopify, magento or auto, the
    default unless the profile names one)."""
    if not Path(path).is_file():
        raise PermanentError(f"file {path!r} not found")
    try:
        mapping = load_profile(profile) if profile else None
    except ImportFileError as error:
        raise PermanentError(str(error)) from None

    def records(context, channels):
        return open_source(path, context=context, channels=channels, profile=mapping,
                           media_root=media_root, layout=format,
                           max_uncompressed_bytes=get_settings().xlsx_max_uncompressed_bytes
                           ).records()

    if on_error not in ("skip", "abort"):
        raise PermanentError(f"on_error must be skip or abort, not {on_error!r}")
    return _apply(ctx, records, dry_run=dry_run, on_error=cast(Literal["skip", "abort"], on_error),
                  overwrite_pim_owned=bool(mapping and mapping.overwrite_pim_owned),
                  media_root=media_root)


@job("import_catalog", queue="imports", max_attempts=2)
def import_catalog(ctx: JobContext, *, directory: str, media_root: str | None = None,
                   dry_run: bool = False) -> dict[str, Any]:
    """Import a whole Akeneo export: structure, product models, products."""
    def records(context, channels):
        return iter_akeneo_catalog(directory, media_root=media_root or directory)

    return _apply(ctx, records, dry_run=dry_run, on_error="skip", overwrite_pim_owned=False,
                  media_root=media_root or directory)
