import pytest

from pim.db import session_factory
from tests.integration.workflow.factories import make_catalog


@pytest.fixture
def catalog(db):
    """A session factory over a database holding the demo structure and channels."""
    factory = session_factory(db)
    with factory() as session, session.begin():
        make_catalog(session)
    return factory
