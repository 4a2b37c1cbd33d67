"""Feeds: a channel's current snapshots streamed through an exporter.

Feeds read published snapshots only, never live product data, so what a distributor pulls is
exactly what was approved. Rows stream from the database in chunks (a server-side cursor on
PostgreSQL), in SKU order grouped by parent: the variants of one product model come one
after another, which grouped formats (BMEcat, Shopify) rely on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

import exporters
from exporters.base import FeedInfo
from pim.catalog.structure import load_context
from pim.config import get_settings
from pim.db import read_session, utcnow
from pim.errors import Invalid, NotFound
from pim.publishing.models import Snapshot
from pim.publishing.published_records import iter_published_records
from pim.records import ChannelVariant, ProductRecord
from pim.workflow.channels import get_channel

STREAM_CHUNK = 500


@dataclass(frozen=True)
class FeedState:
    """What an HTTP layer needs to answer a conditional request without streaming.

    ``count``: the feed's current snapshots (a delta's: those published or withdrawn after
    its start; none means the delta is empty), ``withdrawn`` how many of them are
    withdrawals; ``locale`` the locale the feed is in (the channel's first by default)."""

    etag: str
    last_modified: datetime | None
    count: int
    withdrawn: int = 0
    locale: str = ""


def exporter_for(format: str):
    formats = exporters.FORMATS
    if format not in formats:
        known = ", ".join(sorted(formats)) or "none yet"
        raise Invalid.at("format", f"unknown feed format {format!r} (known: {known})")
    return formats[format]


def _feed_query(channel: str, locale: str, since: datetime | None):
    query = select(Snapshot).where(Snapshot.channel_code == channel, Snapshot.locale == locale,
                                   Snapshot.is_current.is_(True))
    if since is not None:
        query = query.where(Snapshot.published_at > since)
    return query


def _resolve_locale(session: Session, channel: str, locale: str | None):
    definition = get_channel(session, channel)
    locale = locale or definition.locales[0]
    if locale not in definition.locales:
        raise NotFound(f"channel {channel!r} has no locale {locale!r}")
    return definition, locale


def feed_state(channel: str, locale: str | None = None, since: datetime | None = None, *,
               format: str = "", session: Session | None = None) -> FeedState:
    """ETag and Last-Modified of a feed in two indexed aggregates. Any publish or
    withdrawal in the channel/locale writes a snapshot with a higher id, so the ETag moves
    exactly when the feed's bytes may have."""
    with nullcontext(session) if session is not None else read_session() as s:
        _, locale = _resolve_locale(s, channel, locale)
        query = _feed_query(channel, locale, since).subquery()
        max_id, count, withdrawn, newest = s.execute(select(
            func.max(query.c.id), func.count(),
            func.count(case((query.c.withdrawn.is_(True), 1))),
            func.max(query.c.published_at))).one()
    key = f"{channel}|{locale}|{format}|{since.isoformat() if since else ''}|{max_id}|{count}"
    return FeedState('"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"', newest, count,
                     withdrawn, locale)


def stream_feed(channel: str, format: str, *, locale: str | None = None,
                since: datetime | None = None) -> tuple[str, Iterator[bytes]]:
    """``(media_type, chunks)``. Checks the channel, locale and format before returning, so
    errors surface before the first byte; the database is read while the chunks are."""
    exporter = exporter_for(format)
    with read_session() as session:
        definition, locale = _resolve_locale(session, channel, locale)
        withdrawn: list[tuple[str, str | None]] = []
        gone: list[str] = []
        if since is not None:
            withdrawn = [(sku, parent) for sku, parent in session.execute(
                select(Snapshot.sku, Snapshot.parent_sku).where(
                    Snapshot.channel_code == channel, Snapshot.locale == locale,
                    Snapshot.is_current.is_(True), Snapshot.withdrawn.is_(True),
                    Snapshot.published_at > since)
                .order_by(Snapshot.sku))]
            gone = groups_gone(session, channel, locale, [parent or sku
                                                          for sku, parent in withdrawn])
        version = feed_version(session, channel, locale)
        prev_version = feed_version(session, channel, locale, until=since) if since else 0
        catalog = load_context(session) if exporter.reads == "records" else None
    info = feed_info(definition, locale, since=since, withdrawn=[sku for sku, _ in withdrawn],
                     withdrawn_groups=gone, version=version, prev_version=prev_version,
                     catalog=catalog)
    return exporter.media_type, _chunks(exporter, channel, locale, since, info)


def groups_gone(session: Session, channel: str, locale: str, groups: list[str]) -> list[str]:
    """Of ``groups`` (a variant's parent SKU, or the SKU of a product without one), those with
    no variant published in the feed any more: the products that left the channel whole."""
    wanted = sorted(set(groups))
    live: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        live.update(session.scalars(
            select(func.coalesce(Snapshot.parent_sku, Snapshot.sku)).where(
                Snapshot.channel_code == channel, Snapshot.locale == locale,
                Snapshot.is_current.is_(True), Snapshot.withdrawn.is_(False),
                or_(Snapshot.parent_sku.in_(chunk), Snapshot.sku.in_(chunk))).distinct()))
    return [group for group in wanted if group not in live]


def feed_version(session: Session, channel: str, locale: str, *,
                 until: datetime | None = None) -> int:
    """The feed's version (``FeedVersion``): the number of publications that changed it,
    as of ``until`` when given (the version a delta from ``until`` applies to). Read from
    the newest snapshot (0 before the first), one step down the since index."""
    query = (select(Snapshot.feed_version)
             .where(Snapshot.channel_code == channel, Snapshot.locale == locale)
             .order_by(Snapshot.published_at.desc(), Snapshot.feed_version.desc()).limit(1))
    if until is not None:
        query = query.where(Snapshot.published_at <= until)
    return session.scalar(query) or 0


def _chunks(exporter, channel: str, locale: str, since, info) -> Iterator[bytes]:
    with read_session() as session:
        items: Iterator[ProductRecord] | Iterator[ChannelVariant]
        if exporter.reads == "records":  # the catalog's data as published (Akeneo)
            items = iter_published_records(session, channel, locale, since=since)
        else:
            items = iter_published_variants(session, channel, locale, since=since)
        for chunk in exporter.write(items, info):
            yield chunk.encode() if isinstance(chunk, str) else chunk


def iter_published_variants(session: Session, channel: str, locale: str, *,
                            since: datetime | None = None) -> Iterator[ChannelVariant]:
    """Current, not withdrawn snapshots as channel variants, grouped by parent in SKU order."""
    group = func.coalesce(Snapshot.parent_sku, Snapshot.sku)
    query = (_feed_query(channel, locale, since).where(Snapshot.withdrawn.is_(False))
             .order_by(group, Snapshot.sku)
             .execution_options(yield_per=STREAM_CHUNK, stream_results=True))
    for snapshot in session.scalars(query):
        yield ChannelVariant(channel=channel, locale=locale, sku=snapshot.sku,
                             fields=snapshot.payload, version=snapshot.version,
                             content_hash=snapshot.sha256)


def feed_info(definition, locale: str, *, since=None, withdrawn=(), withdrawn_groups=(),
              version: int = 0, prev_version: int = 0, catalog=None):
    """The exporter's description of this feed."""
    return FeedInfo(
        channel=definition.code, channel_label=definition.label, locale=locale,
        currency=definition.currency, generated_at=utcnow(), delta=since is not None,
        withdrawn=list(withdrawn), withdrawn_groups=list(withdrawn_groups), version=version,
        prev_version=prev_version,
        base_url=channel_site_url(definition),
        catalog_id=definition.code,
        price_type="gros_list" if definition.tax.prices_include_tax else "net_list",
        attribute_codes=tuple(definition.mapping.attributes),
        html_descriptions=definition.feed_options.google_description == "html",
        locales=tuple(definition.locales), catalog=catalog)


def channel_site_url(definition) -> str:
    """The website a feed describes (an RSS channel's link): the origin of the channel's
    product pages when it has a product URL template, else the hub's ``PIM_BASE_URL``."""
    template = definition.product_url_template or ""
    parts = urlsplit(template)
    if parts.scheme in ("http", "https") and parts.netloc and "{" not in parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return get_settings().base_url.rstrip("/")
