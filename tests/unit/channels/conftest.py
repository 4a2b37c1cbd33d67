from __future__ import annotations

import pytest

from channels import load_presets
from tests.unit.channels.catalog import demo_context


@pytest.fixture(scope="session")
def presets():
    return load_presets()


@pytest.fixture
def context():
    return demo_context()
