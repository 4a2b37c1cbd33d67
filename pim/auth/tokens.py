"""Personal API tokens.

A token is ``pim_`` + 43 random URL-safe characters (256 bits). Only its sha256 is stored:
the token is high-entropy, so a fast hash is enough and a lookup is one indexed query. It is
shown once, at creation. A token carries a role that never exceeds its user's role (checked
at creation and again at every use, so demoting a user demotes their tokens), may expire, and
is revoked by setting ``revoked_at`` (never deleted: the audit trail keeps its name).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pim.auth.access import may_act, revoke_access
from pim.auth.actor import ROLES, Actor, role_covers
from pim.auth.models import ApiToken, User
from pim.db import utcnow
from pim.errors import Forbidden, Invalid, NotFound

TOKEN_PREFIX = "pim_"
# last_used_at is written at most this often per token (a write per request would serialise
# every reader behind SQLite's write lock).
LAST_USED_RESOLUTION = timedelta(minutes=1)
_DURATION = re.compile(r"^(\d+)\s*([dhwm])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1),
          "m": timedelta(days=30)}


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_expiry(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """``30d``, ``12h``, ``2w``, ``6m`` (30-day months) or an ISO date/datetime; None: never."""
    if text is None or not text.strip():
        return None
    now = now or utcnow()
    match = _DURATION.match(text.strip().lower())
    if match:
        return now + int(match.group(1)) * _UNITS[match.group(2)]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"expiry {text!r}: use 30d, 12h, 2w, 6m or an ISO date",
                      errors=[{"field": "expires", "message": "not a duration or date"}]) from None
    if len(text.strip()) == 10:  # a date: valid through the end of that day (UTC)
        moment = datetime.combine(date.fromisoformat(text.strip()), datetime.max.time())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment <= now:
        raise Invalid(f"expiry {text!r} is in the past",
                      errors=[{"field": "expires", "message": "in the past"}])
    return moment


@dataclass(frozen=True, slots=True)
class Authenticated:
    """What a valid token resolves to."""

    actor: Actor
    token_id: int
    expires_at: datetime | None
    last_used_at: datetime | None = None


def create_token(
    session: Session, user_email: str, *, role: str, name: str = "",
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for a user; returns the row and the raw token (shown once)."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; one of {', '.join(ROLES)}",
                      errors=[{"field": "role", "message": "unknown role"}])
    user = session.scalar(select(User).where(User.email == user_email.strip().lower()))
    if user is None:
        raise NotFound(f"user {user_email} does not exist")
    if not may_act(user.active):
        raise Invalid(f"user {user.email} is not active")
    if not role_covers(user.role, role):
        raise Forbidden(f"a {role} token exceeds the role of {user.email} ({user.role})")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=raw[:12], token_hash=hash_token(raw),
                     role=role, expires_at=expires_at)
    session.add(token)
    session.flush()
    return token, raw


def revoke_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} does not exist")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        revoke_access(session, token.user_id)  # every process's token cache, at once
    return token


def list_tokens(session: Session, *, user_email: str | None = None) -> list[dict[str, Any]]:
    query = (select(ApiToken, User.email).join(User, User.id == ApiToken.user_id)
             .order_by(ApiToken.id))
    if user_email:
        query = query.where(User.email == user_email.strip().lower())
    return [token_out(token, email) for token, email in session.execute(query)]


def token_out(token: ApiToken, user_email: str) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "user": user_email,
            "role": token.role, "created_at": token.created_at, "expires_at": token.expires_at,
            "revoked_at": token.revoked_at, "last_used_at": token.last_used_at}


def authenticate_token(session: Session, raw: str, *, now: datetime | None = None
                       ) -> Authenticated | None:
    """The actor behind a raw bearer token, or None (unknown, revoked, expired, demoted)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    row = session.execute(
        select(ApiToken.id, ApiToken.role, ApiToken.expires_at, ApiToken.revoked_at,
               ApiToken.last_used_at, User.id, User.email, User.role, User.active)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(raw))
    ).first()
    if row is None:
        return None
    token_id, role, expires_at, revoked_at, last_used, user_id, email, user_role, active = row
    if revoked_at is not None or not may_act(active) or (expires_at is not None and expires_at <= now):
        return None
    if not role_covers(user_role, role):
        return None
    return Authenticated(Actor(name=email, role=role, user_id=user_id, token_id=token_id),
                         token_id, expires_at, last_used)


def touch_due(auth: Authenticated, *, now: datetime | None = None) -> bool:
    """Whether the token's last use is stale enough to record again (see touch_token)."""
    last = auth.last_used_at
    return last is None or last < (now or utcnow()) - LAST_USED_RESOLUTION


def touch_token(session: Session, token_id: int, *, now: datetime | None = None) -> None:
    """Record use, at most once per LAST_USED_RESOLUTION."""
    now = now or utcnow()
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where((ApiToken.last_used_at.is_(None))
               | (ApiToken.last_used_at < now - LAST_USED_RESOLUTION))
        .values(last_used_at=now)
    )
