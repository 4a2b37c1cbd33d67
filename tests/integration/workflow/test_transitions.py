"""The review workflow per product and channel, and who may move it."""

import pytest

from pim.errors import Conflict, Forbidden
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
    with speaker() as s, pytest.raises(Conflict, match="EL-1 is draft"):
        approve(s, "webshop-uk", ["EL-1"], actor=REVIEWER)


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
