"""Settings of search, one ``PIM_MEILISEARCH_*`` environment variable each. Unset URL: the
SQL backend (SQLite FTS5 or PostgreSQL tsvector, in the hub's own database)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SearchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIM_MEILISEARCH_", extra="ignore")

    url: str | None = Field(None, description="Meilisearch server; unset: SQL search.")
    key: str | None = Field(None, description="Meilisearch API key (a key with the "
                            "documents, indexes, settings, tasks and search actions).")
    index: str = Field("products", description="The index name (uid) products live in.")
    timeout: float = Field(10.0, description="Seconds per HTTP request to Meilisearch.")
    task_timeout: float = Field(
        120.0, description="Seconds to wait for an indexing task before failing the job.")
    batch_size: int = Field(1000, description="Documents sent per request.")
    synonyms: str | None = Field(
        None, description='A JSON file of synonyms: {"tv": ["television"], ...}.')


@lru_cache
def get_search_settings() -> SearchSettings:
    return SearchSettings()


def reset_search_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_search_settings.cache_clear()
