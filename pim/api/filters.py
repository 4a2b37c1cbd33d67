"""Query parameters that take one value of a set (a status): documented as that enum, read
as text and checked by the service, which refuses an unknown value with 422 naming it and
what it may be (a ``Literal`` parameter would be Litestar's 400 before the service saw it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar.params import QueryParameter


def one_of(values: Sequence[str], description: str) -> Any:
    """The metadata of an optional query parameter taking one of ``values``:
    ``Annotated[str | None, one_of(STATUSES, "...")] = None``."""
    return QueryParameter(description=description, schema_extra={
        "type": "string", "enum": list(values), "oneOf": None})
