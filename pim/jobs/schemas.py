"""What the jobs slice hands out: API, UI and CLI read jobs as ``JobOut``, never rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from pim.jobs.models import JobStatus


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    status: JobStatus
    payload: dict[str, Any]
    progress_done: int
    progress_total: int | None
    message: str
    created_at: datetime
    created_by: str | None
    run_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    attempts: int
    max_attempts: int
    result: dict[str, Any]
    error: str | None
    dedupe_key: str | None
    runner: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def progress_percent(self) -> float | None:
        if not self.progress_total:
            return None
        return round(100.0 * min(self.progress_done, self.progress_total) / self.progress_total, 1)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 3)
