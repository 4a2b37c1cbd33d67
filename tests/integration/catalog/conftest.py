"""Fixtures the import tests share: a session factory over the demo's structure, and the
catalog context and channel codes a file is read against."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pim.catalog.structure import load_context
from pim.db import session_factory
from pim.workflow.models import Channel


@pytest.fixture
def factory(demo_structure):
    return session_factory(demo_structure)


@pytest.fixture
def catalog(factory):
    with factory() as s:
        return load_context(s), set(s.scalars(select(Channel.code)))
