"""The catalog the grid's and the variant navigation's tests read."""

from __future__ import annotations


def build_grid_world():
    """The demo catalog (60 products: apparel variants, electronics, spare parts) with its
    completeness computed and its search documents indexed, and a user per role."""
    from pim.auth.actor import ROLES
    from pim.auth.service import create_user
    from pim.db import session_factory, session_scope
    from pim.demo import load_demo
    from pim.search import index_pending
    from pim.wiring import connect_listeners
    from pim.workflow.completeness import refresh_dirty_completeness

    connect_listeners()
    load_demo(session_factory(), products=60)
    refresh_dirty_completeness(session_factory())
    index_pending(session_factory())
    with session_scope() as session:
        for role in ROLES:
            create_user(session, f"{role}@pim.test", role=role, password="correct horse 1")
