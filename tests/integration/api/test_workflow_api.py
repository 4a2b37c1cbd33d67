"""Completeness, review transitions, releases and publishing over HTTP: each answer says
what happened product by product, refusals carry their reason, roles follow the table."""

from __future__ import annotations

import pytest

from pim.db import session_scope
from tests.integration.workflow.factories import complete_speaker, incomplete_speaker, write

API = "/api/v1"
SHOP = "webshop-uk"
PROBLEM = "application/problem+json"


@pytest.fixture
def speakers(world):
    """SPK-OK passes the UK webshop's schema; SPK-BAD lacks its description and image."""
    with session_scope() as session:
        write(session, complete_speaker("SPK-OK"), incomplete_speaker("SPK-BAD"))


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def move(client, world, transition: str, skus: list[str], role: str, channel: str = SHOP):
    return client.post(f"{API}/workflow/{channel}/{transition}", json={"skus": skus},
                       headers=world.auth(role))


def new_release(client, world, *items: str, name: str = "Spring") -> int:
    release = ok(client.post(f"{API}/releases", json={"name": name},
                             headers=world.auth("editor")), 201)
    if items:
        ok(client.post(f"{API}/releases/{release['id']}/items",
                       json={"channel": SHOP, "skus": list(items)}, headers=world.auth("editor")))
    return release["id"]


# -- completeness -----------------------------------------------------------------------------

def test_completeness_points_each_error_at_the_attribute_locale_and_scope(client, world,
                                                                          speakers):
    body = ok(client.get(f"{API}/products/SPK-BAD/completeness", params={"channel": SHOP},
                         headers=world.auth("viewer")))

    (channel,) = body["channels"]
    assert channel["channel"] == SHOP and channel["in_assortment"] and not channel["passed"]
    (locale,) = channel["locales"]
    assert locale["locale"] == "en_GB"
    assert locale["percent"] < 100 and locale["present"] < locale["required"]
    assert set(locale["missing"]) == {"description", "images"}
    errors = {e["attribute"]: (e["locale"], e["scope"], e["field"]) for e in locale["errors"]}
    assert errors == {"description": ("en_GB", None, "/description"),
                      "image": (None, None, "/images")}


def test_a_complete_product_is_complete_in_every_channel_that_carries_it(client, world,
                                                                         speakers):
    body = ok(client.get(f"{API}/products/SPK-OK/completeness", headers=world.auth("viewer")))

    shop = next(c for c in body["channels"] if c["channel"] == SHOP)
    assert shop["passed"] and [loc["percent"] for loc in shop["locales"]] == [100]
    assert all(c["passed"] or not c["in_assortment"] for c in body["channels"])


def test_the_completeness_summary_counts_complete_and_failing_products(client, world, speakers):
    body = ok(client.get(f"{API}/completeness", params={"channel": SHOP},
                         headers=world.auth("viewer")))

    (row,) = body["rows"]
    assert row["channel"] == SHOP and row["locale"] == "en_GB"
    assert row["products"] == row["complete"] + row["failing"] and row["complete"] >= 1
    assert row["failing"] >= 1  # SPK-BAD
    assert body["pending_refresh"] == 0


def test_unknown_products_and_channels_are_404_problems(client, world):
    viewer = world.auth("viewer")
    assert "NOPE" in problem(client.get(f"{API}/products/NOPE/completeness", headers=viewer),
                             404)["detail"]
    problem(client.get(f"{API}/completeness", params={"channel": "nowhere"}, headers=viewer),
            404)
    problem(client.get(f"{API}/products/NOPE/workflow", headers=viewer), 404)
    problem(move(client, world, "submit", ["EL-1"], "editor", channel="nowhere"), 404)


# -- review transitions -----------------------------------------------------------------------

def test_a_product_goes_through_review_per_channel(client, world, speakers):
    submitted = ok(move(client, world, "submit", ["SPK-OK"], "editor"))
    approved = ok(move(client, world, "approve", ["SPK-OK"], "reviewer"))

    assert submitted["results"] == [{"sku": "SPK-OK", "channel": SHOP, "status": "in_review"}]
    assert approved["results"][0]["status"] == "approved"
    statuses = ok(client.get(f"{API}/products/SPK-OK/workflow", headers=world.auth("viewer")))
    by_channel = {c["channel"]: c for c in statuses["channels"]}
    assert by_channel[SHOP]["status"] == "approved"
    assert by_channel[SHOP]["updated_by"] == "reviewer@pim.test"
    assert by_channel["webshop-ie"]["status"] == "draft"


def test_a_transition_not_allowed_from_the_current_status_is_409_naming_each_product(
        client, world, speakers):
    ok(move(client, world, "submit", ["SPK-OK"], "editor"))

    body = problem(move(client, world, "approve", ["SPK-OK", "SPK-BAD"], "reviewer"), 409)

    assert [(e["field"], e["sku"], e["status"]) for e in body["errors"]] == [
        ("skus[1]", "SPK-BAD", "draft")]
    # all or nothing: the product that could move did not
    statuses = ok(client.get(f"{API}/products/SPK-OK/workflow", headers=world.auth("viewer")))
    assert {c["channel"]: c["status"] for c in statuses["channels"]}[SHOP] == "in_review"


def test_an_editor_may_not_approve_and_a_reviewer_may_not_submit(client, world, speakers):
    ok(move(client, world, "submit", ["SPK-OK"], "editor"))

    problem(move(client, world, "approve", ["SPK-OK"], "editor"), 403)
    problem(move(client, world, "submit", ["SPK-BAD"], "reviewer"), 403)


def test_a_body_without_skus_names_the_field(client, world):
    body = problem(move(client, world, "submit", [], "editor"), 400)

    assert [e["field"] for e in body["errors"]] == ["skus"]


def test_an_edit_after_publication_marks_the_product_changed_in_that_channel(client, world,
                                                                           speakers):
    ok(client.post(f"{API}/channels/{SHOP}/publish", json={"skus": ["SPK-OK"], "ready": True},
                   headers=world.auth("admin")))
    edit = {"values": {"brand": [{"locale": None, "scope": None, "data": "Voltia Pro"}]}}
    ok(client.patch(f"{API}/products/SPK-OK", json=edit, headers=world.auth("editor")))

    statuses = ok(client.get(f"{API}/products/SPK-OK/workflow", headers=world.auth("viewer")))

    shop = next(c for c in statuses["channels"] if c["channel"] == SHOP)
    assert shop["status"] == "published" and shop["changed_since_published"]
    assert shop["published_version"] == 1


# -- releases ---------------------------------------------------------------------------------

def test_a_release_is_submitted_approved_and_published_with_the_refused_product_and_reason(
        client, world, speakers):
    release_id = new_release(client, world, "SPK-OK", "SPK-BAD")

    submitted = ok(client.post(f"{API}/releases/{release_id}/submit",
                               headers=world.auth("editor")))
    approved = ok(client.post(f"{API}/releases/{release_id}/approve",
                              headers=world.auth("reviewer")))
    published = ok(client.post(f"{API}/releases/{release_id}/publish",
                               headers=world.auth("admin")))

    assert (submitted["status"], submitted["submitted_by"]) == ("submitted", "editor@pim.test")
    assert (approved["status"], approved["approved_by"]) == ("approved", "reviewer@pim.test")
    assert published["status"] == "published" and published["published_at"]
    outcomes = {i["sku"]: (i["outcome"], i["message"]) for i in published["items"]}
    assert outcomes == {"SPK-OK": ("published", "en_GB v1"),
                        "SPK-BAD": ("refused", "fails the channel schema in en_GB")}
    (refused,) = published["report"]["refused"]
    assert refused["sku"] == "SPK-BAD" and refused["channel"] == SHOP
    assert {e["attribute"] for e in refused["errors"]} == {"description", "image"}
    assert published["report"]["published"] == 1
    assert ok(client.get(f"{API}/releases/{release_id}", headers=world.auth("viewer"))
              )["status"] == "published"


def test_a_reviewer_may_not_create_or_fill_a_release(client, world, speakers):
    release_id = new_release(client, world)
    reviewer = world.auth("reviewer")

    problem(client.post(f"{API}/releases", json={"name": "Mine"}, headers=reviewer), 403)
    problem(client.post(f"{API}/releases/{release_id}/items",
                        json={"channel": SHOP, "skus": ["SPK-OK"]}, headers=reviewer), 403)
    problem(client.post(f"{API}/releases/{release_id}/submit", headers=reviewer), 403)


def test_an_editor_may_neither_approve_nor_publish_a_release(client, world, speakers):
    release_id = new_release(client, world, "SPK-OK")
    ok(client.post(f"{API}/releases/{release_id}/submit", headers=world.auth("editor")))

    problem(client.post(f"{API}/releases/{release_id}/approve", headers=world.auth("editor")),
            403)
    ok(client.post(f"{API}/releases/{release_id}/approve", headers=world.auth("reviewer")))
    problem(client.post(f"{API}/releases/{release_id}/publish", headers=world.auth("editor")),
            403)
    problem(client.post(f"{API}/releases/{release_id}/publish",
                        headers=world.auth("reviewer")), 403)


def test_a_release_transition_from_the_wrong_status_is_409(client, world, speakers):
    release_id = new_release(client, world, "SPK-OK")

    approve = problem(client.post(f"{API}/releases/{release_id}/approve",
                                  headers=world.auth("reviewer")), 409)
    ok(client.post(f"{API}/releases/{release_id}/submit", headers=world.auth("editor")))
    publish = problem(client.post(f"{API}/releases/{release_id}/publish",
                                  headers=world.auth("admin")), 409)
    add = problem(client.post(f"{API}/releases/{release_id}/items",
                              json={"channel": SHOP, "skus": ["SPK-BAD"]},
                              headers=world.auth("editor")), 409)

    assert "it is draft" in approve["detail"]
    assert "it is submitted" in publish["detail"] and "it is submitted" in add["detail"]


def test_a_rejected_release_returns_to_draft_with_the_reason(client, world, speakers):
    release_id = new_release(client, world, "SPK-OK")
    ok(client.post(f"{API}/releases/{release_id}/submit", headers=world.auth("editor")))

    rejected = ok(client.post(f"{API}/releases/{release_id}/reject",
                              json={"reason": "prices not final"},
                              headers=world.auth("reviewer")))

    assert rejected["status"] == "draft"
    assert rejected["report"] == {"rejected_by": "reviewer@pim.test",
                                  "reason": "prices not final"}


def test_items_are_added_once_and_removed(client, world, speakers):
    release_id = new_release(client, world, "SPK-OK", "SPK-BAD")
    again = ok(client.post(f"{API}/releases/{release_id}/items",
                           json={"channel": SHOP, "skus": ["SPK-OK"]},
                           headers=world.auth("editor")))

    removed = ok(client.post(f"{API}/releases/{release_id}/items/remove",
                             json={"channel": SHOP, "skus": ["SPK-BAD"]},
                             headers=world.auth("editor")))

    assert [i["sku"] for i in again["items"]] == ["SPK-OK", "SPK-BAD"]
    assert [(i["sku"], i["channel"]) for i in removed["items"]] == [("SPK-OK", SHOP)]


def test_release_problems_name_what_is_wrong(client, world, speakers):
    editor = world.auth("editor")
    missing = problem(client.get(f"{API}/releases/424242", headers=editor), 404)
    naive = problem(client.post(f"{API}/releases", headers=editor,
                                json={"name": "Later", "publish_at": "2030-01-01T09:00:00"}),
                    400)
    release_id = new_release(client, world)
    unknown = problem(client.post(f"{API}/releases/{release_id}/items", headers=editor,
                                  json={"channel": SHOP, "skus": ["SPK-OK", "NOPE"]}), 404)
    empty = problem(client.post(f"{API}/releases/{release_id}/submit", headers=editor), 422)

    assert "424242" in missing["detail"]
    assert [e["field"] for e in naive["errors"]] == ["publish_at"]
    assert "NOPE" in unknown["detail"]
    assert "no items" in empty["detail"]


def test_releases_are_listed_by_status(client, world, speakers):
    first = new_release(client, world, "SPK-OK", name="First")
    new_release(client, world, name="Second")
    ok(client.post(f"{API}/releases/{first}/submit", headers=world.auth("editor")))

    listed = ok(client.get(f"{API}/releases", params={"status": "submitted"},
                           headers=world.auth("viewer")))

    assert [(r["id"], r["name"]) for r in listed] == [(first, "First")]


# -- publishing -------------------------------------------------------------------------------

def test_publishing_reports_each_product_published_or_refused_with_the_reason(client, world,
                                                                             speakers):
    report = ok(client.post(f"{API}/channels/{SHOP}/publish",
                            json={"skus": ["SPK-OK", "SPK-BAD", "NOPE"], "ready": True},
                            headers=world.auth("admin")))

    assert report["published"] == [{"sku": "SPK-OK", "locale": "en_GB", "version": 1}]
    refused = {r["sku"]: r for r in report["refused"]}
    assert refused["NOPE"]["reason"] == "product does not exist"
    assert refused["SPK-BAD"]["reason"] == "fails the channel schema in en_GB"
    assert {(e["attribute"], e["variant_locale"]) for e in refused["SPK-BAD"]["errors"]} == {
        ("description", "en_GB"), ("image", "en_GB")}
    assert report["summary"].startswith(f"{SHOP}: 1 published")


def test_without_ready_only_approved_products_are_published(client, world, speakers):
    ok(move(client, world, "submit", ["SPK-OK"], "editor"))
    ok(move(client, world, "approve", ["SPK-OK"], "reviewer"))
    ok(move(client, world, "submit", ["SPK-BAD"], "editor"))

    report = ok(client.post(f"{API}/channels/{SHOP}/publish",
                            json={"skus": ["SPK-OK", "SPK-BAD"]}, headers=world.auth("admin")))

    assert [p["sku"] for p in report["published"]] == ["SPK-OK"]
    assert report["refused"] == [{"sku": "SPK-BAD", "reason": "not approved (status in_review)",
                                  "errors": []}]


def test_publishing_nothing_is_422_naming_the_field(client, world):
    body = problem(client.post(f"{API}/channels/{SHOP}/publish", json={},
                               headers=world.auth("admin")), 422)

    assert [e["field"] for e in body["errors"]] == ["skus"]


def test_withdrawing_takes_a_product_out_and_refuses_what_is_not_published(client, world,
                                                                          speakers):
    ok(client.post(f"{API}/channels/{SHOP}/publish", json={"skus": ["SPK-OK"], "ready": True},
                   headers=world.auth("admin")))

    report = ok(client.post(f"{API}/channels/{SHOP}/withdraw",
                            json={"skus": ["SPK-OK", "SPK-BAD"]}, headers=world.auth("admin")))

    assert report["withdrawn"] == [{"sku": "SPK-OK", "locale": "en_GB", "version": 2}]
    assert [(r["sku"], r["reason"]) for r in report["refused"]] == [
        ("SPK-BAD", "not published in this channel")]
    statuses = ok(client.get(f"{API}/products/SPK-OK/workflow", headers=world.auth("viewer")))
    assert {c["channel"]: c["status"] for c in statuses["channels"]}[SHOP] == "withdrawn"


@pytest.mark.parametrize("role", ["editor", "reviewer"])
def test_only_admins_publish_and_withdraw(client, world, speakers, role):
    publish = client.post(f"{API}/channels/{SHOP}/publish", json={"ready": True},
                          headers=world.auth(role))
    withdraw = client.post(f"{API}/channels/{SHOP}/withdraw", json={"skus": ["SPK-OK"]},
                           headers=world.auth(role))

    problem(publish, 403)
    problem(withdraw, 403)


def test_publishing_to_an_unknown_channel_is_404(client, world):
    problem(client.post(f"{API}/channels/nowhere/publish", json={"ready": True},
                        headers=world.auth("admin")), 404)


# -- listing by status ------------------------------------------------------------------------

def skus_in(client, world, **params) -> list[str]:
    return [p["sku"] for p in ok(client.get(f"{API}/products", params=params,
                                            headers=world.auth("viewer")))["items"]]


def test_products_the_channel_has_no_status_for_are_listed_as_drafts(client, world, speakers):
    everything = skus_in(client, world)
    assert skus_in(client, world, channel=SHOP, status="draft") == everything
    ok(move(client, world, "submit", ["SPK-OK"], "editor"))
    assert skus_in(client, world, channel=SHOP, status="in_review") == ["SPK-OK"]
    assert skus_in(client, world, channel=SHOP, status="draft") == [
        sku for sku in everything if sku != "SPK-OK"]
    assert skus_in(client, world, channel=SHOP, status="published") == []


def test_an_unknown_status_is_a_422_naming_it(client, world):
    viewer = world.auth("viewer")
    body = problem(client.get(f"{API}/products", params={"channel": SHOP, "status": "bogus"},
                              headers=viewer), 422)
    assert body["errors"] == [{"field": "status", "message": "'bogus' is not a workflow status; "
                               "one of draft, in_review, approved, published, withdrawn"}]
    for path, what in ((f"{API}/jobs", "job status"), (f"{API}/releases", "release status")):
        body = problem(client.get(path, params={"status": "bogus"}, headers=world.auth("admin")),
                       422)
        assert body["detail"].startswith(f"status: 'bogus' is not a {what}; one of ")


def test_listing_by_status_in_an_unknown_channel_is_404(client, world):
    problem(client.get(f"{API}/products", params={"channel": "nowhere", "status": "draft"},
                       headers=world.auth("viewer")), 404)
