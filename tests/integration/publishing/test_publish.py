"""Publishing writes immutable, hashed snapshots of products that pass their channel's
schema, and nothing when the content is already published."""

import pytest
from sqlalchemy import func, select

from pim.errors import Forbidden
from pim.publishing.models import Snapshot
from pim.publishing.snapshots import publish, withdraw
from pim.workflow.models import ProductChannelStatus
from pim.workflow.transitions import approve, submit_for_review
from tests.integration.workflow.factories import (
    ADMIN,
    EDITOR,
    REVIEWER,
    complete_speaker,
    incomplete_speaker,
    one,
    product_id,
    write,
)


def snapshots(session, sku, channel="webshop-uk"):
    return list(session.scalars(select(Snapshot).where(
        Snapshot.sku == sku, Snapshot.channel_code == channel).order_by(Snapshot.version)))


def approved(factory, *skus, channel="webshop-uk"):
    with factory() as s, s.begin():
        submit_for_review(s, channel, list(skus), actor=EDITOR)
        approve(s, channel, list(skus), actor=REVIEWER)


def test_publishing_an_approved_product_writes_a_hashed_snapshot(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    approved(catalog, "EL-1")
    with catalog() as s, s.begin():
        report = publish(s, "webshop-uk", ["EL-1"], actor=ADMIN)
    assert report.published == [{"sku": "EL-1", "locale": "en_GB", "version": 1}]
    with catalog() as s:
        (snapshot,) = snapshots(s, "EL-1")
        status = s.get(ProductChannelStatus, (product_id(s, "EL-1"), "webshop-uk"))
    assert snapshot.is_current and snapshot.payload["title"] == "Voltia speaker"
    assert len(snapshot.sha256) == 64 and snapshot.published_by == "ada"
    assert status.status == "published" and status.published_version == 1


def test_republishing_identical_content_writes_no_new_version(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    with catalog() as s, s.begin():
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)
    with catalog() as s, s.begin():
        report = publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)
    assert report.published == [] and report.unchanged == ["EL-1"]
    with catalog() as s:
        assert len(snapshots(s, "EL-1")) == 1


def test_a_changed_product_gets_a_new_version_and_the_old_one_stops_being_current(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    with catalog() as s, s.begin():
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1", brand=one("Sonara")))
        status = s.get(ProductChannelStatus, (product_id(s, "EL-1"), "webshop-uk"))
        assert status.changed_since_published
    with catalog() as s, s.begin():
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)
    with catalog() as s:
        first, second = snapshots(s, "EL-1")
    assert (first.version, first.is_current) == (1, False)
    assert (second.version, second.is_current, second.payload["brand"]) == (2, True, "Sonara")


def test_a_product_failing_the_schema_is_refused_with_its_errors(catalog):
    with catalog() as s, s.begin():
        write(s, incomplete_speaker("EL-2"))
    with catalog() as s, s.begin():
        report = publish(s, "webshop-uk", ["EL-2"], ready=True, actor=ADMIN)
    (refusal,) = report.refused
    assert refusal.reason == "fails the channel schema in en_GB"
    assert {e["attribute"] for e in refusal.errors} >= {"description", "image"}
    with catalog() as s:
        assert snapshots(s, "EL-2") == []


def test_a_product_outside_the_assortment_is_refused(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    with catalog() as s, s.begin():
        report = publish(s, "distributor-eu", ["EL-1"], ready=True, actor=ADMIN)
    assert [(r.sku, r.reason) for r in report.refused] == [
        ("EL-1", "not in the channel's assortment")]


def test_a_draft_is_not_published_without_the_ready_path(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    with catalog() as s, s.begin():
        report = publish(s, "webshop-uk", ["EL-1"], actor=ADMIN)
    assert [r.reason for r in report.refused] == ["not approved (status draft)"]


def test_the_ready_path_publishes_every_passing_product_of_the_channel(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), complete_speaker("EL-3"), incomplete_speaker("EL-2"))
    with catalog() as s, s.begin():
        report = publish(s, "webshop-uk", ready=True, actor=ADMIN)
    assert sorted(p["sku"] for p in report.published) == ["EL-1", "EL-3"]
    assert [r.sku for r in report.refused] == ["EL-2"]


def test_only_an_admin_publishes(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    with catalog() as s, pytest.raises(Forbidden):
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=EDITOR)


def test_withdrawal_writes_a_withdrawn_snapshot_and_status(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    with catalog() as s, s.begin():
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)
    with catalog() as s, s.begin():
        report = withdraw(s, "webshop-uk", ["EL-1"], actor=ADMIN)
    assert report.withdrawn == [{"sku": "EL-1", "locale": "en_GB", "version": 2}]
    with catalog() as s:
        published, gone = snapshots(s, "EL-1")
        status = s.get(ProductChannelStatus, (product_id(s, "EL-1"), "webshop-uk"))
    assert not published.is_current and gone.is_current and gone.withdrawn
    assert gone.payload == {} and status.status == "withdrawn"


def test_the_ready_path_leaves_a_withdrawn_product_withdrawn(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    with catalog() as s, s.begin():
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)
        withdraw(s, "webshop-uk", ["EL-1"], actor=ADMIN)
    with catalog() as s, s.begin():
        report = publish(s, "webshop-uk", ready=True, actor=ADMIN)
    assert report.published == []
    with catalog() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 2


def test_publishing_and_withdrawing_record_webhook_events(catalog):
    from pim.webhooks.models import Message, Subscription

    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
        s.add(Subscription(channel_code="webshop-uk", url="https://shop.example/hook",
                           events=["product.published", "product.withdrawn",
                                   "channel.feed_changed"], active=True, secret="whsec_x"))
    with catalog() as s, s.begin():
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)
        withdraw(s, "webshop-uk", ["EL-1"], actor=ADMIN)
    with catalog() as s:
        kinds = [m.event_type for m in s.scalars(select(Message).order_by(Message.created_at))]
    assert sorted(kinds) == sorted(["product.published", "channel.feed_changed",
                                    "product.withdrawn", "channel.feed_changed"])
