"""A small catalog and one token per role, for the API tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from pim.auth.actor import ROLES
from pim.auth.service import create_user
from pim.auth.tokens import create_token
from pim.db import session_scope
from tests.factories import electronics, make_catalog, write


@dataclass
class ApiWorld:
    tokens: dict[str, str] = field(default_factory=dict)  # role -> raw token
    token_ids: dict[str, int] = field(default_factory=dict)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def build_world(products: int = 3, *, expires_at=None) -> ApiWorld:
    world = ApiWorld()
    with session_scope() as session:
        make_catalog(session)
        write(session, *[electronics(f"EL-{n}") for n in range(1, products + 1)])
        for role in ROLES:
            create_user(session, f"{role}@pim.test", role=role, password="correct horse 1")
            token, raw = create_token(session, f"{role}@pim.test", role=role, name="tests",
                                      expires_at=expires_at)
            world.tokens[role], world.token_ids[role] = raw, token.id
    return world


def add_token(email: str, role: str, **kw) -> tuple[int, str]:
    with session_scope() as session:
        token, raw = create_token(session, email, role=role, **kw)
        return token.id, raw
