"""Settings of the job runners, one ``PIM_JOB_*`` environment variable each.

The retry schedule (``PIM_JOB_RETRY_SCHEDULE``) lives with the shared settings in
:mod:`pim.config`; these are the knobs only the runners read.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class JobSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIM_JOB_", extra="ignore")

    modules: str = Field(
        "", description="Comma-separated extra modules defining jobs (plug-ins, tests).")
    heartbeat_interval: float = Field(
        10.0, description="Seconds between heartbeats of a running job.")
    stale_after: float = Field(
        60.0, description="A running job without a heartbeat for this long is lost.")
    poll_interval: float = Field(
        1.0, description="Seconds between the embedded scheduler's looks for due jobs.")
    maintenance_interval: float = Field(
        60.0, description="Seconds between recoveries of lost jobs by a running worker.")
    progress_write_interval: float = Field(
        0.5, description="At most one progress write per job in this many seconds.")
    result_ttl: int = Field(
        86400, description="Seconds rq keeps its own copy of a job's outcome (the row stays).")

    @property
    def extra_modules(self) -> list[str]:
        return [name.strip() for name in self.modules.split(",") if name.strip()]


@lru_cache
def get_job_settings() -> JobSettings:
    return JobSettings()


def reset_job_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_job_settings.cache_clear()
