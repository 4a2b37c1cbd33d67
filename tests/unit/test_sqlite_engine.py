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


def _wait_for(condition, what: str, seconds: float = 60) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.01)


def test_writers_of_one_process_get_the_write_lock_in_the_order_they_came(tmp_path):
    """SQLite's busy wait lets a late writer overtake one that has waited long; the gate
    hands the lock to the writers of the process first come, first served."""
    import threading

    from pim.db import write_gate

    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    gate = write_gate(engine)
    order: list[str] = []

    def write(name: str) -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t (name) VALUES (:n)"), {"n": name})
            order.append(name)

    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (name TEXT)"))
        first = engine.connect()
        first.begin()
        first.execute(text("INSERT INTO t (name) VALUES ('first')"))
        writers = []
        for count, name in enumerate(("second", "third", "fourth"), start=1):
            writers.append(threading.Thread(target=write, args=(name,)))
            writers[-1].start()
            _wait_for(lambda count=count: gate.waiting == count, f"{name} waits its turn")
        first.commit()
        first.close()
        for writer in writers:
            writer.join(timeout=60)
        assert order == ["second", "third", "fourth"]
    finally:
        engine.dispose()


def test_a_write_ending_in_any_way_ends_its_turn(tmp_path):
    from pim.db import write_gate

    engine = make_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    gate = write_gate(engine)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (id INTEGER)"))
        assert not gate.held
        for end in ("commit", "rollback", "close"):
            connection = engine.connect()
            connection.begin()
            connection.execute(text("INSERT INTO t VALUES (1)"))
            assert gate.held, end
            if end == "close":  # given back to the pool unfinished: the pool rolls back
                connection.close()
            else:
                getattr(connection, end)()
                connection.close()
            assert not gate.held, end
        with engine.connect() as reader:  # read-only work never takes a turn
            reader.execution_options(readonly=True)
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 1
            assert not gate.held
    finally:
        engine.dispose()
