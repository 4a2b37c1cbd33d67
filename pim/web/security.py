"""Who is signed in to the web UI, and the CSRF check of every unsafe request.

``WebSessionMiddleware`` (on the web router) reads the session cookie, resolves it in the
database (``pim.auth.web_sessions``: a disabled user or an ended session counts at once, in
every server process) and puts the ``Actor`` on ``request.user`` and the ``SignedIn`` on
``request.auth``. A page that is not public (``opt={"public": True}``: sign-in) answers a
visitor who is not signed in with a redirect to the sign-in page (htmx requests get 401 and
an ``HX-Redirect`` header, so the whole page moves, not a fragment).

CSRF: every POST, PUT, PATCH and DELETE must carry the session's token (synchronizer token
pattern) in the ``X-CSRF-Token`` header (htmx sends it: ``hx-headers`` on ``<body>``) or in
the ``_csrf_token`` form field (``{{ csrf_input }}`` in every form); otherwise 403, before
the handler runs. The sign-in form, before there is a session, is protected the same way by
a random token in a short-lived cookie of its own (double submit). Both are compared in
constant time. The cookie is also SameSite=Lax, which alone stops most cross-site posts; the
token covers the rest (same-site subdomains, older browsers).

Cookies: ``pim_session`` is HttpOnly, SameSite=Lax, Path=/, Secure when ``PIM_BASE_URL`` is
https; a new id at every sign-in (rotation: a fixed id planted before sign-in is useless).
"""

from __future__ import annotations

import hmac
import logging
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request
from litestar.concurrency import sync_to_thread
from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from pim.auth.web_sessions import IDLE, SignedIn, resolve_web_session, touch_web_session
from pim.config import get_settings
from pim.db import read_session, session_scope

log = logging.getLogger("pim.web.security")

SESSION_COOKIE = "pim_session"
SIGN_IN_CSRF_COOKIE = "pim_sign_in_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf_token"  # Litestar's name: ``csrf_input`` in templates writes it
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGN_IN_PATH = "/sign-in"


class SignInRequired(NotAuthorizedException):
    """A page that needs a signed-in user was asked for without one."""


def cookies_of(scope: Scope) -> dict[str, str]:
    for name, value in scope["headers"]:
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header: treated as no cookies
                return {}
            return {key: morsel.value for key, morsel in jar.items()}
    return {}


def header_of(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return value.decode("latin-1")
    return None


def secure_cookies() -> bool:
    return get_settings().base_url.lower().startswith("https://")


def session_cookie(raw: str) -> Cookie:
    return Cookie(key=SESSION_COOKIE, value=raw, path="/", httponly=True, samesite="lax",
                  secure=secure_cookies(), max_age=int(IDLE.total_seconds()))


def expired_session_cookie() -> Cookie:
    return Cookie(key=SESSION_COOKIE, value="", path="/", httponly=True, samesite="lax",
                  secure=secure_cookies(), max_age=0)


def sign_in_csrf_cookie(token: str, *, max_age: int = 3600) -> Cookie:
    return Cookie(key=SIGN_IN_CSRF_COOKIE, value=token, path=SIGN_IN_PATH, httponly=True,
                  samesite="strict", secure=secure_cookies(), max_age=max_age)


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


# Recording a session's use is a write: one background thread does it, off the request's
# path, at most once per TOUCH_EVERY per session (see pim.auth.web_sessions).
_touches = ThreadPoolExecutor(max_workers=1, thread_name_prefix="web-session-touch")
_touch_pending: set[str] = set()


def _touch(id_hash: str) -> None:
    try:
        with session_scope() as session:
            touch_web_session(session, id_hash)
    except Exception:
        log.warning("could not record the use of a web session", exc_info=True)
    finally:
        _touch_pending.discard(id_hash)


def touches_recorded() -> None:
    """Wait until the uses asked for so far are recorded (tests)."""
    _touches.submit(lambda: None).result()


def _resolve(raw: str) -> SignedIn | None:
    with read_session() as session:
        signed_in = resolve_web_session(session, raw)
    if signed_in is not None and signed_in.touch_due and signed_in.id_hash not in _touch_pending:
        _touch_pending.add(signed_in.id_hash)
        _touches.submit(_touch, signed_in.id_hash)
    return signed_in


def is_htmx(scope: Scope) -> bool:
    return header_of(scope, b"hx-request") == "true"


def sign_in_location(scope: Scope) -> str:
    """The sign-in page, with the page asked for to come back to."""
    wanted = scope.get("path", "/")
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        wanted += "?" + query
    if is_htmx(scope):
        # A fragment's URL is no page to come back to: the page it was asked from is.
        current = header_of(scope, b"hx-current-url")
        wanted = local_path(current) if current else "/"
    return SIGN_IN_PATH if wanted == "/" else f"{SIGN_IN_PATH}?next={quote(wanted, safe='')}"


def local_path(url: str | None) -> str:
    """``url`` reduced to a path (and query) on this site, "/" when it is empty or not a
    plain path: where sign-in may send someone back to (never an open redirect)."""
    if not url:
        return "/"
    if "://" in url:  # an absolute URL (HX-Current-URL): its path on this site
        parts = urlsplit(url)
        url = parts.path + (f"?{parts.query}" if parts.query else "")
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    return url


async def check_csrf(scope: Scope, receive: Receive, expected: str | None) -> None:
    """403 unless the request carries ``expected`` in the header or the form field."""
    given = header_of(scope, CSRF_HEADER.encode())
    if given is None:
        content_type = header_of(scope, b"content-type") or ""
        if content_type.startswith(("application/x-www-form-urlencoded",
                                    "multipart/form-data")):
            # Litestar keeps the parsed form in the connection's state: the handler reads
            # the same form again without the body.
            form = await Request[Any, Any, Any](scope, receive).form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not tokens_match(expected, given):
        raise PermissionDeniedException(
            "this form has expired or did not come from this site (no valid CSRF token); "
            "reload the page and try again")


class WebSessionMiddleware(ASGIMiddleware):
    """Session cookie -> ``request.user`` (an ``Actor``) and ``request.auth`` (``SignedIn``),
    the sign-in requirement of non-public pages, and the CSRF check of unsafe methods."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send,
                     next_app: ASGIApp) -> None:
        cookies = cookies_of(scope)
        raw = cookies.get(SESSION_COOKIE)
        # On the handlers' threads (pim.api.threads): a page's work waits in one queue.
        signed_in = await sync_to_thread(_resolve, raw) if raw else None
        scope["user"] = signed_in.actor if signed_in else None
        scope["auth"] = signed_in
        public = scope["route_handler"].opt.get("public", False)
        if signed_in is not None:
            # Litestar's templates write this token as {{ csrf_input }}.
            ScopeState.from_scope(scope).csrf_token = signed_in.csrf_token
        elif not public:
            raise SignInRequired("sign in to see this page",
                                 headers={"Location": sign_in_location(scope)})
        if scope.get("method") in UNSAFE:
            expected = (signed_in.csrf_token if signed_in is not None
                        else cookies.get(SIGN_IN_CSRF_COOKIE))
            await check_csrf(scope, receive, expected)
        await next_app(scope, receive, send)
