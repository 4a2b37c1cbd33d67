"""Fixtures of the web UI's tests over Litestar's TestClient (the browser tests, which drive
Chromium against a live server, are in tests/browser)."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

PASSWORD = "correct horse 1"  # tests.integration.api.factories.build_world's


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (its forms' hidden field)."""
    match = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, *, next_path: str = "/"):
    form = client.get("/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password,
                                         "next": next_path, "_csrf_token": csrf_of(form.text)},
                       follow_redirects=False)


@pytest.fixture
def web(world, api_app):
    """A browser-like client (it keeps cookies) over the world's catalog and users
    (``<role>@pim.test``, password ``PASSWORD``), signed in as nobody."""
    from pim.web.security import touches_recorded

    with TestClient(api_app, base_url="http://127.0.0.1:8000") as client:
        yield client
    touches_recorded()


@pytest.fixture
def signed_in(web):
    """``signed_in(role)``: the client, signed in as that role's user."""
    def as_role(role: str) -> TestClient:
        response = sign_in(web, f"{role}@pim.test")
        assert response.status_code == 303, response.text
        return web
    return as_role


@pytest.fixture
def grid_world(seeded):
    """The grid's catalog (``grid_world.build_grid_world``), built once per session and
    restored for each test that asks for it. A module whose tests sign in there makes it
    its ``world`` (the web fixtures' users live in it)."""
    from tests.integration.web.grid_world import build_grid_world

    return seeded("grid-world", build_grid_world)
