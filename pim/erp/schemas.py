"""What the erp slice hands out: connectors as the CLI, API and UI show them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from importers.erp.config import format_duration


class ErpConnectorOut(BaseModel):
    """A connector: where it pulls from, its watermark, its last pull and the next one."""

    name: str
    kind: str = Field(description="tryton or rest")
    url: str = Field(description="the ERP's address (never credentials)")
    file: str | None = Field(description="the connector file scheduled pulls read")
    schedule: str | None = Field(description='e.g. "every 15m"; null: pulled by hand only')
    watermark: datetime | None = Field(
        description="the next incremental pull reads changes since this moment")
    products: int = Field(description="ERP products linked to hub products")
    last_pull_at: datetime | None
    last_pull_status: str | None = Field(description="succeeded or failed")
    last_pull_job: str | None
    last_success_at: datetime | None
    running_job: str | None
    error: str | None = Field(description="why the last pull failed")
    next_pull_at: datetime | None
    last_pull: dict[str, Any] = Field(
        description="when, read/created/updated/unchanged/disabled/refused counts, the "
                    "refusals with their reasons, notes")

    @classmethod
    def from_row(cls, row, *, products: int, next_pull_at: datetime | None) -> ErpConnectorOut:
        schedule = (f"every {format_duration(timedelta(seconds=row.schedule_seconds))}"
                    if row.schedule_seconds else None)
        return cls(name=row.name, kind=row.kind, url=row.url, file=row.file, schedule=schedule,
                   watermark=row.watermark, products=products, last_pull_at=row.last_pull_at,
                   last_pull_status=row.last_pull_status, last_pull_job=row.last_pull_job,
                   last_success_at=row.last_success_at, running_job=row.running_job,
                   error=row.error, next_pull_at=next_pull_at, last_pull=row.last_pull or {})
