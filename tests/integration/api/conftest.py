from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.integration.api.factories import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def client(world):
    from pim.app import create_app

    with TestClient(create_app(start_jobs=False)) as test_client:
        yield test_client
