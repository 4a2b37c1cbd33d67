"""The database sessions routes receive by dependency injection, declared once (``DEPENDENCIES``)
on the API router and on the feed routes.

A route names the one it needs:

- ``session: WriteSession``: a unit of work (``pim.db.session_scope``). It is committed once
  the handler has returned and its response is built, before anything is sent, so a commit
  that fails answers an error, never a success; it is rolled back when the handler (or
  building the response) raises. Litestar runs the commit in a worker thread; a rollback
  after an error runs on the event loop.
- ``reader: ReadSession``: a read-only session (``pim.db.read_session``): it never takes
  SQLite's write lock, so reads run beside an import; rolled back and closed after.

Routes never open sessions themselves. The one exception is the product GET, the API's
hottest path, which reads through ``pim.catalog.read.fetch_product_json`` (on SQLite one
statement on the serving thread's own connection, on the event loop) and needs no session.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeAlias

from litestar.di import NamedDependency, Provide
from sqlalchemy.orm import Session

from pim.db import read_session, session_scope


def provide_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


def provide_reader() -> Iterator[Session]:
    with read_session() as session:
        yield session


DEPENDENCIES = {"session": Provide(provide_session), "reader": Provide(provide_reader)}

WriteSession: TypeAlias = NamedDependency[Session]
ReadSession: TypeAlias = NamedDependency[Session]
