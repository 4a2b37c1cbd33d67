"""Migrations: upgrade, downgrade, upgrade again on SQLite and PostgreSQL, and no difference
between the models and the migrated schema."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

import pim.models
from pim import migrate
from pim.db import dispose_engines
from tests.conftest import PG_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    # Named after the test database, so suites on separate test databases never share it.
    name = PG_URL.rsplit("/", 1)[1] + "_migrations"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def tables(url):
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_upgrade_downgrade_upgrade_leaves_the_models_schema(empty_database):
    url = empty_database
    migrate.upgrade(url)
    assert set(pim.models.Base.metadata.tables) <= tables(url)
    migrate.downgrade(url)
    assert tables(url) <= {"alembic_version"}
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, pim.models.Base.metadata)
    engine.dispose()
    dispose_engines()
    assert differences == []
