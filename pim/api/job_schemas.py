"""Request and response bodies of the jobs routes: uploads, export requests, the job record
as clients see it (no server paths, no stack traces) and the import report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any, Literal

from litestar.datastructures import UploadFile
from pydantic import BaseModel, ConfigDict, Field

from exporters import FORMATS
from pim.config import get_settings
from pim.jobs import JobOut
from pim.jobs.models import JobStatus

# Payload and result entries that name files on the server: clients see the file name only
# (the report and the file have their own routes).
_SERVER_PATHS = ("path", "directory", "profile", "media_root")
_HIDDEN = ("report_path",)


@dataclass
class ImportUpload:
    """``multipart/form-data`` of ``POST /jobs/imports``."""

    file: UploadFile
    profile: str | None = None
    on_error: Literal["skip", "abort"] = "skip"
    dry_run: bool = False
    # The file's layout, as ``pim import --format``; None: the profile's, else auto.
    format: Literal["auto", "akeneo", "shopify", "magento"] | None = None


@dataclass
class CatalogImportUpload:
    """``multipart/form-data`` of ``POST /jobs/catalog-imports``."""

    file: UploadFile
    dry_run: bool = False


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(min_length=1, max_length=64, description="A channel code.")
    format: str = Field(min_length=1, max_length=64,
                        description="A feed format code (ndjson, csv, xlsx, bmecat, ...).",
                        json_schema_extra={"enum": list(FORMATS)})
    locale: str | None = Field(None, max_length=16,
                               description="One of the channel's locales; default its first.")
    since: datetime | None = Field(
        None, description="Only what was published or withdrawn after this moment (delta).")


class JobLinks(BaseModel):
    self: str
    report: str | None = Field(None, description="The import report (import jobs).")
    file: str | None = Field(None, description="The exported file (export jobs).")
    cancel: str | None = Field(None, description="While the job has not finished.")


class JobRecord(BaseModel):
    """A job's record: status, progress, what it was asked to do and what came of it."""

    id: str
    kind: str
    status: JobStatus
    progress_done: int
    progress_total: int | None
    progress_percent: float | None
    message: str
    payload: dict[str, Any]
    result: dict[str, Any]
    error: str | None = Field(description="Why the job failed (its first line).")
    created_at: datetime
    created_by: str | None
    run_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    attempts: int
    max_attempts: int
    links: JobLinks


class JobList(BaseModel):
    items: list[JobRecord]
    limit: int


class ImportReportOut(BaseModel):
    """What an import did, row by row: errors and warnings carry row, column, value, sku."""

    model_config = ConfigDict(extra="allow")
    job_id: str
    source: str
    dry_run: bool
    aborted: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    refused: int
    structure_changed: int
    models_created: int
    models_updated: int
    error_count: int
    warning_count: int
    conflict_count: int
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    seconds: float


def _file_names(data: dict[str, Any]) -> dict[str, Any]:
    return {key: PurePath(value).name if key in _SERVER_PATHS and isinstance(value, str)
            else value for key, value in data.items() if key not in _HIDDEN}


def _reason(error: str | None) -> str | None:
    """The first line of a job's error: the trace after it is for operators
    (``pim jobs show``), and paths on the server are not the client's business."""
    if not error:
        return error
    var_dir = str(get_settings().var_dir)
    return error.split("\n", 1)[0].replace(var_dir + "/", "").strip()


def job_record(job: JobOut, *, has_report: bool, has_file: bool) -> JobRecord:
    base = f"/api/v1/jobs/{job.id}"
    active = job.status in ("queued", "scheduled", "running")
    return JobRecord(
        **job.model_dump(include={
            "id", "kind", "status", "progress_done", "progress_total", "progress_percent",
            "message", "created_at", "created_by", "run_at", "started_at", "finished_at",
            "duration_seconds", "attempts", "max_attempts"}),
        payload=_file_names(job.payload), result=_file_names(job.result),
        error=_reason(job.error),
        links=JobLinks(self=base, report=f"{base}/report" if has_report else None,
                       file=f"{base}/file" if has_file else None,
                       cancel=f"{base}/cancel" if active else None))
