"""The persisted job record every runner (rq or embedded) reads and writes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pim.db import Base, utcnow

JobStatus = Literal["queued", "scheduled", "running", "succeeded", "failed", "cancelled"]
JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    payload: Mapped[dict] = mapped_column(default=dict)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by: Mapped[str | None] = mapped_column(String(255))
    run_at: Mapped[datetime | None] = mapped_column(index=True)  # scheduled jobs
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    result: Mapped[dict] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # who runs the current attempt: "rq|embedded|inline:<host>:<pid>"; lets recovery on the
    # same host see at once that the process is gone, and keeps inline runs from being requeued
    runner: Mapped[str | None] = mapped_column(String(128))
    # a key that makes enqueueing idempotent (e.g. "release-publish:12")
    dedupe_key: Mapped[str | None] = mapped_column(String(255), unique=True)
