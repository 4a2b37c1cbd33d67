"""Cursor pagination.

Lists are ordered by the row id and the cursor is the last id served, opaque to clients
(base64url of ``{"after": id}``). Ids only grow, so rows inserted while a client pages land
after the ones it has seen (or on a later page) and no row is skipped or served twice;
updates do not move rows either (ordering by ``updated_at`` would). A client wanting changes
since a moment uses ``updated_since`` and pages the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Generic, TypeVar

from pydantic import BaseModel

from pim.errors import DomainError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    limit: int


def encode_cursor(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise DomainError("cursor is not one this API issued",
                      errors=[{"field": "cursor", "message": "invalid cursor"}]) from None
    return after
