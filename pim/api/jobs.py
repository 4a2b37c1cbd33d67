"""Background jobs over the API: start an import (a file upload) or an export, follow a
job's progress, list and cancel jobs, read an import's report, download an export's file.

Uploads are stored under ``var/uploads/<id>/`` and stay there: the job reads the file when a
runner picks it up, and again if it is retried. A media folder cannot be named through the
API (it would be a path on the server); import media with ``pim import --media`` instead.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import yaml
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import JSONBody, MultipartBody, PathParameter, QueryParameter
from litestar.response import File
from sqlalchemy.orm import Session

import exporters
from importers import ImportFileError
from importers.profile import parse_profile
from pim.api.filters import one_of
from pim.api.job_schemas import (
    CatalogImportUpload,
    ExportIn,
    ImportReportOut,
    ImportUpload,
    JobList,
    JobRecord,
    job_record,
)
from pim.api.openapi import problems
from pim.api.problems import PROBLEM_JSON, Problem
from pim.api.sessions import ReadSession, WriteSession
from pim.auth.actor import ADMIN, READ, WRITE_CONTENT, Actor
from pim.config import get_settings
from pim.errors import Conflict, ErrorItem, Forbidden, Invalid, NotFound
from pim.jobs import JobOut, cancel_job, enqueue, get_job, list_jobs
from pim.jobs.models import JOB_STATUSES
from pim.jobs.service import MAX_LIST
from pim.jobs.state import ACTIVE
from pim.publishing.exports import export_path
from pim.workflow.channels import get_channel

MAX_CATALOG_ENTRIES = 20_000  # files in an uploaded catalog archive
MAX_CATALOG_BYTES = 2 * 1024 * 1024 * 1024  # what an uploaded catalog archive may expand to
IMPORT_KINDS = ("import", "import_catalog")
EXPORT_KIND = "export"  # pim.publishing.jobs.EXPORT
SPREADSHEET_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".ndjson", ".jsonl")
_JOB_ID = re.compile(r"[0-9a-f]{32}")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

TOO_LARGE = {413: ResponseSpec(Problem, description="The upload exceeds PIM_API_MAX_UPLOAD_BYTES",
                               media_type=PROBLEM_JSON, generate_examples=False)}
JobId = Annotated[str, PathParameter(description="The job's id (32 hex digits).")]


@dataclass
class ExportFileOperation(Operation):
    """The 200 of the export download: one content type per feed format."""

    def __post_init__(self) -> None:
        found = (self.responses or {}).get("200")
        if found is not None and not isinstance(found, Reference):
            binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
            found.content = {media_type: OpenAPIMediaType(schema=binary) for media_type in
                             sorted({f.media_type for f in exporters.FORMATS.values()})}


# -- helpers ----------------------------------------------------------------------------------

def _read_job(session: Session, job_id: str) -> JobOut:
    if not _JOB_ID.fullmatch(job_id):
        raise NotFound(f"no job {job_id}")
    return get_job(session, job_id)


def _report_path(job_id: str) -> Path:
    """Where the import job writes its report (``pim.catalog.jobs``)."""
    return get_settings().var_dir / "imports" / f"{job_id}.json"


def _export_file(job: JobOut) -> tuple[Path, str] | None:
    """The export job's file and media type, rebuilt from its payload (never from a path
    stored in the record), or None when there is none to serve."""
    exporter = exporters.FORMATS.get(str(job.payload.get("format")))
    channel = job.payload.get("channel")
    if job.status != "succeeded" or exporter is None or not isinstance(channel, str):
        return None
    path = export_path(channel, job.payload["format"], exporter.extension, job.id)
    return (path, exporter.media_type) if path.is_file() else None


def _record(job: JobOut) -> JobRecord:
    return job_record(job, has_report=job.kind in IMPORT_KINDS and _report_path(job.id).is_file(),
                      has_file=job.kind == EXPORT_KIND and _export_file(job) is not None)


def _accepted(session: Session, job_id: str) -> Response[JobRecord]:
    record = _record(_read_job(session, job_id))
    return Response(record, status_code=202, headers={"Location": record.links.self})


def _store_upload(upload: UploadFile, suffixes: tuple[str, ...]) -> Path:
    """Copy the upload to a new folder under ``var/uploads``; returns the file's path."""
    name = _UNSAFE_NAME.sub("_", PurePosixPath((upload.filename or "").replace("\\", "/")).name)
    name = name.lstrip(".")[-120:] or "upload"
    if not name.lower().endswith(suffixes):
        raise Invalid.at("file", f"{upload.filename!r} is not one of "
                                 f"{', '.join(suffixes)}")
    folder = get_settings().var_dir / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    target = folder / name
    upload.file.seek(0)
    with open(target, "wb") as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
    if target.stat().st_size == 0:
        shutil.rmtree(folder)
        raise Invalid.at("file", "the file is empty")
    return target


def _store_profile(text: str, folder: Path) -> str:
    """Check a YAML mapping profile now (422 naming ``profile``) and keep it beside the file."""
    try:
        parse_profile(yaml.safe_load(text) or {}, source="profile")
    except yaml.YAMLError as error:
        raise Invalid.at("profile", f"not YAML: {error}") from None
    except ImportFileError as error:
        raise Invalid.at("profile", str(error)) from None
    path = folder / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _enqueue_or_clean(session: Session, kind: str, payload: dict[str, Any], actor: Actor,
                      folder: Path) -> str:
    """Record the job in ``session`` (it is sent once committed); the upload folder goes when
    it cannot be recorded."""
    try:
        return enqueue(kind, payload, session=session, created_by=actor.name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _safe_member(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's relative path, None for folders and links; refuses paths that escape."""
    if info.is_dir() or (info.external_attr >> 16) & 0o170000 == 0o120000:
        return None
    path = PurePosixPath(info.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
        raise Invalid.at("file", f"the archive holds an unsafe path {info.filename!r}")
    return path


def _extract_catalog(archive: Path) -> Path:
    """Unpack an Akeneo export (a zip) next to it, within bounds; returns the folder that
    holds its CSV files (the archive's root or its single top folder)."""
    target = archive.parent / "catalog"
    try:
        with zipfile.ZipFile(archive) as source:
            members = source.infolist()
            if len(members) > MAX_CATALOG_ENTRIES:
                raise Invalid.at("file", f"the archive holds more than "
                                         f"{MAX_CATALOG_ENTRIES} files")
            written = 0
            for info in members:
                relative = _safe_member(info)
                if relative is None:
                    continue
                destination = target.joinpath(*relative.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with source.open(info) as data, open(destination, "wb") as out:
                    while chunk := data.read(1024 * 1024):
                        written += len(chunk)
                        if written > MAX_CATALOG_BYTES:  # sizes in the directory may lie
                            raise Invalid.at("file", "the archive expands to more than "
                                                     f"{MAX_CATALOG_BYTES} bytes")
                        out.write(chunk)
    except zipfile.BadZipFile as error:
        raise Invalid.at("file", f"not a zip archive ({error})") from None
    roots = [target, *sorted(p for p in target.iterdir() if p.is_dir())] \
        if target.is_dir() else []
    for root in roots:
        if (root / "products.csv").is_file() or (root / "attributes.csv").is_file():
            return root
    raise Invalid.at("file", "not an Akeneo export: no products.csv or attributes.csv "
                             "at the top of the archive")


# -- starting jobs ----------------------------------------------------------------------------

@post("/jobs/imports", opt={"roles": WRITE_CONTENT, "body": "upload"}, sync_to_thread=True,
      status_code=202, request_max_body_size=None, responses=problems(422) | TOO_LARGE, tags=["jobs"],
      summary="Import a CSV/XLSX file in the background (202 and the job; Location: the job)",
      description=(
          "Products or catalog structure in the column convention, or a Shopify or Magento "
          "product CSV, as `pim import` reads them; `format` (auto, akeneo, shopify, "
          "magento) as its --format. `profile` is the text of a YAML mapping profile. `on_error`: `skip` "
          "imports the good rows and reports the bad ones, `abort` imports nothing when a "
          "row is bad. A media folder cannot be given here (it is a path on the server): "
          "use `pim import --media`. Uploads above PIM_API_MAX_UPLOAD_BYTES (256 MiB by "
          "default) answer 413."))
def start_import_route(request: Request, data: MultipartBody[ImportUpload],
                       session: WriteSession) -> Response[JobRecord]:
    path = _store_upload(data.file, SPREADSHEET_SUFFIXES)
    try:
        profile = _store_profile(data.profile, path.parent) if data.profile else None
    except Invalid:
        shutil.rmtree(path.parent, ignore_errors=True)
        raise
    payload = {"path": str(path), "profile": profile, "media_root": None,
               "dry_run": data.dry_run, "on_error": data.on_error, "format": data.format}
    return _accepted(session, _enqueue_or_clean(session, "import", payload, request.user,
                                                path.parent))


@post("/jobs/catalog-imports", opt={"roles": WRITE_CONTENT, "body": "upload"},
      sync_to_thread=True, status_code=202, request_max_body_size=None, responses=problems(422) | TOO_LARGE,
      tags=["jobs"], summary="Import a whole Akeneo export (a zip of its CSV files)",
      description=(
          "Structure, product models and products, as `pim import-catalog` reads a folder. "
          "Media files referenced by the export are read from the archive. "
          "Uploads above PIM_API_MAX_UPLOAD_BYTES (256 MiB by default) answer 413."))
def start_catalog_import_route(request: Request, data: MultipartBody[CatalogImportUpload],
                               session: WriteSession) -> Response[JobRecord]:
    archive = _store_upload(data.file, (".zip",))
    try:
        directory = _extract_catalog(archive)
    except Invalid:
        shutil.rmtree(archive.parent, ignore_errors=True)
        raise
    archive.unlink()
    payload = {"directory": str(directory), "media_root": None, "dry_run": data.dry_run}
    return _accepted(session, _enqueue_or_clean(session, "import_catalog", payload,
                                                request.user, archive.parent))


@post("/jobs/exports", opt={"roles": WRITE_CONTENT}, sync_to_thread=True, status_code=202,
      responses=problems(422), tags=["jobs"],
      summary="Export a channel's published feed to a file in the background")
def start_export_route(request: Request, data: JSONBody[ExportIn],
                       session: WriteSession) -> Response[JobRecord]:
    errors: list[ErrorItem] = []
    if data.format not in exporters.FORMATS:
        errors.append({"field": "format", "message": f"unknown format {data.format!r} (known: "
                                                     f"{', '.join(sorted(exporters.FORMATS))})"})
    try:
        channel = get_channel(session, data.channel)
    except NotFound as error:
        errors.append({"field": "channel", "message": error.message})
    else:
        if data.locale is not None and data.locale not in channel.locales:
            errors.append({"field": "locale", "message": (
                f"channel {data.channel!r} has no locale {data.locale!r} "
                f"(it has {', '.join(channel.locales)})")})
    if errors:
        raise Invalid("; ".join(f"{e['field']}: {e['message']}" for e in errors),
                      errors=errors)
    since = data.since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    payload = {"channel": data.channel, "format": data.format, "locale": data.locale,
               "since": since.isoformat() if since else None}
    return _accepted(session, enqueue(EXPORT_KIND, payload, session=session,
                                      created_by=request.user.name))


# -- reading and cancelling -------------------------------------------------------------------

@get("/jobs", opt={"roles": READ}, sync_to_thread=True, responses=problems(422),
     tags=["jobs"], summary="List jobs, newest first")
def list_jobs_route(
    reader: ReadSession,
    kind: Annotated[str | None, QueryParameter(max_length=64,
                                               description="import, export, ...")] = None,
    status: Annotated[str | None, one_of(JOB_STATUSES, "Jobs in this status.")] = None,
    created_by: Annotated[str | None, QueryParameter(max_length=255,
                                                     description="Who started them.")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIST)] = 50,
) -> JobList:
    jobs = list_jobs(reader, status=status, kind=kind, created_by=created_by, limit=limit)
    return JobList(items=[_record(job) for job in jobs], limit=limit)


@get("/jobs/{job_id:str}", opt={"roles": READ}, sync_to_thread=True, responses=problems(404),
     tags=["jobs"], summary="A job: status, progress (done/total), errors, result summary")
def get_job_route(job_id: JobId, reader: ReadSession) -> JobRecord:
    return _record(_read_job(reader, job_id))


@post("/jobs/{job_id:str}/cancel", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
      status_code=200, responses=problems(404, 409), tags=["jobs"],
      summary="Cancel a job that has not finished (editors: only the jobs they started)",
      description=("A pending job never starts; a running one stops at its next progress "
                   "report. 409 when the job has already finished."))
def cancel_job_route(request: Request, job_id: JobId, session: WriteSession) -> JobRecord:
    actor: Actor = request.user
    job = _read_job(session, job_id)
    if actor.role != ADMIN and job.created_by != actor.name:
        raise Forbidden(f"{actor.name} ({actor.role}) may cancel only the jobs they started; "
                        "this one was started by " + (job.created_by or "the system"))
    return _record(cancel_job(session, job_id, cancelled_by=actor.name))


@get("/jobs/{job_id:str}/report", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404, 409), tags=["jobs"],
     summary="An import job's report: counts, and each error by row, column, value")
def import_report_route(job_id: JobId, reader: ReadSession) -> ImportReportOut:
    job = _read_job(reader, job_id)
    if job.kind not in IMPORT_KINDS:
        raise NotFound(f"job {job_id} is a {job.kind} job; only imports have a report")
    if job.status in ACTIVE:
        raise Conflict(f"job {job_id} is {job.status}; its report is written when it ends")
    path = _report_path(job_id)
    if not path.is_file():
        reason = (job.error or job.message or "").split("\n", 1)[0]
        raise NotFound(f"job {job_id} {job.status} without a report"
                       + (f": {reason}" if reason else ""))
    return ImportReportOut(job_id=job_id, **json.loads(path.read_text(encoding="utf-8")))


@get("/jobs/{job_id:str}/file", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
     responses=problems(404, 409), tags=["jobs"], operation_class=ExportFileOperation,
     summary="Download an export job's file (editors and admins: it is a whole feed)",
     description=("Streamed, with the format's content type (text/csv, application/xml, "
                  "...) and `Content-Disposition: attachment`. 409 while the job runs, "
                  "404 when it failed, was cancelled or is not an export."))
def export_file_route(job_id: JobId, reader: ReadSession) -> File:
    job = _read_job(reader, job_id)
    if job.kind != EXPORT_KIND:
        raise NotFound(f"job {job_id} is a {job.kind} job; only exports have a file")
    if job.status in ACTIVE:
        raise Conflict(f"job {job_id} is {job.status}; the file is there when it succeeds")
    found = _export_file(job)
    if found is None and job.status == "succeeded" and not job.result.get("path", True):
        raise NotFound(str(job.result.get("message") or f"job {job_id} wrote no file"))
    if found is None:
        raise NotFound(f"job {job_id} {job.status}; it has no file"
                       if job.status != "succeeded" else
                       f"the file of job {job_id} is no longer on the server")
    path, media_type = found
    # The media type verbatim (as a media_type, text/* would get a second charset).
    return File(path=path, filename=path.name, headers={"Content-Type": media_type},
                content_disposition_type="attachment")


ROUTES = [start_import_route, start_catalog_import_route, start_export_route, list_jobs_route,
          get_job_route, cancel_job_route, import_report_route, export_file_route]
