"""Signed-in browsers of the web UI: server-side sessions, shared by every server process.

A session is a row (``WebSession``) in the hub's database, keyed by the sha256 of the random
id the browser holds in its cookie. The database rather than Redis: it is the one store every
deployment has (SQLite for the embedded default, where several ``pim serve --workers`` share
the file; PostgreSQL scaled out), signing out and disabling a user take effect in the same
transaction as the change that causes them, and there is one code path to test. A lookup is
one primary-key read joined to its user, so a disabled user (``pim.auth.access.may_act``) or a
changed role counts at the very next request, in every process; no cache to invalidate.

Lifetime: a session ends ``IDLE`` after its last use or ``ABSOLUTE`` after sign-in, whichever
comes first. Its use is recorded at most every ``TOUCH_EVERY`` (a write per request would
queue every page behind SQLite's write lock).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from pim.auth.access import may_act, user_is_active
from pim.auth.actor import Actor
from pim.auth.models import User, WebSession
from pim.db import affected, session_scope, utcnow

IDLE = timedelta(hours=12)
ABSOLUTE = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What a valid session cookie resolves to."""

    actor: Actor
    csrf_token: str
    id_hash: str
    created_at: datetime
    last_seen_at: datetime

    @property
    def touch_due(self) -> bool:
        return utcnow() - self.last_seen_at >= TOUCH_EVERY


def hash_session_id(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_web_session(session: Session, actor: Actor) -> tuple[str, str]:
    """A new session for ``actor`` (a signed-in user). Returns the raw id for the cookie and
    the session's CSRF token. Also drops this user's expired sessions (they accumulate
    otherwise)."""
    if actor.user_id is None:
        raise ValueError("only users sign in to the web UI")
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.user_id == actor.user_id,
                                             WebSession.expires_at <= now))
    raw = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(WebSession(id_hash=hash_session_id(raw), user_id=actor.user_id,
                           csrf_token=csrf, created_at=now, last_seen_at=now,
                           expires_at=now + IDLE))
    session.flush()
    return raw, csrf


def resolve_web_session(session: Session, raw: str) -> SignedIn | None:
    """The signed-in user of a session id, or None when the session is unknown, expired or
    its user is disabled."""
    now = utcnow()
    row = session.execute(
        select(WebSession.id_hash, WebSession.csrf_token, WebSession.created_at,
               WebSession.last_seen_at, User.id, User.email, User.role, User.active)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.id_hash == hash_session_id(raw), WebSession.expires_at > now)
    ).first()
    if row is None or not may_act(row.active) or now - row.created_at >= ABSOLUTE:
        return None
    return SignedIn(actor=Actor(name=row.email, role=row.role, user_id=row.id),
                    csrf_token=row.csrf_token, id_hash=row.id_hash,
                    created_at=row.created_at, last_seen_at=row.last_seen_at)


def touch_web_session(session: Session, id_hash: str) -> None:
    """Record a use: the idle deadline moves on (never past the absolute one)."""
    now = utcnow()
    session.execute(update(WebSession).where(WebSession.id_hash == id_hash)
                    .values(last_seen_at=now, expires_at=now + IDLE))


def end_web_session(session: Session, raw: str) -> None:
    """Sign out (nothing happens for an unknown id)."""
    session.execute(delete(WebSession).where(WebSession.id_hash == hash_session_id(raw)))


def end_web_sessions_of(session: Session, user_id: int) -> int:
    """Sign a user out everywhere (disabled, password changed). Returns how many ended."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return affected(result)


def end_sessions_of_disabled_user(user_id: int) -> None:
    """``pim.auth.access.access_changed`` listener (connected in ``pim.wiring``): a user who
    may no longer act loses their sessions, so enabling them again signs nobody back in.
    (Sessions are refused at once anyway: every request re-reads the user.)"""
    with session_scope() as session:
        if not user_is_active(session, user_id):
            end_web_sessions_of(session, user_id)
