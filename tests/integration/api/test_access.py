"""Who may call what: the authorization matrix over every route, tokens, rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar.testing import TestClient

from pim.db import utcnow
from tests.integration.api import (
    matrix_erp,
    matrix_jobs,
    matrix_media,
    matrix_webhooks,
    matrix_workflow,
)
from tests.integration.api.factories import add_token

A, E, R, V = "admin", "editor", "reviewer", "viewer"
ALL = {A, E, R, V}
CONTENT = {A, E}
PUBLIC, FEED = "public", "feed"  # no token needed / feed key only (API tokens refused)

# (method, route path) -> roles admitted. A route missing here fails the coverage test.
MATRIX: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/feeds/{channel:str}/{format:str}"): FEED,
    ("GET", "/api/v1/me"): ALL,
    ("GET", "/api/v1/products"): ALL,
    ("GET", "/api/v1/search"): ALL,
    ("POST", "/api/v1/products"): CONTENT,
    ("PATCH", "/api/v1/products"): CONTENT,
    ("GET", "/api/v1/products/{sku:str}"): ALL,
    ("PATCH", "/api/v1/products/{sku:str}"): CONTENT,
    ("POST", "/api/v1/products/{sku:str}/disable"): CONTENT,
    ("GET", "/api/v1/products/{sku:str}/associations"): ALL,
    ("PUT", "/api/v1/products/{sku:str}/associations"): CONTENT,
    ("GET", "/api/v1/products/{sku:str}/history"): ALL,
    ("POST", "/api/v1/products/{sku:str}/restore"): CONTENT,
    ("GET", "/api/v1/product-models"): ALL,
    ("GET", "/api/v1/product-models/{code:str}"): ALL,
    ("PUT", "/api/v1/product-models/{code:str}"): CONTENT,
    ("GET", "/api/v1/attributes"): ALL,
    ("GET", "/api/v1/attributes/{code:str}"): ALL,
    ("PUT", "/api/v1/attributes/{code:str}"): {A},
    ("DELETE", "/api/v1/attributes/{code:str}"): {A},
    ("GET", "/api/v1/attributes/{attribute:str}/options"): ALL,
    ("PUT", "/api/v1/attributes/{attribute:str}/options/{code:str}"): {A},
    ("DELETE", "/api/v1/attributes/{attribute:str}/options/{code:str}"): {A},
    ("GET", "/api/v1/families"): ALL,
    ("GET", "/api/v1/families/{code:str}"): ALL,
    ("PUT", "/api/v1/families/{code:str}"): {A},
    ("DELETE", "/api/v1/families/{code:str}"): {A},
    ("GET", "/api/v1/family-variants"): ALL,
    ("GET", "/api/v1/family-variants/{code:str}"): ALL,
    ("PUT", "/api/v1/family-variants/{code:str}"): {A},
    ("DELETE", "/api/v1/family-variants/{code:str}"): {A},
    ("GET", "/api/v1/categories"): ALL,
    ("GET", "/api/v1/categories/{code:str}"): ALL,
    ("PUT", "/api/v1/categories/{code:str}"): {A},
    ("DELETE", "/api/v1/categories/{code:str}"): {A},
    ("GET", "/api/v1/channels"): ALL,
    ("GET", "/api/v1/channels/{code:str}"): ALL,
    ("PUT", "/api/v1/channels/{code:str}"): {A},
    ("GET", "/api/v1/users"): {A},
    ("POST", "/api/v1/users"): {A},
    ("POST", "/api/v1/users/{email:str}/disable"): {A},
    ("POST", "/api/v1/users/{email:str}/enable"): {A},
    ("PUT", "/api/v1/users/{email:str}/role"): {A},
    ("GET", "/api/v1/tokens"): {A},
    ("POST", "/api/v1/tokens"): {A},
    ("POST", "/api/v1/tokens/{token_id:int}/revoke"): {A},
    ("GET", "/api/v1/feed-keys"): {A},
    ("POST", "/api/v1/feed-keys"): {A},
    ("POST", "/api/v1/feed-keys/{key_id:int}/revoke"): {A},
}

# Concrete values that never change data: unknown codes, ids and SKUs, empty bodies.
PARAMS = {"{sku:str}": "NO-SUCH-SKU", "{code:str}": "no_such_code", "{attribute:str}": "colour",
          "{token_id:int}": "999999", "{key_id:int}": "999999", "{channel:str}": "webshop-uk",
          "{format:str}": "ndjson", "{email:str}": "nobody@pim.test"}

for _part in (matrix_jobs, matrix_workflow, matrix_webhooks, matrix_media, matrix_erp):
    MATRIX.update(_part.ROWS)
    PARAMS.update(_part.PARAMS)


def app_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if route.path.startswith("/schema"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("web"):
                continue  # the web UI's pages: tests/integration/web/test_access.py
            for method in handler.http_methods:
                if method not in ("HEAD", "OPTIONS"):
                    found.add((method, route.path))
    return found


def call(client, method: str, path: str, headers: dict[str, str]):
    for key, value in PARAMS.items():
        path = path.replace(key, value)
    if method in ("POST", "PUT", "PATCH"):
        return client.request(method, path, json={}, headers=headers)
    return client.request(method, path, headers=headers)


def test_the_matrix_covers_every_route(client):
    missing = app_routes(client.app) - set(MATRIX)
    stale = set(MATRIX) - app_routes(client.app)
    assert not missing, f"routes without an authorization row: {sorted(missing)}"
    assert not stale, f"rows for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("role", [A, E, R, V, None])
def test_every_route_admits_exactly_its_roles(client, world, role):
    headers = world.auth(role) if role else {}
    wrong = []
    for (method, path), allowed in sorted(MATRIX.items()):
        status = call(client, method, path, headers).status_code
        if allowed == PUBLIC:
            ok = status not in (401, 403)
        elif allowed == FEED:
            ok = status == 401  # API tokens never open feeds
        elif role is None:
            ok = status == 401
        elif role in allowed:
            ok = status not in (401, 403) and status < 500
        else:
            ok = status == 403
        if not ok:
            wrong.append((method, path, role, status))
    assert not wrong


def test_an_expired_token_is_refused(client, world):
    _, raw = add_token("editor@pim.test", "viewer",
                       expires_at=utcnow() + timedelta(seconds=1))
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    from pim.api import security

    cached = security._token_cache[security.hash_token(raw)]
    security._token_cache[security.hash_token(raw)] = security._Cached(
        type(cached.auth)(cached.auth.actor, cached.auth.token_id, utcnow() - timedelta(1)),
        cached.at, cached.generation)
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused_at_once(client, world):
    token_id, raw = add_token("editor@pim.test", "editor")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/me", headers=headers).json()["role"] == "editor"
    revoked = client.post(f"/api/v1/tokens/{token_id}/revoke", headers=world.auth(A))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_disabled_users_tokens_are_refused_at_once_and_back_when_enabled(client, world):
    headers = world.auth(E)
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # cached now
    disabled = client.post("/api/v1/users/editor@pim.test/disable", headers=world.auth(A))
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    enabled = client.post("/api/v1/users/editor@pim.test/enable", headers=world.auth(A))
    assert enabled.status_code == 200 and enabled.json()["active"] is True
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_a_user_disabled_by_another_process_is_refused_at_the_next_request(client, world):
    """The CLI runs in its own process: the server's token cache still holds the token,
    and the access generation tells it to look again."""
    from click.testing import CliRunner

    from pim.cli import main

    headers = world.auth(V)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    result = CliRunner().invoke(main, ["user", "disable", "viewer@pim.test"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_demoted_users_tokens_lose_the_role_at_once(client, world):
    from pim.auth.service import create_user
    from pim.db import session_scope

    with session_scope() as session:
        create_user(session, "second@pim.test", role="admin", password="correct horse 2")
    _, raw = add_token("second@pim.test", "admin")
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    demoted = client.put("/api/v1/users/second@pim.test/role", json={"role": "editor"},
                         headers=world.auth(A))
    assert demoted.status_code == 200 and demoted.json()["role"] == "editor"
    # an admin token of a user who is an editor now: refused, not merely demoted
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_the_last_active_admin_cannot_be_disabled_or_demoted(client, world):
    from pim.auth.service import create_user
    from pim.db import session_scope

    refused = client.post("/api/v1/users/admin@pim.test/disable", headers=world.auth(A))
    assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == "email"
    assert client.put("/api/v1/users/admin@pim.test/role", json={"role": "viewer"},
                      headers=world.auth(A)).status_code == 409
    with session_scope() as session:
        create_user(session, "second@pim.test", role="admin", password="correct horse 2")
    assert client.post("/api/v1/users/admin@pim.test/disable",
                       headers=world.auth(A)).status_code == 200


def test_user_commands_disable_enable_and_set_role(world):
    from click.testing import CliRunner

    from pim.auth.access import user_is_active
    from pim.auth.service import get_user
    from pim.cli import main
    from pim.db import session_scope

    runner = CliRunner()
    assert runner.invoke(main, ["user", "disable", "editor@pim.test"]).exit_code == 0
    with session_scope() as session:
        assert not user_is_active(session, get_user(session, "editor@pim.test").id)
    assert runner.invoke(main, ["user", "enable", "editor@pim.test"]).exit_code == 0
    changed = runner.invoke(main, ["user", "set-role", "editor@pim.test", "viewer"])
    assert changed.exit_code == 0 and "now viewer" in changed.output
    with session_scope() as session:
        user = get_user(session, "editor@pim.test")
        assert user.active and user.role == "viewer"
    missing = runner.invoke(main, ["user", "disable", "nobody@pim.test"])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_a_token_cannot_exceed_its_users_role(client, world):
    response = client.post("/api/v1/tokens", json={"user": "editor@pim.test", "role": "admin"},
                           headers=world.auth(A))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_the_rate_limit_answers_429_with_retry_after(world, monkeypatch):
    from pim.app import create_app
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_API_RATE_LIMIT", "5")
    reset_settings()
    with TestClient(create_app(start_jobs=False)) as limited:
        statuses = [limited.get("/api/v1/me", headers=world.auth(V)).status_code
                    for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        refused = limited.get("/api/v1/me", headers=world.auth(V))
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["status"] == 429
        # buckets are per token: another token is unaffected
        assert limited.get("/api/v1/me", headers=world.auth(E)).status_code == 200


def test_health_needs_no_token(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok",
                                                           "search": "ok"}


def test_options_needs_a_token_and_then_lists_the_methods(client, world):
    anonymous = client.options("/api/v1/products")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")

    signed_in = client.options("/api/v1/products", headers=world.auth("viewer"))
    assert signed_in.status_code == 204
    assert "GET" in signed_in.headers["allow"]


def test_a_wrong_token_is_401_problem(client):
    response = client.get("/api/v1/products", headers={"Authorization": "Bearer pim_nope"})
    assert response.status_code == 401
    assert response.json()["title"] == "Authentication required"


def test_a_request_does_not_wait_for_its_tokens_use_to_be_recorded(client, world):
    """Recording last_used_at is a write; while something else holds the lock it needs (an
    import's batch on SQLite), requests still answer, and the use is recorded after."""
    from sqlalchemy import text

    from pim.api.security import touches_recorded
    from pim.db import get_engine

    token_id, raw = add_token("editor@pim.test", "viewer")
    engine = get_engine()
    with engine.connect() as blocker:
        blocker.begin()  # on SQLite, BEGIN IMMEDIATE: the database's write lock
        if engine.dialect.name != "sqlite":
            blocker.execute(text("SELECT id FROM api_tokens WHERE id = :id FOR UPDATE"),
                            {"id": token_id})
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code == 200
        blocker.rollback()
    touches_recorded()
    with engine.connect() as connection:
        used = connection.execute(text("SELECT last_used_at FROM api_tokens WHERE id = :id"),
                                  {"id": token_id}).scalar()
    assert used is not None
