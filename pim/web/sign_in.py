"""Signing in and out of the web UI (e-mail and password; ``pim.auth``)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from pim.auth.service import authenticate_password
from pim.auth.web_sessions import end_web_session, start_web_session
from pim.web.pages import page
from pim.web.security import (
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    expired_session_cookie,
    local_path,
    session_cookie,
    sign_in_csrf_cookie,
)
from pim.web.sessions import WriteSession

WRONG = "The e-mail or the password is wrong, or the account is disabled."


def _form(request: Request, *, next_path: str, email: str = "", error: str = "",
          token: str | None = None, status: int = 200) -> Template:
    # The sign-in form's CSRF token: the one its cookie holds, or a new one (double submit).
    token = token or request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(request, "sign_in.html", status=status, title="Sign in", next=next_path,
                    email=email, error=error, sign_in_token=token)
    response.cookies.append(sign_in_csrf_cookie(token))
    return response


@get("/sign-in", opt={"public": True}, include_in_schema=False)
async def sign_in_page(request: Request, next: FromQuery[str | None] = None) -> Response:
    next_path = local_path(next)
    if request.scope.get("user") is not None:
        return Redirect(next_path, status_code=303)
    return _form(request, next_path=next_path, token=secrets.token_urlsafe(32))


@post("/sign-in", opt={"public": True}, include_in_schema=False, sync_to_thread=True)
def sign_in(request: Request, data: URLEncodedBody[dict[str, Any]],
            session: WriteSession) -> Response:
    email = str(data.get("email") or "").strip()
    password = str(data.get("password") or "")
    next_path = local_path(str(data.get("next") or "/"))
    actor = authenticate_password(session, email, password) if email and password else None
    if actor is None:
        return _form(request, next_path=next_path, email=email, error=WRONG, status=400)
    # Rotation: whatever session id the browser held before is ended, a new one is issued.
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        end_web_session(session, previous)
    raw, _csrf = start_web_session(session, actor)
    response = Redirect(next_path, status_code=303)
    response.cookies.append(session_cookie(raw))
    response.cookies.append(sign_in_csrf_cookie("", max_age=0))  # spent
    return response


@post("/sign-out", include_in_schema=False, sync_to_thread=True)
def sign_out(request: Request, session: WriteSession) -> Response:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        end_web_session(session, raw)
    response = Redirect("/sign-in", status_code=303)
    response.cookies.append(expired_session_cookie())
    return response


ROUTES = [sign_in_page, sign_in, sign_out]
