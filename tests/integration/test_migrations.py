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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    request.getfixturevalue("postgres_database").create_if_missing()  # PG_URL: admin below
    # Named after the test database, so suites on separate test databases never share it.
    name = PG_URL.rsplit("/", 1)[1] + "_migrations"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                           {"name": name}):
            conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    # Emptied by a new public schema, not dropped: dropping a database waits for a checkpoint.
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url
    dispose_engines()


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
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "include_object": migrate.include_object})
        differences = compare_metadata(context, pim.models.Base.metadata)
    engine.dispose()
    dispose_engines()
    assert differences == []


def test_feed_versions_number_the_publications_stored_before_them(empty_database):
    """0002 numbers existing snapshots by their published_at, per channel and locale, and
    starts each feed's counter at its highest number."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert, select

    from pim.publishing.models import FeedVersion, Snapshot
    from pim.workflow.models import Channel

    url = empty_database
    migrate.upgrade(url, "0001")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Channel.__table__), [{
            "code": "shop", "kind": "storefront", "label": "Shop", "definition": {},
            "config_hash": "x", "updated_at": start}])
        rows = [("A", "en_GB", 0), ("B", "en_GB", 0), ("A", "en_GB", 5), ("A", "de_DE", 5)]
        conn.execute(insert(Snapshot.__table__), [{
            "channel_code": "shop", "locale": locale, "sku": sku, "version": n + 1,
            "product_version": 1, "payload": {}, "sha256": "x" * 64, "withdrawn": False,
            "is_current": True, "published_at": start + timedelta(minutes=minutes)}
            for n, (sku, locale, minutes) in enumerate(rows)])
    migrate.upgrade(url)
    with engine.connect() as conn:
        numbered = conn.execute(select(Snapshot.sku, Snapshot.locale, Snapshot.feed_version)
                                .order_by(Snapshot.id)).all()
        counters = dict(conn.execute(select(FeedVersion.locale, FeedVersion.version)).all())
    engine.dispose()
    dispose_engines()
    assert numbered == [("A", "en_GB", 1), ("B", "en_GB", 1), ("A", "en_GB", 2),
                        ("A", "de_DE", 1)]
    assert counters == {"en_GB": 2, "de_DE": 1}
