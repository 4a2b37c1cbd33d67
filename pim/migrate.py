"""Schema migrations through Alembic: the only way the schema changes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from pim.config import get_settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """What Alembic compares with the models: not the tables the models do not describe
    (SQLite FTS5 virtual tables and their shadow tables, whose name prefixes the slices
    creating them list in the metadata's ``unmanaged_table_prefixes``), nor an engine's
    own indexes where they do not exist."""
    from pim.db import Base

    if type_ == "index" and not reflected and compare_to is None:
        # An index made for one engine only (Index.ddl_if(dialect=...)), absent from the
        # others, where Alembic (which ignores ddl_if) would want to add it.
        only_on = getattr(getattr(obj, "_ddl_if", None), "dialect", None)
        if only_on:
            return False
    prefixes = tuple(Base.metadata.info.get("unmanaged_table_prefixes", ()))
    return not (type_ == "table" and reflected and bool(prefixes)
                and name.startswith(prefixes))


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url or get_settings().sqlalchemy_url)
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
