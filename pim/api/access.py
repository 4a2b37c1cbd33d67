"""Who am I, users and API tokens (admin only, except ``/me``)."""

from __future__ import annotations

from litestar import Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from pim.api.openapi import RowId, problems
from pim.api.schemas import (
    MeOut,
    RoleIn,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserCreated,
    UserIn,
    UserOut,
)
from pim.api.security import forget_token
from pim.api.sessions import ReadSession, WriteSession
from pim.auth.access import set_user_active, set_user_role
from pim.auth.actor import MANAGE, READ
from pim.auth.service import create_user, list_users, user_out
from pim.auth.tokens import create_token, list_tokens, parse_expiry, revoke_token, token_out
from pim.db import on_outer_commit


@get("/me", opt={"roles": READ}, responses=problems(), summary="The caller", tags=["access"])
async def me_route(request: Request) -> MeOut:
    actor = request.user
    return MeOut(name=actor.name, role=actor.role, user_id=actor.user_id)


@get("/users", opt={"roles": MANAGE}, sync_to_thread=True, responses=problems(),
     summary="List users", tags=["access"])
def list_users_route(reader: ReadSession) -> list[UserOut]:
    return [UserOut(**u) for u in list_users(reader)]


@post("/users", opt={"roles": MANAGE}, sync_to_thread=True, responses=problems(409, 422),
      summary="Create a user (a password is generated when none is given)", tags=["access"])
def create_user_route(data: JSONBody[UserIn], session: WriteSession) -> UserCreated:
    user, generated = create_user(session, data.email, role=data.role, password=data.password)
    return UserCreated(**user_out(user), password=generated)


@post("/users/{email:str}/disable", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=HTTP_200_OK, responses=problems(404, 409),
      summary="Disable a user (their tokens are refused from the next request on)",
      tags=["access"])
def disable_user_route(email: FromPath[str], session: WriteSession) -> UserOut:
    return UserOut(**user_out(set_user_active(session, email, False)))


@post("/users/{email:str}/enable", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=HTTP_200_OK, responses=problems(404), summary="Enable a user again",
      tags=["access"])
def enable_user_route(email: FromPath[str], session: WriteSession) -> UserOut:
    return UserOut(**user_out(set_user_active(session, email, True)))


@put("/users/{email:str}/role", opt={"roles": MANAGE}, sync_to_thread=True,
     responses=problems(404, 409, 422),
     summary="Change a user's role (their tokens never act beyond it)", tags=["access"])
def set_user_role_route(email: FromPath[str], data: JSONBody[RoleIn],
                        session: WriteSession) -> UserOut:
    return UserOut(**user_out(set_user_role(session, email, data.role)))


@get("/tokens", opt={"roles": MANAGE}, sync_to_thread=True, responses=problems(),
     summary="List API tokens (never their secret)", tags=["access"])
def list_tokens_route(reader: ReadSession, user: FromQuery[str | None] = None
                      ) -> list[TokenOut]:
    return [TokenOut(**t) for t in list_tokens(reader, user_email=user)]


@post("/tokens", opt={"roles": MANAGE}, sync_to_thread=True, responses=problems(404, 422),
      summary="Create an API token (shown once)", tags=["access"])
def create_token_route(data: JSONBody[TokenIn], session: WriteSession) -> TokenCreated:
    token, raw = create_token(session, data.user, role=data.role, name=data.name,
                              expires_at=parse_expiry(data.expires))
    return TokenCreated(**token_out(token, data.user.strip().lower()), token=raw)


@post("/tokens/{token_id:int}/revoke", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=HTTP_200_OK, responses=problems(404), summary="Revoke an API token",
      tags=["access"])
def revoke_token_route(token_id: RowId, session: WriteSession) -> TokenOut:
    token = revoke_token(session, token_id)
    email = next(t["user"] for t in list_tokens(session) if t["id"] == token_id)
    # Dropped from this process's token cache once committed: a request resolving the
    # token afresh then finds it revoked (before the commit it would cache it valid).
    on_outer_commit(session, lambda _: forget_token(token_id))
    return TokenOut(**token_out(token, email))


ROUTES = [me_route, list_users_route, create_user_route, disable_user_route,
          enable_user_route, set_user_role_route, list_tokens_route,
          create_token_route, revoke_token_route]
