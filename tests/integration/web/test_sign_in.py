"""Signing in and out of the web UI: sessions, cookies, CSRF, roles, disabled users."""

from __future__ import annotations

from litestar.testing import TestClient
from sqlalchemy import update

from pim.auth.access import set_user_active
from pim.auth.models import User
from pim.config import reset_settings
from pim.db import session_scope
from tests.integration.web.conftest import csrf_of, sign_in


def test_a_page_asks_a_visitor_to_sign_in_and_comes_back_after(web):
    response = web.get("/products?q=drill", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fproducts%3Fq%3Ddrill"

    signed = sign_in(web, "viewer@pim.test", next_path="/products?q=drill")
    assert signed.status_code == 303
    assert signed.headers["location"] == "/products?q=drill"


def test_an_htmx_request_without_a_session_moves_the_whole_page_to_sign_in(web):
    response = web.get("/", headers={"HX-Request": "true",
                                     "HX-Current-URL": "http://127.0.0.1:8000/products?q=a"},
                       follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/sign-in?next=%2Fproducts%3Fq%3Da"


def test_signing_in_sets_an_httponly_lax_session_cookie_and_shows_the_user(web):
    response = sign_in(web, "editor@pim.test")
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith("pim_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("SameSite=Lax", "SameSite=lax") and "Path=/" in cookie
    assert "Secure" not in cookie  # the base URL is http
    page = web.get("/")
    assert page.status_code == 200
    assert "editor@pim.test" in page.text


def test_the_session_cookie_is_secure_when_the_base_url_is_https(world, api_app, monkeypatch):
    monkeypatch.setenv("PIM_BASE_URL", "https://pim.example.com")
    reset_settings()
    with TestClient(api_app, base_url="https://pim.example.com") as web:
        response = sign_in(web, "editor@pim.test")
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith("pim_session="))
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(web):
    response = sign_in(web, "editor@pim.test", "not the password")
    assert response.status_code == 400
    assert "The e-mail or the password is wrong" in response.text
    assert 'value="editor@pim.test"' in response.text  # what was typed is kept
    assert "pim_session" not in web.cookies
    assert web.get("/", follow_redirects=False).status_code == 303


def test_signing_in_rotates_the_session_id(web):
    sign_in(web, "editor@pim.test")
    first = web.cookies["pim_session"]
    sign_in(web, "viewer@pim.test")
    second = web.cookies["pim_session"]
    assert first != second
    web.cookies.set("pim_session", first)
    assert web.get("/", follow_redirects=False).status_code == 303  # the old id is ended


def test_a_sign_in_post_without_its_csrf_token_is_refused(web):
    web.get("/sign-in")
    response = web.post("/sign-in", data={"email": "admin@pim.test", "password": "correct horse 1"},
                        follow_redirects=False)
    assert response.status_code == 403
    assert "pim_session" not in web.cookies


def test_a_post_without_the_sessions_csrf_token_is_refused_with_403(signed_in):
    web = signed_in("admin")
    forged = web.post("/sign-out", data={}, follow_redirects=False)
    assert forged.status_code == 403
    wrong = web.post("/sign-out", data={"_csrf_token": "guess"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert web.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_signing_out_ends_the_session(signed_in):
    web = signed_in("editor")
    raw = web.cookies["pim_session"]
    token = csrf_of(web.get("/").text)
    response = web.post("/sign-out", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    web.cookies.set("pim_session", raw)  # a copy kept by an attacker is worth nothing
    assert web.get("/", follow_redirects=False).status_code == 303


def test_a_disabled_user_loses_the_session_and_cannot_sign_in(signed_in):
    web = signed_in("editor")
    raw = web.cookies["pim_session"]
    with session_scope() as session:
        set_user_active(session, "editor@pim.test", False)
    assert web.get("/", follow_redirects=False).status_code == 303
    assert sign_in(web, "editor@pim.test").status_code == 400
    with session_scope() as session:
        set_user_active(session, "editor@pim.test", True)
    web.cookies.set("pim_session", raw)  # enabled again: the old session stays ended
    assert web.get("/", follow_redirects=False).status_code == 303


def test_a_session_follows_its_users_role(signed_in):
    web = signed_in("admin")
    assert "badge-role\">admin<" in web.get("/").text.replace(" ", "")
    with session_scope() as session:
        session.execute(update(User).where(User.email == "admin@pim.test").values(role="viewer"))
    assert "badge-role\">viewer<" in web.get("/").text.replace(" ", "")


def test_sign_in_never_redirects_to_another_site(web):
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        web.cookies.clear()
        response = sign_in(web, "viewer@pim.test", next_path=target)
        assert response.status_code == 303
        assert response.headers["location"] == "/", target


def test_health_and_assets_need_no_sign_in(web):
    assert web.get("/health").status_code == 200
    page = sign_in(web, "viewer@pim.test")
    assert page.status_code == 303
    html = web.get("/").text
    css = next(part.split('"')[0] for part in html.split('href="')[1:] if "app.css" in part)
    web.cookies.clear()
    response = web.get(css)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/css")
    outdated = web.get("/static/000000000000/app.css", follow_redirects=False)
    assert outdated.status_code == 308 and outdated.headers["location"] == css
