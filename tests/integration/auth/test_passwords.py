"""Signing in with a password (the web UI's sign-in calls ``authenticate_password``)."""

from __future__ import annotations

from argon2 import PasswordHasher

from pim.auth.models import User
from pim.auth.service import authenticate_password, create_user


def test_a_correct_password_signs_in_and_a_wrong_one_does_not(session):
    create_user(session, "ana@example.com", role="editor", password="correct horse")
    actor = authenticate_password(session, "Ana@Example.com", "correct horse")
    assert actor is not None and (actor.name, actor.role) == ("ana@example.com", "editor")
    assert authenticate_password(session, "ana@example.com", "wrong horse") is None


def test_a_hash_made_with_older_parameters_is_replaced_when_its_user_signs_in(session):
    user, _ = create_user(session, "bo@example.com", role="viewer", password="correct horse")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash("correct horse")
    old = user.password_hash
    assert authenticate_password(session, "bo@example.com", "correct horse") is not None
    assert session.get(User, user.id).password_hash != old
    assert authenticate_password(session, "bo@example.com", "correct horse") is not None
