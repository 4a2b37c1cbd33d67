"""The database sessions a view receives by dependency injection: the same providers as the
API's (``pim.api.sessions.DEPENDENCIES``, registered on the app), named here because the web
slice may not import the API's modules (they are siblings in the layers).

``session: WriteSession`` is a unit of work committed after the view returned;
``reader: ReadSession`` is read-only (never takes SQLite's write lock)."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency
from sqlalchemy.orm import Session

WriteSession: TypeAlias = NamedDependency[Session]
ReadSession: TypeAlias = NamedDependency[Session]
