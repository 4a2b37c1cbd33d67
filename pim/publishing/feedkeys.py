"""Feed keys: one secret per distributor, limited to channels, stored only as a hash.

The plaintext is shown once when created. It carries a short public prefix so a listing
(and a log line) can name a key without revealing it, and the sha256 of the whole key is
what the database holds: a leaked database does not leak working keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pim.auth.tokens import LAST_USED_RESOLUTION
from pim.db import utcnow
from pim.errors import Invalid, NotFound
from pim.publishing.models import FeedKey
from pim.workflow.models import Channel

KEY_PREFIX = "pfk_"
_PREFIX_LENGTH = 12  # "pfk_" and 8 random characters: enough to tell keys apart


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_feed_key(session: Session, channels: Iterable[str], name: str = "", *,
                    created_by: str | None = None) -> tuple[str, FeedKey]:
    """A new key for ``channels``: ``(plaintext shown once, row)``."""
    codes = sorted(set(channels))
    if not codes:
        raise Invalid("a feed key needs at least one channel")
    known = set(session.scalars(select(Channel.code).where(Channel.code.in_(codes))))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise NotFound(f"unknown channels: {', '.join(unknown)}")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    row = FeedKey(name=name, prefix=plaintext[:_PREFIX_LENGTH], key_hash=_digest(plaintext),
                  channels=codes, created_at=utcnow(), created_by=created_by)
    session.add(row)
    session.flush()
    return plaintext, row


def authenticate_feed_key(session: Session, key: str | None, channel: str | None = None
                          ) -> FeedKey | None:
    """The live key matching ``key`` (and allowed ``channel`` when given), else None. Its
    use is recorded apart (``use_due``, ``touch_feed_key``): feeds read in read-only
    sessions, and a write per pull would queue every pull behind SQLite's write lock."""
    if not key or not key.startswith(KEY_PREFIX):
        return None
    digest = _digest(key)
    candidates = session.scalars(select(FeedKey).where(FeedKey.prefix == key[:_PREFIX_LENGTH]))
    row = next((c for c in candidates if hmac.compare_digest(c.key_hash, digest)), None)
    if row is None or row.revoked_at is not None:
        return None
    if channel is not None and channel not in (row.channels or ()):
        return None
    return row


def use_due(row: FeedKey, *, now: datetime | None = None) -> bool:
    """Whether the key's last recorded use is old enough to record again."""
    last = row.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return last is None or last < (now or utcnow()) - LAST_USED_RESOLUTION


def touch_feed_key(session: Session, key_id: int, *, now: datetime | None = None) -> None:
    """Record a use of the key, at most once per LAST_USED_RESOLUTION (a minute)."""
    now = now or utcnow()
    session.execute(
        update(FeedKey)
        .where(FeedKey.id == key_id)
        .where(FeedKey.last_used_at.is_(None)
               | (FeedKey.last_used_at < now - LAST_USED_RESOLUTION))
        .values(last_used_at=now))


def revoke_feed_key(session: Session, key_id: int) -> FeedKey:
    row = session.get(FeedKey, key_id)
    if row is None:
        raise NotFound(f"feed key {key_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def list_feed_keys(session: Session) -> list[FeedKey]:
    return list(session.scalars(select(FeedKey).order_by(FeedKey.id)))


def feed_key_out(row: FeedKey) -> dict:
    """A key as listings show it: never the hash."""
    return {"id": row.id, "name": row.name, "prefix": row.prefix, "channels": row.channels,
            "created_at": row.created_at, "created_by": row.created_by,
            "revoked_at": row.revoked_at, "last_used_at": row.last_used_at}
