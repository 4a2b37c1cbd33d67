"""The database sessions routes receive by dependency injection, declared once (``DEPENDENCIES``)
on the API router and on the feed routes.

A route names the one it needs:

- ``session: WriteSession``: a unit of work (as ``pim.db.session_scope``). It is committed
  once the handler has returned and its response is built, before anything is sent, so a
  commit that fails answers an error, never a success; it is rolled back when the handler
  (or building the response) raises. The commit runs in a thread of its own (``_COMMITS``,
  not the handlers' executor); a rollback after an error runs on the event loop.
- ``reader: ReadSession``: a read-only session (``pim.db.read_session``): it never takes
  SQLite's write lock, so reads run beside an import; rolled back and closed after.

Routes never open sessions themselves. The one exception is the product GET, the API's
hottest path, which reads through ``pim.catalog.read.fetch_product_json`` (on SQLite one
statement on the serving thread's own connection, on the event loop) and needs no session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TypeAlias

import anyio.to_thread
from litestar.di import NamedDependency, Provide
from sqlalchemy.orm import Session

from pim.db import read_session, session_factory

# Commits run in threads of their own, never in the executor that runs the handlers: when
# every handler thread waits for a lock (editors PATCHing one product: a row lock on
# PostgreSQL, the write lock on SQLite), the commit that releases it must not queue behind
# them. It did: with more concurrent writers than executor threads (6 on 2 cores) the
# writers waited out SQLite's busy timeout and failed (PostgreSQL would wait for ever).
_COMMITS = anyio.CapacityLimiter(8)


async def provide_session() -> AsyncIterator[Session]:
    session = session_factory()()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    else:
        await anyio.to_thread.run_sync(session.commit, limiter=_COMMITS)
    finally:
        session.close()


def provide_reader() -> Iterator[Session]:
    with read_session() as session:
        yield session


DEPENDENCIES = {"session": Provide(provide_session), "reader": Provide(provide_reader)}

WriteSession: TypeAlias = NamedDependency[Session]
ReadSession: TypeAlias = NamedDependency[Session]
