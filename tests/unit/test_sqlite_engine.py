"""The embedded SQLite database as the app makes it."""

from sqlalchemy import text

from pim.db import SQLITE_PAGE_BYTES, make_engine


def test_a_new_database_gets_large_pages_and_wal(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
            assert connection.execute(text("PRAGMA page_size")).scalar() == SQLITE_PAGE_BYTES
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


def test_an_existing_database_keeps_its_pages(tmp_path):
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute("PRAGMA page_size=4096")
        old.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        old.execute("INSERT INTO t VALUES (1)")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA page_size")).scalar() == 4096
            assert connection.execute(text("SELECT id FROM t")).scalar() == 1
    finally:
        engine.dispose()
