"""Fixtures shared by the integration tests: the demo catalog, and the API's world and client
(used by the API and media tests)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from pim.db import session_factory
from tests.integration.api.factories import build_world


@pytest.fixture
def catalog(demo_structure):
    """A session factory over a database holding the demo structure and channels."""
    return session_factory(demo_structure)


@pytest.fixture
def world(seeded):
    """The demo structure, three products and a user and token per role (kept once per
    session: hashing the passwords is most of its cost)."""
    return seeded("api-world", build_world)


@pytest.fixture(scope="session")
def api_app():
    """One application for the session: building its routes costs more than most tests.
    The app reads the database URL and the settings when a request comes, never when it is
    built, so each test's environment holds."""
    from pim.app import create_app

    return create_app(start_jobs=False)


@pytest.fixture
def client(world, api_app):
    from pim.api.feeds import feed_key_uses_recorded
    from pim.api.limits import reset_body_limits
    from pim.api.security import forget_all_tokens, reset_rate_limits, touches_recorded

    # What create_app resets: rate-limit buckets and cached tokens (every test's world has
    # the same tokens: none may come from an earlier test's cache).
    reset_rate_limits()
    reset_body_limits()
    forget_all_tokens()
    with TestClient(api_app) as test_client:
        yield test_client
    touches_recorded()  # no use of a token lands in the next test's database
    feed_key_uses_recorded()  # nor of a feed key
