"""Whether a user may act, and who hears of it when that changes.

The single places every transport uses (API tokens, web sessions, the CLI):

- :func:`may_act` says whether a user row may act at all (active); :func:`active_actor` is
  the user's current actor (their role now), or None when they may not act. Token
  resolution and password sign-in both go through :func:`may_act`; a web session checks
  :func:`active_actor` (or caches it under :func:`access_generation`, below).
- :func:`set_user_active` and :func:`set_user_role` change a user; :func:`revoke_access`
  is what every such change (and a token's revocation) calls in its transaction.

Being told. A change is announced once its transaction commits, in two ways:

1. In this process, :data:`access_changed` calls its listeners with the user's id (the
   API's token cache forgets the user's tokens; the web slice forgets the user's
   sessions), connected in ``pim.wiring``.
2. To every process on the machine (server workers, the CLI that made the change), the
   *access generation* moves on: :func:`access_generation` is a cheap stamp (one
   ``os.stat`` of ``var/access-generation``) that a cache of resolved tokens or sessions
   reads before resolving and compares on every hit: an entry made under an older
   generation is resolved again. A disable from ``pim user disable`` thus takes effect at
   the servers' next request, not when their caches age.

Deployments on several machines share ``PIM_VAR_DIR`` for media already; the stamp lives
beside it (``PIM_VAR_DIR`` must be the same shared folder, or a change made on one machine
reaches the others' caches when they age, ``TOKEN_CACHE_SECONDS``).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pim.auth.actor import ADMIN, ROLES, Actor
from pim.auth.models import User
from pim.config import get_settings
from pim.db import on_outer_commit
from pim.errors import Conflict, Invalid, NotFound
from pim.listeners import Listeners

log = logging.getLogger("pim.auth.access")

access_changed: Listeners[[int], None] = Listeners("auth.access_changed")
"""A user's access changed (disabled, enabled, role changed, a token revoked); called with
the user's id after the change committed, in the committing process."""

STAMP_NAME = "access-generation"


def may_act(active: bool | None) -> bool:
    """Whether a user whose ``active`` flag is this may act (sign in, use a token)."""
    return active is True


def user_is_active(session: Session, user_id: int) -> bool:
    """Whether the user exists and may act."""
    return may_act(session.scalar(select(User.active).where(User.id == user_id)))


def active_actor(session: Session, user_id: int) -> Actor | None:
    """The user as they may act now (their current role), or None: unknown or disabled.
    What a web session re-reads instead of trusting the role it was signed in with."""
    row = session.execute(select(User.email, User.role, User.active)
                          .where(User.id == user_id)).first()
    if row is None or not may_act(row.active):
        return None
    return Actor(name=row.email, role=row.role, user_id=user_id)


def _stamp_path() -> Path:
    return get_settings().var_dir / STAMP_NAME


def access_generation() -> tuple[int, int]:
    """The machine-wide access generation: changes whenever any user's access changed.
    Cheap (one ``stat``); ``(0, 0)`` while nothing ever changed."""
    try:
        stat = os.stat(_stamp_path())
    except OSError:
        return (0, 0)
    return (stat.st_ino, stat.st_mtime_ns)


def _advance_generation() -> None:
    """Move the access generation on: a new file replaces the stamp (a new inode, so two
    changes within one clock tick still differ)."""
    path = _stamp_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".access-")
        os.close(handle)
        os.replace(temporary, path)
    except OSError:
        log.warning("could not advance the access generation at %s", path, exc_info=True)


def revoke_access(session: Session, user_id: int) -> None:
    """Announce, once ``session`` commits, that ``user_id``'s access changed (see the module
    docstring). Call it in the transaction that makes the change."""

    def announce(_session: Session) -> None:
        _advance_generation()
        access_changed(user_id)

    on_outer_commit(session, announce)


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"user {email} does not exist",
                       errors=[{"field": "email", "message": "no such user"}])
    return user


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == ADMIN, User.active.is_(True), User.id != user.id)) or 0


def set_user_active(session: Session, email: str, active: bool) -> User:
    """Disable or enable a user. A disabled user's tokens and sessions are refused at once
    (see the module docstring); enabling gives back tokens that are neither revoked nor
    expired. The last active admin cannot be disabled (nobody could enable them again but
    through the CLI)."""
    user = _user(session, email)
    if user.active == active:
        return user
    if not active and user.role == ADMIN and not _other_active_admins(session, user):
        raise Conflict(f"{user.email} is the last active admin; make another admin first",
                       errors=[{"field": "email", "message": "the last active admin"}])
    user.active = active
    session.flush()
    revoke_access(session, user.id)
    return user


def set_user_role(session: Session, email: str, role: str) -> User:
    """Change a user's role. Their tokens keep their own roles but never act beyond the
    user's (a demoted admin's admin token is refused at once)."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; one of {', '.join(ROLES)}",
                      errors=[{"field": "role", "message": "unknown role"}])
    user = _user(session, email)
    if user.role == role:
        return user
    if user.role == ADMIN and user.active and not _other_active_admins(session, user):
        raise Conflict(f"{user.email} is the last active admin; make another admin first",
                       errors=[{"field": "role", "message": "the last active admin"}])
    user.role = role
    session.flush()
    revoke_access(session, user.id)
    return user
