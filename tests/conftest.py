"""Shared fixtures. Integration tests run once per engine through the ``db`` fixture:
SQLite (a file per test) and PostgreSQL (the real server; tables truncated per test)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
PG_URL = os.environ.get("PIM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PIM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference artefacts not found at {REFERENCE} (../shared/reference): the suite needs the official artefacts beside the clone")
    return REFERENCE


_pg_ready = False


def _prepare_postgres() -> None:
    """Create the schema once per session from the models (migrations have their own test)."""
    global _pg_ready
    if _pg_ready:
        return
    import pim.models as models

    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        models.Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        models.Base.metadata.create_all(conn)
    engine.dispose()
    _pg_ready = True


def _truncate_postgres() -> None:
    import pim.models as models

    engine = create_engine(PG_URL)
    names = ", ".join(t.name for t in models.Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, monkeypatch) -> str:
    """Point the hub at a clean database of each engine; yields its SQLAlchemy URL.

    The environment (PIM_DATABASE_URL, PIM_VAR_DIR) is set too, so subprocesses (workers,
    the CLI) started by a test use the same database.
    """
    import pim.models as models
    from pim.config import reset_settings
    from pim.db import dispose_engines

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pim.db'}"
        engine = create_engine(url)
        models.Base.metadata.create_all(engine)
        engine.dispose()
    else:
        url = PG_URL
        _prepare_postgres()
        _truncate_postgres()
    monkeypatch.setenv("PIM_DATABASE_URL", url)
    monkeypatch.setenv("PIM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("PIM_REDIS_URL", raising=False)
    reset_settings()
    dispose_engines()
    yield url
    dispose_engines()
    reset_settings()


@pytest.fixture
def session(db):
    from pim.db import session_factory

    s = session_factory(db)()
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def redis_url(monkeypatch) -> str:
    """A clean Redis database (db 15) on the real server."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()
