"""Releases: reviewed as a whole, published at their time by the jobs runtime, each
product refused by its channel schema reported with the reason."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from pim.db import utcnow
from pim.errors import Conflict, Forbidden
from pim.jobs.models import Job
from pim.publishing.releases import (
    add_to_release,
    approve_release,
    create_release,
    get_release,
    publish_release,
    submit_release,
)
from tests.integration.workflow.factories import (
    ADMIN,
    EDITOR,
    REVIEWER,
    complete_speaker,
    incomplete_speaker,
    write,
)


def planned(factory, *, publish_at=None, skus=("EL-1", "EL-2")) -> int:
    with factory() as s, s.begin():
        write(s, complete_speaker("EL-1"), incomplete_speaker("EL-2"))
        release = create_release(s, "Spring", actor=EDITOR, publish_at=publish_at)
        add_to_release(s, release.id, "webshop-uk", list(skus), actor=EDITOR)
        submit_release(s, release.id, actor=EDITOR)
        return release.id


def test_an_editor_may_not_approve_a_release(catalog):
    release_id = planned(catalog)
    with catalog() as s, pytest.raises(Forbidden):
        approve_release(s, release_id, actor=EDITOR)


def test_an_unapproved_release_cannot_be_published(catalog):
    release_id = planned(catalog)
    with catalog() as s, pytest.raises(Conflict, match="it is submitted"):
        publish_release(s, release_id, actor=ADMIN)


def test_a_release_publishes_passing_products_and_reports_blocked_ones(catalog):
    release_id = planned(catalog)
    with catalog() as s, s.begin():
        approve_release(s, release_id, actor=REVIEWER)
        publish_release(s, release_id, actor=ADMIN)
    with catalog() as s:
        release = get_release(s, release_id)
        outcomes = {i.sku: (i.outcome, i.message) for i in release.items}
        report = release.report
    assert release.status == "published"
    assert outcomes["EL-1"] == ("published", "en_GB v1")
    assert outcomes["EL-2"] == ("refused", "fails the channel schema in en_GB")
    (refusal,) = report["refused"]
    assert {e["attribute"] for e in refusal["errors"]} >= {"description", "image"}


def test_approval_schedules_publication_at_publish_at_once(catalog):
    release_id = planned(catalog, publish_at=utcnow() + timedelta(hours=1))
    with catalog() as s, s.begin():
        approve_release(s, release_id, actor=REVIEWER)
    with catalog() as s:
        # Other slices queue their own jobs beside it (search indexing, renditions).
        (job,) = s.scalars(select(Job).where(Job.kind == "release.publish"))
    assert job.status == "scheduled"
    assert job.payload == {"release_id": release_id}
    assert job.dedupe_key.startswith(f"release-publish:{release_id}:")


def test_the_scheduled_job_leaves_a_release_alone_before_its_time(catalog):
    release_id = planned(catalog, publish_at=utcnow() + timedelta(hours=1))
    with catalog() as s, s.begin():
        approve_release(s, release_id, actor=REVIEWER)
        assert publish_release(s, release_id, actor=ADMIN, if_due=True).status == "approved"


def test_the_embedded_runner_publishes_a_release_when_its_time_comes(catalog):
    from pim.jobs import start_embedded_runner, stop_embedded_runner

    release_id = planned(catalog, publish_at=utcnow() + timedelta(seconds=1))
    with catalog() as s, s.begin():
        approve_release(s, release_id, actor=REVIEWER)
    runner = start_embedded_runner(workers=1)
    try:
        deadline = time.monotonic() + 20
        status = "approved"
        while status != "published" and time.monotonic() < deadline:
            time.sleep(0.2)
            with catalog() as s:
                status = get_release(s, release_id).status
    finally:
        stop_embedded_runner(runner)
    assert status == "published"
