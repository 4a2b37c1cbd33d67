"""What a search backend is: the SQL backend (``pim.search.sql``) and Meilisearch
(``pim.search.meili``) both answer it, and ``pim.search.service`` picks one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session

from pim.search.documents import SearchDocument
from pim.search.query import SearchQuery, SearchResult


class SearchBackend(Protocol):
    name: str
    # whether documents must carry the per-channel workflow data (SQL reads it live)
    needs_channels: bool

    def index(self, session: Session, documents: Sequence[SearchDocument], *,
              target: Any = None) -> None: ...

    def delete(self, session: Session, product_ids: Sequence[int], *,
               target: Any = None) -> None: ...

    def search(self, session: Session, query: SearchQuery) -> SearchResult: ...

    def begin_reindex(self) -> Any:
        """Where a full reindex writes (None: in place)."""

    def finish_reindex(self, session: Session, target: Any) -> None:
        """Make a completed full reindex the one searched; remove what it did not write."""

    def health(self, session: Session) -> dict[str, Any]: ...
