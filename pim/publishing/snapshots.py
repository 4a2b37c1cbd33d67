"""Publishing: immutable, versioned, hashed snapshots of channel variants.

A product is published in a channel only when the channel carries it and every one of the
channel's locales passes the channel schema; otherwise it is refused, with the reason. A
locale whose content hash equals its current snapshot's writes nothing, so re-publishing is
free and leaves feeds and webhooks quiet. Events are recorded in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from channels.projection import content_hash
from pim.auth.actor import MANAGE, Actor, require_role
from pim.catalog.models import Product
from pim.db import chunks, upsert, utcnow
from pim.errors import NotFound
from pim.publishing import events
from pim.publishing.assortment import candidate_id_batches
from pim.publishing.models import FeedVersion, Snapshot
from pim.workflow.checks import check_product
from pim.workflow.completeness import ProjectionSetup
from pim.workflow.loading import BATCH_SIZE, LoadedProduct, load_products, load_products_by_sku
from pim.workflow.models import Channel
from pim.workflow.status import APPROVED, PUBLISHED, WITHDRAWN, set_statuses, statuses_of

# Statuses from which a named product may be published without the --ready path: approved,
# or already published (a re-publish after, say, a stock change).
PUBLISHABLE_STATUSES = (APPROVED, PUBLISHED)
EMPTY_SHA256 = content_hash({})
# Refusals listed one by one when publishing the ready products of a whole catalog; beyond
# it they are counted by reason only (368,000 products gave 28 MB of refusals).
MAX_LISTED_REFUSALS = 100


@dataclass
class Refusal:
    sku: str
    reason: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "reason": self.reason, "errors": self.errors}


@dataclass
class PublishReport:
    channel: str
    release_id: int | None = None
    published: list[dict[str, Any]] = field(default_factory=list)  # sku, locale, version
    unchanged: list[str] = field(default_factory=list)  # SKUs whose every locale was current
    refused: list[Refusal] = field(default_factory=list)
    withdrawn: list[dict[str, Any]] = field(default_factory=list)
    # None: every refusal listed (named SKUs: a release marks each item). Else the first so
    # many, and every refusal counted by reason in ``refused_by_reason``.
    max_listed: int | None = None
    refused_total: int = 0
    refused_by_reason: dict[str, int] = field(default_factory=dict)

    def refuse(self, refusal: Refusal) -> None:
        self.refused_total += 1
        self.refused_by_reason[refusal.reason] = self.refused_by_reason.get(refusal.reason, 0) + 1
        if self.max_listed is None or len(self.refused) < self.max_listed:
            self.refused.append(refusal)

    @property
    def changed(self) -> bool:
        return bool(self.published or self.withdrawn)

    def summary(self) -> str:
        skus = len({p["sku"] for p in self.published})
        text = (f"{self.channel}: {skus} published ({len(self.published)} snapshots), "
                f"{len(self.unchanged)} unchanged, {self.refused_total} refused")
        return text + (f", {len(self.withdrawn)} withdrawn" if self.withdrawn else "")

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "release_id": self.release_id,
                "published": self.published, "unchanged": self.unchanged,
                "refused": [r.as_dict() for r in self.refused], "withdrawn": self.withdrawn,
                "refused_total": self.refused_total,
                "refused_by_reason": dict(sorted(self.refused_by_reason.items(),
                                                 key=lambda item: -item[1]))}


def publish(session: Session, channel: str, skus: Iterable[str] | None = None, *,
            ready: bool = False, actor: Actor, release_id: int | None = None) -> PublishReport:
    """Publish ``skus`` (approved ones; with ``ready`` any that pass) or, with ``ready`` and
    no SKUs, every product the channel carries that passes and was not withdrawn."""
    require_role(actor, *MANAGE)
    if skus is None and not ready:
        raise ValueError("name the SKUs to publish, or publish the ready ones")
    return publish_products(session, channel, skus, ready=ready, actor_name=actor.name,
                            release_id=release_id, check_status=not ready)


def publish_products(session: Session, channel: str, skus: Iterable[str] | None, *,
                     ready: bool, actor_name: str, release_id: int | None,
                     check_status: bool) -> PublishReport:
    """``publish`` without the role check: releases (approved as a whole) come this way."""
    if session.get(Channel, channel) is None:
        raise NotFound(f"channel {channel!r} does not exist")
    setup = ProjectionSetup.load(session, [channel])
    report = PublishReport(channel, release_id)
    publication = Publication(session, channel)
    if skus is not None:
        wanted = list(dict.fromkeys(skus))
        for chunk in chunks(wanted, BATCH_SIZE):
            found = load_products_by_sku(session, chunk, setup.models)
            for sku in chunk:
                if sku not in found:
                    report.refuse(Refusal(sku, "product does not exist"))
            products = [found[s] for s in chunk if s in found]
            _publish_batch(session, setup, products, report, actor_name, check_status,
                           skip_withdrawn=False, publication=publication)
    else:
        # Only the products the channel's assortment may hold are loaded; in_assortment
        # (in _publish_batch) still decides each one.
        report.max_listed = MAX_LISTED_REFUSALS
        assortment = setup.runtimes[channel].definition.assortment
        for ids in candidate_id_batches(session, assortment):
            products = load_products(session, ids, setup.models)
            _publish_batch(session, setup, products, report, actor_name, check_status,
                           skip_withdrawn=True, publication=publication)
    if report.changed:
        locales = sorted({p["locale"] for p in report.published})
        events.record(session, events.FEED_CHANGED, channel=channel, payload={
            "channel": channel, "locales": locales, "published": len(report.published),
            "withdrawn": len(report.withdrawn), "release_id": release_id})
    return report


def _publish_batch(session, setup, products: list[LoadedProduct], report: PublishReport,
                   actor_name, check_status: bool, skip_withdrawn: bool,
                   publication: Publication) -> None:
    runtime = next(iter(setup.runtimes.values()))
    statuses = statuses_of(session, runtime.code, [p.id for p in products])
    current = _current_snapshots(session, runtime.code, [p.sku for p in products])
    passing: list[tuple[LoadedProduct, list]] = []
    for product in products:
        known = statuses.get(product.id)
        status = known.status if known else "draft"
        if skip_withdrawn and status == WITHDRAWN:
            continue
        if check_status and status not in PUBLISHABLE_STATUSES:
            report.refuse(Refusal(product.sku, f"not approved (status {status})"))
            continue
        result = check_product(product, runtime, setup.context)
        if not result.in_assortment:
            if skip_withdrawn:  # --ready: only the channel's assortment is considered
                continue
            report.refuse(Refusal(product.sku, "not in the channel's assortment"))
            continue
        if not result.passed:
            failing = sorted({v.locale for v, c in result.variants if not c.passed})
            report.refuse(Refusal(
                product.sku, f"fails the channel schema in {', '.join(failing)}",
                result.errors()))
            continue
        passing.append((product, result.variants))

    rows: list[dict[str, Any]] = []
    superseded: list[int] = []
    published_ids: dict[int, dict[str, Any]] = {}
    for product, variants in passing:
        wrote = False
        for variant, _ in variants:
            sha = content_hash(variant.fields)
            previous = current.get((product.sku, variant.locale))
            if previous is not None and not previous.withdrawn and previous.sha256 == sha:
                continue
            version = previous.version + 1 if previous else 1
            if previous is not None:
                superseded.append(previous.id)
            feed_version = publication.feed_version(variant.locale)
            rows.append({
                "channel_code": runtime.code, "locale": variant.locale, "sku": product.sku,
                "parent_sku": variant.fields.get("parent_sku"), "version": version,
                "product_version": product.record.version or 0, "payload": variant.fields,
                "sha256": sha, "withdrawn": False, "is_current": True,
                "published_at": publication.at, "feed_version": feed_version,
                "published_by": actor_name, "release_id": report.release_id})
            report.published.append({"sku": product.sku, "locale": variant.locale,
                                     "version": version})
            wrote = True
        if not wrote:
            report.unchanged.append(product.sku)
        known = statuses.get(product.id)
        if (wrote or known is None or known.status != PUBLISHED
                or known.changed_since_published):
            published_ids[product.id] = {"status": PUBLISHED, "changed_since_published": False,
                                         "published_version": product.record.version}
    _write_snapshots(session, superseded, rows)
    set_statuses(session, runtime.code, published_ids, actor=actor_name)
    for row in rows:
        events.record(session, events.PRODUCT_PUBLISHED, channel=runtime.code, sku=row["sku"],
                      locale=row["locale"], snapshot_version=row["version"],
                      payload=row["payload"])


def withdraw(session: Session, channel: str, skus: Iterable[str], *,
             actor: Actor) -> PublishReport:
    """Take products out of a channel: a withdrawn snapshot per published locale (so feed
    deltas and webhooks see the removal in sequence) and status withdrawn."""
    require_role(actor, *MANAGE)
    if session.get(Channel, channel) is None:
        raise NotFound(f"channel {channel!r} does not exist")
    report = PublishReport(channel)
    wanted = list(dict.fromkeys(skus))
    publication = Publication(session, channel)
    for chunk in chunks(wanted, BATCH_SIZE):
        ids = dict(session.execute(select(Product.sku, Product.id)
                                   .where(Product.sku.in_(chunk))).all())
        current = _current_snapshots(session, channel, chunk)
        rows: list[dict[str, Any]] = []
        superseded: list[int] = []
        statuses: dict[int, dict[str, Any]] = {}
        for sku in chunk:
            live = [s for (s_sku, _), s in current.items() if s_sku == sku and not s.withdrawn]
            if not live:
                report.refuse(Refusal(sku, "not published in this channel"))
                continue
            for snapshot in sorted(live, key=lambda s: s.locale):
                superseded.append(snapshot.id)
                feed_version = publication.feed_version(snapshot.locale)
                rows.append({
                    "channel_code": channel, "locale": snapshot.locale, "sku": sku,
                    "parent_sku": snapshot.parent_sku, "version": snapshot.version + 1,
                    "product_version": snapshot.product_version, "payload": {},
                    "sha256": EMPTY_SHA256, "withdrawn": True, "is_current": True,
                    "published_at": publication.at, "feed_version": feed_version,
                    "published_by": actor.name, "release_id": None})
                report.withdrawn.append({"sku": sku, "locale": snapshot.locale,
                                         "version": snapshot.version + 1})
            if sku in ids:
                statuses[ids[sku]] = {"status": WITHDRAWN, "changed_since_published": False}
        _write_snapshots(session, superseded, rows)
        set_statuses(session, channel, statuses, actor=actor.name)
        for row in rows:
            events.record(session, events.PRODUCT_WITHDRAWN, channel=channel, sku=row["sku"],
                          locale=row["locale"], snapshot_version=row["version"],
                          payload={})
    if report.withdrawn:
        events.record(session, events.FEED_CHANGED, channel=channel, payload={
            "channel": channel, "locales": sorted({w["locale"] for w in report.withdrawn}),
            "published": 0, "withdrawn": len(report.withdrawn), "release_id": None})
    return report


class Publication:
    """One publish or withdrawal: the moment every snapshot it writes carries, and the feed
    version it makes in each locale it writes snapshots in (``FeedVersion``, counted when
    the locale's first snapshot is written, so a publication that changes nothing counts
    nowhere)."""

    def __init__(self, session: Session, channel: str):
        self.session = session
        self.channel = channel
        self.versions: dict[str, int] = {}
        self._at: datetime | None = None

    def feed_version(self, locale: str) -> int:
        version = self.versions.get(locale)
        if version is None:
            version = self.versions[locale] = next_feed_version(self.session, self.channel,
                                                                locale)
        return version

    @property
    def at(self) -> datetime:
        """Read after a first ``feed_version``: counting waits for a concurrent publication
        of the feed to commit (its row lock), so moments follow versions."""
        if self._at is None:
            self._at = utcnow()
        return self._at


def next_feed_version(session: Session, channel: str, locale: str) -> int:
    """Count one more publication of the feed (channel, locale); returns its version. One
    statement (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), whose row lock holds until
    the transaction ends."""
    table = FeedVersion.__table__
    statement = upsert(table, session.connection().dialect.name).values(channel_code=channel, locale=locale, version=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.channel_code, table.c.locale],
        set_={"version": table.c.version + 1}).returning(table.c.version)
    return session.execute(statement).scalar_one()


def current_snapshot(session: Session, channel: str, sku: str, locale: str) -> Snapshot | None:
    return session.scalar(select(Snapshot).where(
        Snapshot.channel_code == channel, Snapshot.sku == sku, Snapshot.locale == locale,
        Snapshot.is_current.is_(True)))


def snapshot_history(session: Session, channel: str, sku: str) -> list[Snapshot]:
    return list(session.scalars(select(Snapshot).where(
        Snapshot.channel_code == channel, Snapshot.sku == sku)
        .order_by(Snapshot.locale, Snapshot.version)))


def _current_snapshots(session: Session, channel: str, skus: list[str]
                       ) -> dict[tuple[str, str], Snapshot]:
    found = {}
    for chunk in chunks(sorted(set(skus)), 900):
        for snapshot in session.scalars(select(Snapshot).where(
                Snapshot.channel_code == channel, Snapshot.is_current.is_(True),
                Snapshot.sku.in_(chunk))):
            found[(snapshot.sku, snapshot.locale)] = snapshot
    return found


def _write_snapshots(session: Session, superseded: list[int], rows: list[dict]) -> None:
    for chunk in chunks(superseded, 900):
        session.execute(update(Snapshot).where(Snapshot.id.in_(chunk))
                        .values(is_current=False).execution_options(synchronize_session=False))
    if rows:
        session.execute(insert(Snapshot.__table__), rows)
