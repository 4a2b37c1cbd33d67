"""Test databases, each engine's schema built once per session and every test started from
a clean state cheaply.

SQLite: the schema is created once in a template file; each test gets its own copy of it
(a file copy, no DDL). PostgreSQL: the schema is created once in the session's database
(one per xdist worker); before each test the tables that hold rows are emptied and the
sequences that moved are restarted, so a test pays for what the previous one wrote, not for
the whole schema.

Both keep *seeds*: ``seed(name, build)`` gives a test the state ``build()`` writes into a
clean database (the demo structure, the API tests' users and tokens). The first test that
asks for a seed builds it and keeps a copy (a template file; a PostgreSQL schema holding
the rows); later tests get the copy back instead of building it again. A seed's ``build``
therefore writes only to the database (no files, no process state the tests rely on), and
its return value is plain data kept for the session.

Every test's data is committed through the hub's own engines, so servers, workers,
subprocesses and the CLI started by a test see it; nothing relies on a rolled-back
transaction.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

SEED_SCHEMA_PREFIX = "test_seed_"


def _dispose_hub_engines() -> None:
    from pim.db import dispose_engines

    dispose_engines()


def _metadata():
    import pim.models as models

    return models.Base.metadata


class SqliteTemplates:
    """Template files for one session: the empty schema and every seed built so far."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.values: dict[str, Any] = {}
        self._files: dict[str, Path] = {}

    def _empty(self) -> Path:
        path = self._files.get("")
        if path is None:
            from pim.db import make_engine

            building = self.directory / "building.db"
            engine = make_engine(f"sqlite:///{building}")  # the hub's pragmas (page size, WAL)
            _metadata().create_all(engine)
            engine.dispose()
            path = self._files[""] = self._save(building, "empty")
            building.unlink()
        return path

    def _save(self, source: Path, name: str) -> Path:
        """A standalone copy of ``source`` (its WAL included), never opened again but to be
        copied."""
        target = self.directory / f"{name}.db"
        src = sqlite3.connect(source)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        return target

    def restore(self, name: str, path: Path) -> None:
        """Put template ``name`` ("" is the empty schema) at ``path``.

        Written beside it and renamed into place: a connection still open on the previous
        file (a reader thread's) keeps that file's inode and can never write into the new
        one. The previous file's WAL and shared-memory files go with it."""
        source = self._empty() if name == "" else self._files[name]
        partial = path.with_name(path.name + ".restoring")
        shutil.copyfile(source, partial)
        os.replace(partial, path)
        for suffix in ("-wal", "-shm", "-journal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)

    def has(self, name: str) -> bool:
        return name in self._files

    def keep(self, name: str, path: Path, value: Any) -> None:
        self._files[name] = self._save(path, f"seed-{name}")
        self.values[name] = value


class SqliteDatabase:
    """One test's SQLite file."""

    engine = "sqlite"

    def __init__(self, path: Path, templates: SqliteTemplates):
        self.path = path
        self.url = f"sqlite:///{path}"
        self.templates = templates

    def clean(self) -> None:
        _dispose_hub_engines()
        self.templates.restore("", self.path)

    def seed(self, name: str, build: Callable[[], Any]) -> Any:
        _dispose_hub_engines()
        if not self.templates.has(name):
            self.templates.restore("", self.path)
            value = build()
            _dispose_hub_engines()
            self.templates.keep(name, self.path, value)
            return value
        self.templates.restore(name, self.path)
        return self.templates.values[name]


def worker_database_url(url: str, worker: str | None) -> str:
    """The database of one xdist worker: ``<name>_<worker>`` (e.g. ``test_gw0``); ``url``
    itself without xdist."""
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(
        hide_password=False)


class PostgresDatabase:
    """The session's PostgreSQL database: created when missing, its schema built once."""

    engine = "postgresql"

    def __init__(self, url: str, maintenance_url: str):
        self.url = url
        self.maintenance_url = maintenance_url
        self.values: dict[str, Any] = {}
        self._prepared = False
        self._connection = None
        self._tables: list[str] = []  # parents before children
        self._seeds: dict[str, list[tuple[str, str, str]]] = {}  # name -> (copy, table, columns)
        self._seed_sequences: dict[str, list[tuple[str, int]]] = {}
        self._dirty_query = ""

    # -- set-up ---------------------------------------------------------------------
    def create_if_missing(self) -> None:
        name = make_url(self.url).database
        if self.url == self.maintenance_url:
            return
        admin = create_engine(self.maintenance_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                     {"n": name})
                if not exists:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()

    def prepare(self) -> None:
        """Drop what a previous session left (tables of these models, seed copies) and
        create the schema from the models (migrations have their own test)."""
        if self._prepared:
            return
        self.create_if_missing()
        metadata = _metadata()
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                leftovers = conn.scalars(text(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                    {"p": SEED_SCHEMA_PREFIX + "%"}).all()
                for schema in leftovers:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                metadata.drop_all(conn)
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
                metadata.create_all(conn)
        finally:
            engine.dispose()
        self._tables = [table.name for table in metadata.sorted_tables]
        # One round trip tells which tables hold rows and which sequences moved.
        self._dirty_query = " UNION ALL ".join(
            [f"SELECT 't', '{name}' WHERE EXISTS (SELECT FROM \"{name}\")"
             for name in self._tables]
            + ["SELECT 's', sequencename::text FROM pg_sequences "
               "WHERE schemaname = 'public' AND last_value IS NOT NULL"])
        self._prepared = True

    def _conn(self):
        import psycopg

        if self._connection is None or self._connection.closed:
            conninfo = make_url(self.url).set(drivername="postgresql").render_as_string(
                hide_password=False)
            self._connection = psycopg.connect(conninfo, autocommit=True)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # -- per test -------------------------------------------------------------------
    def clean(self) -> None:
        """Empty the tables that hold rows and restart the sequences that moved.

        Rows are deleted with triggers and foreign-key checks off (``session_replication_role
        = replica``, as PostgreSQL's own replication does), which is much cheaper than a
        TRUNCATE of small tables and leaves no trigger to write elsewhere meanwhile."""
        self.prepare()
        conn = self._conn()
        dirty = conn.execute(self._dirty_query).fetchall()
        tables = {name for kind, name in dirty if kind == "t"}
        sequences = [name for kind, name in dirty if kind == "s"]
        if not tables and not sequences:
            return
        statements = ["BEGIN", "SET LOCAL session_replication_role = replica"]
        statements += [f'DELETE FROM "{name}"' for name in reversed(self._tables)
                       if name in tables]
        statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
        statements.append("COMMIT")
        conn.execute(";".join(statements))

    def seed(self, name: str, build: Callable[[], Any]) -> Any:
        self.clean()
        if name not in self._seeds:
            value = build()
            _dispose_hub_engines()
            self._keep(name)
            self.values[name] = value
            return value
        self._restore(name)
        return self.values[name]

    def _keep(self, name: str) -> None:
        conn = self._conn()
        schema = SEED_SCHEMA_PREFIX + name.replace("-", "_")
        dirty = conn.execute(self._dirty_query).fetchall()
        tables = {table for kind, table in dirty if kind == "t"}
        generated = {(table, column) for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND is_generated = 'ALWAYS'").fetchall()}
        kept = []
        with conn.transaction():
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{schema}"')
            for table in self._tables:
                if table not in tables:
                    continue
                columns = ", ".join(
                    f'"{column}"' for (column,) in conn.execute(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND table_name = %s "
                        "ORDER BY ordinal_position", (table,)).fetchall()
                    if (table, column) not in generated)
                conn.execute(f'CREATE TABLE "{schema}"."{table}" AS '
                             f'SELECT {columns} FROM "{table}"')
                kept.append((table, columns))
        self._seeds[name] = [(f'"{schema}"."{table}"', f'"{table}"', columns)
                             for table, columns in kept]
        self._seed_sequences[name] = conn.execute(
            "SELECT sequencename::text, last_value FROM pg_sequences "
            "WHERE schemaname = 'public' AND last_value IS NOT NULL").fetchall()

    def _restore(self, name: str) -> None:
        statements = ["BEGIN", "SET LOCAL session_replication_role = replica"]
        statements += [f"INSERT INTO {target} ({columns}) OVERRIDING SYSTEM VALUE "
                       f"SELECT {columns} FROM {source}"
                       for source, target, columns in self._seeds[name]]
        statements += [f"SELECT setval('\"{sequence}\"', {value}, true)"
                       for sequence, value in self._seed_sequences[name]]
        statements.append("COMMIT")
        self._conn().execute(";".join(statements))
