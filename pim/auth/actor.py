"""Who is acting, and the role policy every transport (API, UI, CLI) applies.

Roles, least privilege first:

| role     | may                                                                          |
| -------- | ---------------------------------------------------------------------------- |
| viewer   | read everything it can see (catalog, structure, workflow, history, jobs)     |
| reviewer | what a viewer may, plus approve/reject releases and workflow transitions     |
| editor   | what a viewer may, plus write catalog content: products, product models,     |
|          | values, media, imports/exports, restore, create and submit releases          |
| admin    | everything: structure (attributes, families, categories, channels), users,   |
|          | API tokens, feed keys, webhook subscriptions, publishing                     |

Editors may not change structure; reviewers may not edit content. A token's role never
exceeds its user's role (see ``pim.auth.tokens``).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from pim.errors import Forbidden

ADMIN, EDITOR, REVIEWER, VIEWER = "admin", "editor", "reviewer", "viewer"
ROLES = (ADMIN, EDITOR, REVIEWER, VIEWER)

# What each role may do beyond reading; admin implies every capability.
READ = (VIEWER, REVIEWER, EDITOR, ADMIN)
WRITE_CONTENT = (EDITOR, ADMIN)
REVIEW = (REVIEWER, ADMIN)
MANAGE = (ADMIN,)

# A role "covers" another when it may grant it (tokens): admin covers all, others themselves
# and viewer.
_RANK = {VIEWER: 0, REVIEWER: 1, EDITOR: 1, ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Actor:
    """The person or system behind a request. ``name`` goes into history rows."""

    name: str
    role: str
    user_id: int | None = None
    token_id: int | None = None


SYSTEM = Actor(name="system", role=ADMIN)


def cli_operator() -> Actor:
    """Whoever runs the ``pim`` command: the operator's tool acts as an admin named after
    the shell user (``cli:alice``), which history and release records name."""
    return Actor(name=f"cli:{getpass.getuser()}", role=ADMIN)


def may(actor: Actor, roles: tuple[str, ...]) -> bool:
    """Whether the actor holds one of ``roles`` (admin always does): what pages ask to hide
    a control the service would refuse."""
    return actor.role == ADMIN or actor.role in roles


def require_role(actor: Actor, *roles: str) -> None:
    """Raise Forbidden unless the actor holds one of ``roles`` (admin always passes)."""
    if may(actor, roles):
        return
    wanted = ", ".join(roles) or ADMIN
    raise Forbidden(f"{actor.name} ({actor.role}) may not do this; needs role: {wanted}")


def role_covers(granting: str, granted: str) -> bool:
    """Whether a holder of ``granting`` may hand out ``granted`` (a token's role)."""
    if granting == granted or granted == VIEWER:
        return True
    return _RANK[granting] > _RANK[granted]
