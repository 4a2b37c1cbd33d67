"""Connector records: registering a connector, one pull at a time, the watermark moving
only with a pull recorded as succeeded, and what the CLI and API read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from importers.erp import RestConnector, TrytonConnector
from pim.db import utcnow
from pim.erp.models import ErpConnector, ErpProductLink
from pim.erp.schemas import ErpConnectorOut
from pim.errors import Conflict, NotFound
from pim.jobs.models import Job

PULL_KIND = "erp.pull"


def begin_pull(session: Session, config: TrytonConnector | RestConnector,
               job_id: str | None) -> datetime | None:
    """Register ``config`` (or bring its record up to date) and mark a pull of it under
    way; returns its watermark. Refuses (Conflict) while another job pulls it."""
    name = config.connector_name
    row = session.get(ErpConnector, name, with_for_update=True)
    now = utcnow()
    if row is None:
        row = ErpConnector(name=name, created_at=now, last_pull={})
        session.add(row)
    elif row.running_job and row.running_job != job_id and _is_running(session, row.running_job):
        raise Conflict(f"a pull of {name} is already running (job {row.running_job})")
    row.kind = config.connector
    row.url = config.url
    row.file = config.path
    row.schedule_seconds = int(config.schedule.total_seconds()) if config.schedule else None
    row.running_job = job_id
    row.updated_at = now
    return row.watermark


def _is_running(session: Session, job_id: str) -> bool:
    return session.scalar(select(Job.status).where(Job.id == job_id)) == "running"


def finish_pull(session: Session, name: str, summary: dict[str, Any],
                watermark: datetime | None, job_id: str | None) -> None:
    """Record a pull as succeeded and move the watermark, in one transaction."""
    row = session.get(ErpConnector, name, with_for_update=True)
    assert row is not None
    now = utcnow()
    row.watermark = watermark
    row.last_pull, row.last_pull_status, row.last_pull_job = summary, "succeeded", job_id
    row.last_pull_at = row.last_success_at = now
    row.error = None
    if row.running_job == job_id:
        row.running_job = None
    row.updated_at = now


def fail_pull(session: Session, name: str, summary: dict[str, Any], error: str,
              job_id: str | None) -> None:
    """Record a pull as failed; the watermark stays where it was."""
    row = session.get(ErpConnector, name, with_for_update=True)
    if row is None:
        return
    now = utcnow()
    row.last_pull, row.last_pull_status, row.last_pull_job = summary, "failed", job_id
    row.last_pull_at = now
    row.error = error
    if row.running_job == job_id:
        row.running_job = None
    row.updated_at = now


def list_connectors(session: Session) -> list[ErpConnectorOut]:
    """Every connector with its watermark, last pull and next scheduled pull."""
    rows = list(session.scalars(select(ErpConnector).order_by(ErpConnector.name)))
    counts = dict(session.execute(
        select(ErpProductLink.connector, func.count())
        .where(ErpProductLink.deleted_at.is_(None))
        .group_by(ErpProductLink.connector)).all())
    upcoming = next_pulls(session)
    return [ErpConnectorOut.from_row(row, products=counts.get(row.name, 0),
                                     next_pull_at=upcoming.get(row.name)) for row in rows]


def get_connector(session: Session, name: str) -> ErpConnectorOut:
    for connector in list_connectors(session):
        if connector.name == name:
            return connector
    raise NotFound(f"no ERP connector {name!r} (a connector is registered by its first pull)")


def next_pulls(session: Session) -> dict[str, datetime]:
    """The next scheduled pull of each connector (the earliest pending job)."""
    upcoming: dict[str, datetime] = {}
    for payload, run_at in session.execute(
            select(Job.payload, Job.run_at).where(Job.kind == PULL_KIND,
                                                  Job.status.in_(("scheduled", "queued")))):
        name = (payload or {}).get("connector")
        when = run_at or utcnow()
        if name and (name not in upcoming or when < upcoming[name]):
            upcoming[name] = when
    return upcoming


def erp_sources_of(session: Session, sku: str) -> list[dict[str, Any]]:
    """The ERP connectors that write ``sku``: name, kind, the ERP's key for it, when a pull
    last saw it and when the connector last pulled (what a person reading an ERP-owned
    value needs to know where it comes from)."""
    rows = session.execute(
        select(ErpProductLink.connector, ErpProductLink.erp_key, ErpProductLink.seen_at,
               ErpProductLink.deleted_at, ErpConnector.kind, ErpConnector.last_success_at)
        .join(ErpConnector, ErpConnector.name == ErpProductLink.connector)
        .where(ErpProductLink.sku == sku).order_by(ErpProductLink.connector))
    return [{"connector": name, "erp_key": key, "seen_at": seen, "deleted_at": deleted,
             "kind": kind, "last_pull_at": pulled}
            for name, key, seen, deleted, kind, pulled in rows]
