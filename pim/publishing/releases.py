"""Releases: a named set of (product, channel) items, reviewed as a whole and published at
``publish_at`` by a scheduled job (or on demand).

Editors create, fill and submit a release; reviewers approve or reject it; approval
schedules its publication. An approved release is the approval of its items, so publishing
it does not ask for each product's own status, but every product must still pass its
channel's schema: one that fails is not published and the report says why, item by item.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.auth.actor import MANAGE, REVIEW, WRITE_CONTENT, Actor, require_role
from pim.catalog.models import Product
from pim.db import utcnow
from pim.errors import Conflict, Invalid, NotFound
from pim.jobs import enqueue
from pim.publishing import events
from pim.publishing.models import RELEASE_STATUSES, Release, ReleaseItem
from pim.publishing.snapshots import publish_products
from pim.workflow.models import Channel

DRAFT, SUBMITTED, APPROVED, PUBLISHED, CANCELLED = RELEASE_STATUSES
RELEASE_PUBLISH = "release.publish"  # the job publishing a release at its publish_at


def create_release(session: Session, name: str, *, actor: Actor,
                   publish_at: datetime | None = None, description: str = "") -> Release:
    require_role(actor, *WRITE_CONTENT)
    if not name.strip():
        raise Invalid("a release needs a name")
    if publish_at is not None and publish_at.tzinfo is None:
        raise Invalid("publish_at needs a time zone (e.g. 2025-06-01T09:00:00Z)")
    release = Release(name=name.strip(), description=description, status=DRAFT,
                      publish_at=publish_at, created_by=actor.name, created_at=utcnow(),
                      report={})
    session.add(release)
    session.flush()
    return release


def get_release(session: Session, release_id: int) -> Release:
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound(f"release {release_id} does not exist")
    return release


def list_releases(session: Session, status: str | None = None) -> list[Release]:
    if status is not None and status not in RELEASE_STATUSES:
        raise Invalid.not_one_of("status", status, RELEASE_STATUSES, "release status")
    query = select(Release).order_by(Release.id)
    if status:
        query = query.where(Release.status == status)
    return list(session.scalars(query))


def add_to_release(session: Session, release_id: int, channel: str, skus: list[str], *,
                   actor: Actor) -> Release:
    """Add (channel, SKU) items; an item already in the release is kept once."""
    require_role(actor, *WRITE_CONTENT)
    release = _in_status(session, release_id, (DRAFT,), "add items to")
    if session.get(Channel, channel) is None:
        raise NotFound(f"channel {channel!r} does not exist")
    wanted = list(dict.fromkeys(skus))
    known = set(session.scalars(select(Product.sku).where(Product.sku.in_(wanted))))
    missing = [sku for sku in wanted if sku not in known]
    if missing:
        raise NotFound(f"unknown products: {', '.join(missing)}")
    present = {(item.channel_code, item.sku) for item in release.items}
    for sku in wanted:
        if (channel, sku) not in present:
            release.items.append(ReleaseItem(sku=sku, channel_code=channel))
    session.flush()
    return release


def remove_from_release(session: Session, release_id: int, channel: str, skus: list[str], *,
                        actor: Actor) -> Release:
    require_role(actor, *WRITE_CONTENT)
    release = _in_status(session, release_id, (DRAFT,), "remove items from")
    drop = set(skus)
    release.items = [i for i in release.items if not (i.channel_code == channel and i.sku in drop)]
    session.flush()
    return release


def submit_release(session: Session, release_id: int, *, actor: Actor) -> Release:
    require_role(actor, *WRITE_CONTENT)
    release = _in_status(session, release_id, (DRAFT,), "submit")
    if not release.items:
        raise Invalid(f"release {release_id} has no items to submit")
    release.status, release.submitted_by, release.submitted_at = SUBMITTED, actor.name, utcnow()
    session.flush()
    return release


def approve_release(session: Session, release_id: int, *, actor: Actor) -> Release:
    """Approve, and schedule publication at ``publish_at`` (when set) once committed."""
    require_role(actor, *REVIEW)
    release = _in_status(session, release_id, (SUBMITTED,), "approve")
    release.status, release.approved_by, release.approved_at = APPROVED, actor.name, utcnow()
    session.flush()
    if release.publish_at is not None:
        schedule_release(session, release.id, release.publish_at, release.approved_at)
    return release


def reject_release(session: Session, release_id: int, *, actor: Actor,
                   reason: str = "") -> Release:
    require_role(actor, *REVIEW)
    release = _in_status(session, release_id, (SUBMITTED, APPROVED), "reject")
    release.status = DRAFT
    release.approved_by = release.approved_at = None
    release.report = {"rejected_by": actor.name, "reason": reason}
    session.flush()
    return release


def publish_release(session: Session, release_id: int, *, actor: Actor,
                    if_due: bool = False) -> Release:
    """Publish every item of an approved release, channel by channel.

    ``if_due`` (the scheduled job) publishes only once ``publish_at`` has come and leaves a
    release that is no longer approved (rejected, already published) alone, so the job is
    safe to run twice or late."""
    require_role(actor, *MANAGE)
    release = get_release(session, release_id)
    if if_due and (release.status != APPROVED or
                   (release.publish_at is not None and release.publish_at > utcnow())):
        return release
    _in_status(session, release_id, (APPROVED,), "publish")
    by_channel: dict[str, list[ReleaseItem]] = defaultdict(list)
    for item in release.items:
        by_channel[item.channel_code].append(item)
    published = unchanged = 0
    refused: list[dict] = []
    for channel, items in sorted(by_channel.items()):
        report = publish_products(session, channel, [i.sku for i in items], ready=True,
                                  actor_name=actor.name, release_id=release.id,
                                  check_status=False)
        versions = defaultdict(list)
        for entry in report.published:
            versions[entry["sku"]].append(f"{entry['locale']} v{entry['version']}")
        refusals = {r.sku: r for r in report.refused}
        for item in items:
            if item.sku in refusals:
                refusal = refusals[item.sku]
                item.outcome, item.message = "refused", refusal.reason
                refused.append({"sku": item.sku, "channel": channel, "reason": refusal.reason,
                                "errors": refusal.errors})
            elif item.sku in versions:
                item.outcome, item.message = "published", ", ".join(versions[item.sku])
                published += 1
            else:
                item.outcome, item.message = "unchanged", "already published as is"
                unchanged += 1
        events.record(session, events.RELEASE_PUBLISHED, channel=channel, payload={
            "release_id": release.id, "name": release.name,
            "published": sorted(versions), "refused": sorted(refusals)})
    release.status, release.published_at = PUBLISHED, utcnow()
    release.report = {"published": published, "unchanged": unchanged, "refused": refused,
                      "published_by": actor.name}
    session.flush()
    return release


def schedule_release(session: Session, release_id: int, publish_at: datetime | None,
                     approved_at: datetime) -> None:
    """Publish the release at ``publish_at`` (now when None), once ``session`` commits
    (the ``release.publish`` job, ``pim.publishing.jobs``).

    The dedupe key names the approval too: approving twice schedules once, but a release
    rejected and approved again gets a new job (the old one found it not approved)."""
    key = f"release-publish:{release_id}:{approved_at:%Y%m%dT%H%M%S%f}"
    enqueue(RELEASE_PUBLISH, {"release_id": release_id}, session=session, run_at=publish_at,
            dedupe_key=key)


def release_out(release: Release) -> dict:
    return {
        "id": release.id, "name": release.name, "description": release.description,
        "status": release.status, "publish_at": release.publish_at,
        "created_by": release.created_by, "created_at": release.created_at,
        "submitted_by": release.submitted_by, "submitted_at": release.submitted_at,
        "approved_by": release.approved_by, "approved_at": release.approved_at,
        "published_at": release.published_at, "report": release.report,
        "items": [{"sku": i.sku, "channel": i.channel_code, "outcome": i.outcome,
                   "message": i.message} for i in release.items],
    }


def _in_status(session: Session, release_id: int, allowed: tuple[str, ...],
               action: str) -> Release:
    release = get_release(session, release_id)
    if release.status not in allowed:
        raise Conflict(f"cannot {action} release {release_id}: it is {release.status} "
                       f"(needs {' or '.join(allowed)})")
    return release
