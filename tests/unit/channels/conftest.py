from __future__ import annotations

import pytest

from channels import load_presets
from tests.unit.channels.catalog import demo_context

HUB_MEDIA = "https://hub.example/media"


@pytest.fixture(scope="session")
def presets():
    """The shipped channels as the hub runs them: their media served from the hub's own
    base URL (``pim.media.renditions.with_hub_media_base``)."""
    return {code: channel.model_copy(update={"media_base_url": HUB_MEDIA})
            for code, channel in load_presets().items()}


@pytest.fixture
def context():
    return demo_context()
