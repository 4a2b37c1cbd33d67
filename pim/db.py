"""Engine, sessions and the declarative base shared by every slice, and the helpers of
their bulk work: ``insert_many``, ``chunks`` and ``fewer_collections``."""

from __future__ import annotations

import collections
import contextlib
import gc
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import orjson
from sqlalchemy import (
    JSON,
    DateTime,
    MetaData,
    Table,
    TypeDecorator,
    create_engine,
    event,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from pim.config import get_settings

T = TypeVar("T")

# Stable constraint names make every later migration predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every engine (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    if TYPE_CHECKING:
        # Every model of the hub is mapped to a Table (SQLAlchemy types it as a FromClause).
        __table__: ClassVar[Table]
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime(), dict: JSONType, list: JSONType}


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


SQLITE_PAGE_BYTES = 8192


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Set on a new database only (before its first table; never once it is in WAL mode).
    # A product row and its history row are ~1.5 KB each: on the default 4 KB pages a big
    # import wrote markedly slower (100k CSV, three runs each: ratio to the raw limit
    # 0.327-0.354 at 4 KB, 0.365-0.423 at 8 KB, 0.365-0.401 at 16 KB). Larger pages make
    # every small commit write more: an edit's p99 (completeness_incremental) grew ~15 %
    # at 8 KB and ~40 % at 16 KB, hence 8 KB.
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def json_dumps(value: Any) -> str:
    """orjson for the JSON columns: values, history and snapshots are most of what is
    written, and it encodes them several times faster than the standard library."""
    return orjson.dumps(value, default=str).decode()


class WriteGate:
    """This process's SQLite writers, one at a time, in the order they came.

    SQLite's own wait for its write lock (the busy timeout) polls, sleeping up to 100 ms
    between tries, and a writer that just arrived (trying at 1, 2, 5 ms) usually wins over
    one that has waited longest: with eight editors saving at once a few saves waited
    seconds (``editor_save`` p99 6 s, p50 0.3 s). Taking turns here hands the lock on as
    soon as a writer's transaction ends, first come first served. Other processes still
    meet the busy timeout; a turn not given within ``timeout`` seconds is skipped (the
    writer goes on to SQLite's own wait), so a stuck writer cannot hold the others for
    longer than the busy timeout would."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._changed = threading.Condition(threading.Lock())
        self._held = False
        self._queue: collections.deque[object] = collections.deque()

    def enter(self) -> bool:
        """Wait for this writer's turn; False when it did not come within the timeout."""
        me = object()
        with self._changed:
            self._queue.append(me)
            deadline = time.monotonic() + self._timeout
            while self._held or self._queue[0] is not me:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._queue.remove(me)
                    self._changed.notify_all()
                    return False
                self._changed.wait(remaining)
            self._queue.popleft()
            self._held = True
            return True

    def leave(self) -> None:
        with self._changed:
            self._held = False
            self._changed.notify_all()

    @property
    def held(self) -> bool:
        return self._held

    @property
    def waiting(self) -> int:
        return len(self._queue)


_write_gates: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()


def write_gate(engine: Engine) -> WriteGate | None:
    """The ``WriteGate`` of a SQLite engine made by ``make_engine`` (None for others)."""
    return _write_gates.get(engine)


_GATE_HELD = "pim.write_gate_held"
SQLITE_BUSY_SECONDS = 30


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_SECONDS},
                               json_serializer=json_dumps, json_deserializer=orjson.loads)
        event.listen(engine, "connect", _sqlite_pragmas)
        gate = _write_gates[engine] = WriteGate(SQLITE_BUSY_SECONDS)
        # Writers take SQLite's write lock at BEGIN, so concurrent writers queue on the busy
        # timeout instead of failing when a read lock would be upgraded. Read-only sessions
        # (see read_session) begin deferred and run beside them under WAL.
        # (Issued on the DBAPI connection: SQLAlchemy's execution path would cost more than
        # the statement, on every transaction.)
        @event.listens_for(engine, "begin")
        def _begin(conn):
            dbapi_connection = conn.connection.dbapi_connection
            if conn.get_execution_options().get("readonly"):
                if not conn.connection.info.get("mmap"):
                    # Readers map the file (as sqlite_reader does): a search or a page
                    # touches pages all over it, and copying each one in with a system call
                    # through the 2 MB page cache was most of a broad search's time.
                    dbapi_connection.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
                    conn.connection.info["mmap"] = True
                dbapi_connection.execute("BEGIN")
                return
            turn = gate.enter()
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
            except BaseException:
                if turn:
                    gate.leave()
                raise
            if turn:
                conn.info[_GATE_HELD] = True

        # The writer's turn ends with its transaction, however it ends (a connection given
        # back to the pool unfinished is rolled back by the pool's reset).
        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(conn):
            if conn.info.pop(_GATE_HELD, False):
                gate.leave()

        @event.listens_for(engine, "reset")
        def _reset(_dbapi_connection, record, _state):
            if record.info.pop(_GATE_HELD, False):
                gate.leave()

        @event.listens_for(engine, "connect")
        def _no_pysqlite_tx(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True,
                         json_serializer=json_dumps, json_deserializer=orjson.loads)


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().sqlalchemy_url
    engine = _engines.get(url)  # the lock only for creating one
    if engine is not None:
        return engine
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _readonly_engines.clear()


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


_readonly_engines: dict[Engine, Engine] = {}


def _readonly(url: str | None) -> Engine:
    engine = get_engine(url)
    readonly = _readonly_engines.get(engine)
    if readonly is None:
        readonly = _readonly_engines[engine] = engine.execution_options(readonly=True)
    return readonly


@contextlib.contextmanager
def read_session(url: str | None = None) -> Iterator[Session]:
    """A session for reads only (API GETs, feeds): never takes the write lock."""
    session = Session(_readonly(url), expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()


# The largest INTEGER column value both engines store (PostgreSQL's int4): ids, versions,
# positions. Inputs above it are refused where they come in, never sent to the database.
INT_MAX = 2**31 - 1

_readers = threading.local()
READER_MMAP_BYTES = 2**31 - 2**16  # SQLite's default ceiling (SQLITE_MAX_MMAP_SIZE)


def sqlite_reader(engine: Engine) -> Any:
    """This thread's own DBAPI connection to ``engine``'s SQLite file, for single-statement
    reads (autocommit: each SELECT is its own snapshot under WAL).

    Kept out of the pool, so a hot read skips a checkout and a reset; a disposed engine's
    pool is noticed and its connection replaced. It reads the file memory-mapped: a product
    read touches half a dozen pages all over a large file, and copying each one in with a
    system call was half the read (the mapped pages are the OS page cache's own, so they
    count in the process's RSS but are not private memory). Read-only sessions' connections
    map it too (``make_engine``); SQLite writes through system calls either way."""
    held = getattr(_readers, "held", None)
    if held is None or held[0] is not engine.pool:
        fairy = engine.raw_connection()
        fairy.detach()
        connection: Any = fairy.dbapi_connection
        connection.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
        held = _readers.held = (engine.pool, connection)
    return held[1]


def reads_block_briefly(engine: Engine) -> bool:
    """Whether a short indexed read may run on the event loop: SQLite under WAL answers from
    the local file without waiting for writers, faster than a hop to a worker thread;
    a networked database is awaited in a thread."""
    return engine.dialect.name == "sqlite"


@contextlib.contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def on_outer_commit(session: Session, committed: Callable[[Session], None], *,
                    rolled_back: Callable[[Session], None] | None = None) -> None:
    """Call ``committed(session)`` once the session's current transaction commits, or
    ``rolled_back(session)`` once it rolls back; whichever comes first, once.

    SQLAlchemy 2.1 announces a savepoint's release to ``after_commit`` hooks and a
    savepoint's rollback to rollback hooks just as it does the transaction's: both are
    ignored here, so a ``begin_nested`` block inside the transaction neither fires the
    callback early nor cancels it."""
    ended = False

    def on_commit(ended_session: Session) -> None:
        nonlocal ended
        if ended or ended_session.in_nested_transaction():  # a savepoint released
            return
        ended = True
        committed(ended_session)

    def on_rollback(ended_session: Session, previous: Any) -> None:
        nonlocal ended
        if ended or previous.parent is not None:  # a savepoint (or inner block) rolled back
            return
        ended = True
        if rolled_back is not None:
            rolled_back(ended_session)

    # Spent listeners stay connected, doing nothing: removing one while its event is being
    # dispatched is not allowed, and a session lives for a request or a batch.
    event.listen(session, "after_commit", on_commit)
    event.listen(session, "after_soft_rollback", on_rollback)


# SQLSTATEs of PostgreSQL's refusals that running the transaction again may not meet:
# serialization_failure, deadlock_detected, lock_not_available.
_RACE_STATES = frozenset({"40001", "40P01", "55P03"})


def lost_a_race(error: BaseException) -> bool:
    """Whether ``error`` is the database refusing a write because of a concurrent one (a
    unique key another transaction took first, a deadlock, a serialization failure,
    SQLite's write lock held past the busy timeout), so that the same work, run again on
    fresh reads, may succeed."""
    if isinstance(error, IntegrityError):
        return True
    if not isinstance(error, OperationalError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in _RACE_STATES:
        return True
    return "database is locked" in str(original)


def affected(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched (``session.execute`` of DML answers a
    CursorResult, typed as a plain Result)."""
    return cast(CursorResult[Any], result).rowcount


def upsert(table: Table, dialect_name: str) -> Any:
    """``insert(table)`` that takes ``on_conflict_do_update`` (SQLite and PostgreSQL share
    the INSERT ... ON CONFLICT syntax; each dialect has its own construct for it)."""
    return (postgresql_insert if dialect_name == "postgresql" else sqlite_insert)(table)


def insert_many(session: Session, table: Table, rows: list[dict[str, Any]], *,
                same_in_every_row: tuple[str, ...] = (),
                renew_on_conflict: tuple[str, ...] = ()) -> None:
    """``session.execute(insert(table), rows)`` (rows with the same keys) straight on the
    DBAPI cursor: each value goes through its column's bind processor, as Core would do it,
    but in one pass, and the columns ``same_in_every_row`` (timestamps, actor) once. About 6
    us a row less than Core's executemany for products and history rows.

    ``renew_on_conflict``: a row whose primary key is stored already sets these columns of
    the stored row instead (INSERT ... ON CONFLICT DO UPDATE, on SQLite and PostgreSQL)."""
    connection = session.connection()
    dialect = connection.dialect
    first = rows[0]
    names = list(first)
    statement = insert(table)
    if renew_on_conflict:
        statement = upsert(table, dialect.name)
        statement = statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns),
            set_={name: statement.excluded[name] for name in renew_on_conflict})
    compiled = statement.compile(dialect=dialect, column_keys=names)
    processors = {name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in names}
    fixed = {}
    for name in same_in_every_row:
        process = processors.pop(name)
        fixed[name] = process(first[name]) if process else first[name]
    if compiled.positional:
        # Column by column (map over the rows), then zipped into rows: the per-value work
        # runs in C, about half the cost of a loop over every value of every row.
        columns: list[Iterable[Any]] = []
        for name in compiled.positiontup or ():
            if name in fixed:
                columns.append(repeat(fixed[name], len(rows)))
            elif (process := processors[name]) is not None:
                columns.append(map(process, map(itemgetter(name), rows)))
            else:
                columns.append(map(itemgetter(name), rows))
        parameters: list = list(zip(*columns, strict=True))
    else:
        parameters = [{**{name: process(row[name]) if process else row[name]
                          for name, process in processors.items()}, **fixed} for row in rows]
    connection.exec_driver_sql(compiled.string, parameters)


def chunks(items: list[T], size: int) -> Iterator[list[T]]:
    """``items`` in slices of ``size``: SQL parameter lists stay below SQLite's and
    psycopg's comfortable limits."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


# First-generation threshold during big writes (Python's default: 700). A batch of 1000
# products keeps ~150,000 containers alive until it is written: below that, collections
# ran once or twice a batch and traversed all of them.
GC_THRESHOLD = 200_000

_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, ...] = ()


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage less often for the duration.

    A batch keeps thousands of small containers alive (records, values, states, history rows,
    completeness rows) until it is written: with the default thresholds they reach the
    oldest generation and set off a full collection every few hundred products, about a
    third of an import's time. The thresholds are process-wide: the first of overlapping
    users (threads) raises them and the last one puts them back."""
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(GC_THRESHOLD, _gc_saved[0]), *_gc_saved[1:])
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)
