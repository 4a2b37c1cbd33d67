"""Settings of the webhook sender, one ``PIM_WEBHOOK_*`` environment variable each.

The retry schedule, the timeout, the allowlist and the auto-disable count live with the
shared settings in :mod:`pim.config`; these are the knobs only the sender reads.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pim.config import Settings, get_settings


class WebhookSendSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIM_WEBHOOK_", extra="ignore")

    concurrency: int = Field(
        4, ge=1, le=64,
        description="Requests in flight at once per subscription (its keep-alive pool).")
    batch_size: int = Field(
        100, ge=1, le=10_000,
        description="Due deliveries of one subscription a send job claims at once.")
    batch_seconds: float = Field(
        5.0, gt=0,
        description="How long a batch may go on starting requests; the deliveries it has "
                    "not started by then go back to the queue unsent.")
    circuit_threshold: int = Field(
        5, ge=1,
        description="Consecutive retryable failures (network, 5xx, 408, 429) after which a "
                    "subscription's circuit opens and its sending pauses.")
    circuit_max_seconds: float = Field(
        300.0, gt=0,
        description="Longest pause of an open circuit (it doubles from 1 s per failed probe).")


_cached: tuple[Settings, WebhookSendSettings] | None = None


def get_send_settings() -> WebhookSendSettings:
    """Built once, and again whenever the shared settings are (``reset_settings``), so
    whatever resets those resets these too."""
    global _cached
    shared = get_settings()
    cached = _cached
    if cached is None or cached[0] is not shared:
        cached = _cached = (shared, WebhookSendSettings())
    return cached[1]
