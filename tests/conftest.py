"""Shared fixtures. Integration tests run once per engine through the ``db`` fixture: SQLite
(a copy of a template file per test) and PostgreSQL (the real server; one database per
xdist worker, emptied of what the previous test wrote). See tests/databases.py.

Markers follow the fixtures a test uses, so a new test cannot forget them: ``postgres`` on
the PostgreSQL runs of ``db``, ``redis`` on tests using ``redis_url`` (or a parameter marked
so), ``slow`` on tests starting a Tryton server. Under xdist every ``redis`` test runs on
one worker: they share one Redis database. So do the browser tests: their live hub is built
once per worker that runs one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from tests.databases import (
    PostgresDatabase,
    SqliteDatabase,
    SqliteTemplates,
    worker_database_url,
)

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
PG_BASE_URL = os.environ.get("PIM_TEST_POSTGRES_URL",
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Under xdist each worker has a database of its own, created on demand (<name>_gw0, ...).
PG_URL = worker_database_url(PG_BASE_URL, os.environ.get("PYTEST_XDIST_WORKER"))
REDIS_URL = os.environ.get("PIM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# A test using one of these fixtures gets the marker (a fixture requested lazily, through
# request.getfixturevalue, is not seen: mark that param, as the jobs' "rq" runner is).
MARKER_OF_FIXTURE = {
    "redis_url": "redis",
    "tryton_server": "slow",  # a real Tryton server, slow to start, slower to install
}


# Under xdist the browser tests run on one worker (an xdist_group), so their live hub, a
# session fixture that migrates a database, loads the demo catalog and serves it, is built
# once rather than once per worker.
BROWSER_TESTS = Path(__file__).resolve().parent / "browser"


def pytest_configure(config):
    # The redis tests share one Redis database, so under xdist they run on one worker: they
    # carry xdist_group("redis"), which only the "loadgroup" distribution honours. `-n N`
    # alone means "load": switch it here, and on the workers (they parse the command line
    # again, so they are told through workerinput).
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get("pim_dist") == "loadgroup":
        config.option.loadgroup = True


@pytest.hookimpl(optionalhook=True)  # an xdist hook: absent without xdist
def pytest_configure_node(node):
    node.workerinput["pim_dist"] = node.config.option.dist


@pytest.hookimpl(tryfirst=True)  # before deselection by -m and xdist's grouping
def pytest_collection_modifyitems(config, items):
    grouping = config.pluginmanager.hasplugin("xdist")
    for item in items:
        for fixture, marker in MARKER_OF_FIXTURE.items():
            if fixture in item.fixturenames and not item.get_closest_marker(marker):
                item.add_marker(getattr(pytest.mark, marker))
        if grouping:
            group = xdist_group_of(item)
            if group:
                item.add_marker(pytest.mark.xdist_group(group))


def xdist_group_of(item) -> str | None:
    """The xdist group an item runs in, if any: "redis" (one Redis database; whatever else
    the test uses), else "browser-hub" for the browser tests (one live hub)."""
    if item.get_closest_marker("redis"):
        return "redis"
    if BROWSER_TESTS in item.path.parents:
        return "browser-hub"
    return None


@pytest.fixture(scope="session", autouse=True)
def wired_slices() -> None:
    """Connect the slices' listeners once per test process, as every entry point of the hub
    does (``pim.wiring``). Owned by the structure helper: keep this fixture (session-scoped,
    autouse) when reshaping the fixtures; without it, the first product write of a test
    raises ``ListenersNotConnected``."""
    from pim.wiring import connect_listeners

    connect_listeners()


# argon2's cheapest parameters (one pass over 1 MiB, one lane): a hash or a check costs about
# a millisecond instead of the production parameters' quarter of a CPU-second.
TEST_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Passwords hashed in the test processes (the seeds' users, every sign-in's check) use
    ``TEST_PASSWORD_HASHER``; production keeps argon2's recommended parameters, and so do
    the hubs the tests start as subprocesses (which rehash a test user's password with them
    at its first sign-in, as they would any hash made with other parameters). A check
    reads its parameters from the hash, so the hashes made here stay valid everywhere."""
    from pim.auth import passwords

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", TEST_PASSWORD_HASHER)
        yield


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"reference artefacts not found at {REFERENCE} (../shared/reference): the suite needs the official artefacts beside the clone")
    return REFERENCE


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("sqlite-templates"))


@pytest.fixture(scope="session")
def postgres_database():
    database = PostgresDatabase(PG_URL, maintenance_url=PG_BASE_URL)
    yield database
    database.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, tmp_path, monkeypatch, sqlite_templates):
    """A clean database of each engine (SQLite, PostgreSQL), its schema in place and no
    rows; ``database.seed(name, build)`` fills it with a kept state (see ``seeded``).

    The environment (PIM_DATABASE_URL, PIM_VAR_DIR) points at it, so whatever the test
    starts (the app, workers, the CLI, subprocesses) uses it too, and what the test writes
    is committed for them to see."""
    from pim.config import reset_settings
    from pim.db import dispose_engines

    if request.param == "sqlite":
        chosen = SqliteDatabase(tmp_path / "pim.db", sqlite_templates)
    else:
        chosen = request.getfixturevalue("postgres_database")
    chosen.clean()
    monkeypatch.setenv("PIM_DATABASE_URL", chosen.url)
    monkeypatch.setenv("PIM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("PIM_REDIS_URL", raising=False)
    reset_settings()
    dispose_engines()
    yield chosen
    dispose_engines()
    reset_settings()


@pytest.fixture
def db(database) -> str:
    """The SQLAlchemy URL of the test's clean database (see ``database``)."""
    return database.url


@pytest.fixture
def seeded(database) -> Callable[[str, Callable[[], Any]], Any]:
    """``seeded(name, build)``: the database holds what ``build()`` writes into a clean one,
    and ``build``'s return value is returned. Built by the first test asking for ``name``,
    then restored from a copy (cheap), so ``build`` must write to the database only and
    return plain data. Call it before the test writes anything: it replaces the contents."""
    return database.seed


@pytest.fixture
def demo_structure(seeded, db) -> str:
    """The database holds the demo's structure (locales, currencies, units, attributes,
    families, categories, association types, the shipped channels); returns its URL."""
    from pim.db import session_scope
    from tests.factories import make_catalog

    def build() -> None:
        with session_scope() as session:
            make_catalog(session)

    seeded("demo-structure", build)
    return db


@pytest.fixture
def session(db):
    from pim.db import session_factory

    s = session_factory(db)()
    yield s
    s.rollback()
    s.close()


def _require_marker(request, marker: str) -> None:
    """Fail a test that reaches a server its markers do not declare (a fixture requested
    through getfixturevalue): `-m "not redis"` would not have left it out."""
    if request.node.get_closest_marker(marker) is None:
        pytest.fail(f"{request.node.nodeid} uses the {marker} server without the "
                    f"`{marker}` marker: mark it, or the param that requests it "
                    f"(pytest.param(..., marks=pytest.mark.{marker}))", pytrace=False)


@pytest.fixture
def redis_url(request) -> str:
    """A clean Redis database on the real server (PIM_TEST_REDIS_URL, db 15 by default)."""
    import redis

    _require_marker(request, "redis")
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()
