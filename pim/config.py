"""Settings: one typed object, each field one ``PIM_*`` environment variable, built once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIM_", extra="ignore")

    var_dir: Path = Field(DEFAULT_VAR, description="Where the embedded default keeps its files.")
    database_url: str = Field("", description="SQLAlchemy URL; default: SQLite under var/.")
    redis_url: str | None = Field(None, description="Set to run jobs on rq workers.")
    media_root: Path | None = Field(None, description="Default: var/media.")
    base_url: str = "http://127.0.0.1:8000"

    import_batch_size: int = 1000
    embedded_workers: int = Field(2, description="Threads running jobs in the embedded runner.")
    worker_threads: int = Field(
        0, ge=0, description="Threads running the server's request handlers at once; "
                             "0: min(32, CPUs + 4), asyncio's default (pim.api.threads).")
    job_retry_schedule: str = Field("10,60,300", description="Seconds between job retries.")

    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,86400"
    webhook_allow_hosts: str = ""
    webhook_timeout: float = 10.0
    webhook_max_payload_bytes: int = 256 * 1024
    webhook_disable_after: int = Field(
        5, description="Consecutive failed deliveries before a subscription is disabled."
    )
    media_max_bytes: int = Field(25 * 1024 * 1024, description="Largest media file stored.")
    media_max_pixels: int = Field(40_000_000, description="Largest image (width x height).")
    media_allow_hosts: str = Field(
        "", description="Hosts or CIDRs media downloads may reach despite the SSRF policy.")
    media_download_timeout: float = 30.0
    api_rate_limit: int = Field(600, description="Requests per minute per token.")
    api_max_body_bytes: int = Field(
        4 * 1024 * 1024, description="Largest JSON (or form) request body; 413 beyond.")
    api_max_bulk_bytes: int = Field(
        256 * 1024 * 1024, description="Largest NDJSON bulk upsert body; 413 beyond.")
    api_max_upload_bytes: int = Field(
        256 * 1024 * 1024, description="Largest upload (import file, media); 413 beyond.")
    xlsx_max_uncompressed_bytes: int = Field(
        512 * 1024 * 1024, description="A workbook declaring more, uncompressed, is refused.")

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{self.var_dir / 'pim.db'}"

    @property
    def media_dir(self) -> Path:
        return self.media_root or self.var_dir / "media"

    @staticmethod
    def schedule(text: str) -> list[float]:
        return [float(part) for part in text.split(",") if part.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
