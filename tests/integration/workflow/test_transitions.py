"""The review workflow per product and channel, and who may move it."""

import pytest
from sqlalchemy import select

from pim.catalog.models import Product
from pim.errors import Conflict, Forbidden
from pim.workflow.status import set_statuses
from pim.workflow.transitions import approve, reject, submit_for_review, workflow_status
from tests.integration.workflow.factories import (
    EDITOR,
    REVIEWER,
    VIEWER,
    complete_speaker,
    write,
)


@pytest.fixture
def speaker(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    return catalog


def status(factory, channel="webshop-uk"):
    with factory() as s:
        return next(r["status"] for r in workflow_status(s, "EL-1") if r["channel"] == channel)


def test_a_product_starts_as_a_draft_in_every_channel(speaker):
    assert status(speaker) == "draft"


def test_an_editor_submits_a_draft_for_review(speaker):
    with speaker() as s, s.begin():
        submit_for_review(s, "webshop-uk", ["EL-1"], actor=EDITOR)
    assert status(speaker) == "in_review" and status(speaker, "webshop-ie") == "draft"


def test_a_reviewer_approves_a_product_in_review(speaker):
    with speaker() as s, s.begin():
        submit_for_review(s, "webshop-uk", ["EL-1"], actor=EDITOR)
        approve(s, "webshop-uk", ["EL-1"], actor=REVIEWER)
    assert status(speaker) == "approved"


def test_a_reviewer_rejects_a_product_back_to_draft(speaker):
    with speaker() as s, s.begin():
        submit_for_review(s, "webshop-uk", ["EL-1"], actor=EDITOR)
        reject(s, "webshop-uk", ["EL-1"], actor=REVIEWER)
    assert status(speaker) == "draft"


def test_an_editor_may_not_approve(speaker):
    with speaker() as s, s.begin():
        submit_for_review(s, "webshop-uk", ["EL-1"], actor=EDITOR)
    with speaker() as s, pytest.raises(Forbidden):
        approve(s, "webshop-uk", ["EL-1"], actor=EDITOR)


def test_a_reviewer_or_viewer_may_not_submit(speaker):
    for actor in (REVIEWER, VIEWER):
        with speaker() as s, pytest.raises(Forbidden):
            submit_for_review(s, "webshop-uk", ["EL-1"], actor=actor)


def test_a_draft_cannot_be_approved_without_review(speaker):
    with speaker() as s, pytest.raises(Conflict) as refused:
        approve(s, "webshop-uk", ["EL-1"], actor=REVIEWER)
    assert refused.value.errors == [{
        "field": None, "sku": "EL-1", "status": "draft",
        "message": "EL-1 is a draft in webshop-uk; approving needs it to be in review"}]


def test_a_refused_submission_says_which_states_may_be_submitted(speaker):
    """In words the grid shows a product manager, not status codes."""
    with speaker() as s, s.begin():
        submit_for_review(s, "webshop-uk", ["EL-1"], actor=EDITOR)
    with speaker() as s, pytest.raises(Conflict) as refused:
        submit_for_review(s, "webshop-uk", ["EL-1"], actor=EDITOR)
    assert str(refused.value) == ("EL-1 is in review in webshop-uk; submitting for review "
                                  "needs it to be a draft, published or withdrawn")


def test_an_edit_marks_a_published_product_changed_since_published(speaker):
    from pim.workflow.models import ProductChannelStatus
    from pim.workflow.status import set_statuses
    from tests.integration.workflow.factories import one, product_id

    with speaker() as s, s.begin():
        set_statuses(s, "webshop-uk", {product_id(s, "EL-1"): {
            "status": "published", "published_version": 1}}, actor="t")
    with speaker() as s, s.begin():
        held = s.get(ProductChannelStatus, (product_id(s, "EL-1"), "webshop-uk"))
        assert not held.changed_since_published
        write(s, complete_speaker("EL-1", brand=one("Sonara")))
        assert held.changed_since_published  # the object this session holds, too
    with speaker() as s:
        rows = {r["channel"]: r for r in workflow_status(s, "EL-1")}
    assert rows["webshop-uk"]["changed_since_published"]
    assert not rows["webshop-ie"]["changed_since_published"]  # never published there


def test_a_product_the_channel_does_not_carry_is_not_submitted_or_approved(speaker):
    """distributor-eu carries spare parts only: submitting the speaker there is refused
    naming it (it could never be published there, and the channel's in-review counts,
    kept to its assortment, would never show it); nothing moves."""
    with speaker() as s, s.begin(), pytest.raises(Conflict) as refused:
        submit_for_review(s, "distributor-eu", ["EL-1"], actor=EDITOR)
    assert refused.value.errors == [{
        "field": None, "sku": "EL-1",
        "message": "EL-1 is not in distributor-eu's assortment; submitting for review needs a "
                   "product the channel carries"}]
    assert status(speaker, "distributor-eu") == "draft"
    with speaker() as s, s.begin():
        set_statuses(s, "distributor-eu", {_id(s, "EL-1"): {"status": "in_review"}},
                     actor="before the check")
    with speaker() as s, s.begin(), pytest.raises(Conflict, match="not in distributor-eu's"):
        approve(s, "distributor-eu", ["EL-1"], actor=REVIEWER)
    assert status(speaker, "distributor-eu") == "in_review"


def test_a_product_in_review_where_it_is_not_carried_can_be_rejected(speaker):
    """How one submitted before the assortment check leaves review."""
    with speaker() as s, s.begin():
        set_statuses(s, "distributor-eu", {_id(s, "EL-1"): {"status": "in_review"}},
                     actor="before the check")
    with speaker() as s, s.begin():
        reject(s, "distributor-eu", ["EL-1"], actor=REVIEWER)
    assert status(speaker, "distributor-eu") == "draft"


def _id(session, sku):
    return session.scalar(select(Product.id).where(Product.sku == sku))
