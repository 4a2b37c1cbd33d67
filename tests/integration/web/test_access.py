"""Every page of the web UI needs a signed-in user but the sign-in page and the static
assets, and every unsafe request needs the session's CSRF token."""

from __future__ import annotations

from tests.integration.web.conftest import csrf_of

PUBLIC = {("GET", "/sign-in"), ("POST", "/sign-in"), ("GET", "/favicon.ico"),
          ("GET", "/static/{digest:str}/{name:str}")}
EXAMPLE = {"{digest:str}": "current", "{name:str}": "app.css", "{sku:str}": "EL-1",
           "{action:str}": "submit", "{sha256:str}": "0" * 64}


def web_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("web"):
                found.update((m, route.path) for m in handler.http_methods
                             if m not in ("HEAD", "OPTIONS"))
    return found


def concrete(path: str) -> str:
    for key, value in EXAMPLE.items():
        path = path.replace(key, value)
    return path


def test_every_page_but_sign_in_and_assets_asks_a_visitor_to_sign_in(web):
    routes = web_routes(web.app)
    assert ("GET", "/") in routes and ("GET", "/products") in routes
    wrong = []
    for method, path in sorted(routes - PUBLIC):
        response = web.request(method, concrete(path), follow_redirects=False)
        expected = 303 if method == "GET" else (303, 403)
        if response.status_code not in (expected if isinstance(expected, tuple) else (expected,)):
            wrong.append((method, path, response.status_code))
        elif response.status_code == 303:
            assert response.headers["location"].startswith("/sign-in")
    assert not wrong


def test_every_unsafe_request_without_the_csrf_token_is_refused(signed_in):
    web = signed_in("admin")
    token = csrf_of(web.get("/").text)
    unsafe = sorted(r for r in web_routes(web.app) if r[0] != "GET")
    assert unsafe
    for method, path in unsafe:
        response = web.request(method, concrete(path), data={"x": "1"}, follow_redirects=False)
        assert response.status_code == 403, (method, path)
        assert "CSRF" in response.text
    assert token  # the same requests with the token are each page's own tests
