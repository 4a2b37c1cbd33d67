"""Users: create, find, check a password."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.auth.access import may_act
from pim.auth.actor import ROLES, Actor
from pim.auth.models import User
from pim.auth.passwords import (
    MIN_LENGTH,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from pim.errors import Conflict, Invalid, NotFound


def _normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 255:
        raise Invalid(f"{email!r} is not an e-mail address",
                      errors=[{"field": "email", "message": "not an e-mail address"}])
    return email


def create_user(
    session: Session, email: str, *, role: str, password: str | None = None
) -> tuple[User, str | None]:
    """Create a user. Returns the user and the generated password (None when one was given).

    Refuses (Conflict) when the e-mail is taken, so running it twice never changes a user.
    """
    email = _normalise_email(email)
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; one of {', '.join(ROLES)}",
                      errors=[{"field": "role", "message": "unknown role"}])
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"user {email} already exists")
    generated = None
    if password is None:
        password = generated = generate_password()
    elif len(password) < MIN_LENGTH:
        raise Invalid(f"password must have at least {MIN_LENGTH} characters",
                      errors=[{"field": "password", "message": "too short"}])
    user = User(email=email, role=role, password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    return user, generated


def ensure_admin(session: Session, email: str) -> tuple[User, str | None]:
    """The admin user, created on first call (with its generated password returned)."""
    user = get_user(session, email, missing_ok=True)
    if user is not None:
        return user, None
    return create_user(session, email, role="admin")


def get_user(session: Session, email: str, *, missing_ok: bool = False) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None and not missing_ok:
        raise NotFound(f"user {email} does not exist")
    return user


def list_users(session: Session) -> list[dict[str, Any]]:
    return [user_out(u) for u in session.scalars(select(User).order_by(User.id))]


def user_out(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "role": user.role, "active": user.active,
            "created_at": user.created_at}


def authenticate_password(session: Session, email: str, password: str) -> Actor | None:
    """The actor for a correct e-mail and password of an active user, else None. A hash made
    with older parameters is replaced in ``session`` (the caller commits)."""
    user = get_user(session, email, missing_ok=True)
    if user is None or not may_act(user.active) or not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return Actor(name=user.email, role=user.role, user_id=user.id)
