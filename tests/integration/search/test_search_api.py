"""``GET /api/v1/search`` and the product list's ``search=``: items, facet counts, totals,
cursors, and a 422 naming what the search does not know."""

from __future__ import annotations

from pim.db import session_factory, session_scope
from pim.search import index_pending
from tests.factories import electronics, one, write


def _indexed() -> None:
    with session_scope() as session:
        write(session, electronics("Q-1", name=one("Quasar headphones", "en_GB")),
              electronics("Q-2", name=one("Quasar speaker", "en_GB")))
    index_pending(session_factory())


def test_search_answers_items_facets_and_total(client, world):
    _indexed()
    response = client.get("/api/v1/search", params={
        "q": "quasar", "facets": "family,category", "limit": 1},
        headers=world.auth("viewer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2 and body["total_exact"] is True
    assert len(body["items"]) == 1 and body["next_cursor"]
    assert {f["value"]: f["count"] for f in body["facets"]["family"]} == {"electronics": 2}
    assert {"audio", "electronics"} <= {f["value"] for f in body["facets"]["category"]}
    following = client.get("/api/v1/search", params={
        "q": "quasar", "limit": 1, "cursor": body["next_cursor"]},
        headers=world.auth("viewer")).json()
    assert {following["items"][0]["sku"], body["items"][0]["sku"]} == {"Q-1", "Q-2"}


def test_an_unknown_filter_or_facet_is_a_422_naming_it(client, world):
    viewer = world.auth("viewer")
    unknown = client.get("/api/v1/search", params={"q": "x", "colur": "red"}, headers=viewer)
    assert unknown.status_code == 422
    assert "colur" in unknown.text
    facet = client.get("/api/v1/search", params={"facets": "family,price"}, headers=viewer)
    assert facet.status_code == 422
    assert "price" in facet.text
    status = client.get("/api/v1/search", params={"status": "draft"}, headers=viewer)
    assert status.status_code == 422
    assert "channel" in status.text


def test_hostile_text_is_searched_as_text(client, world):
    _indexed()
    for text in ['"quasar', "quasar*", "NEAR(quasar)", "%", "\\", "x" * 10_000]:
        response = client.get("/api/v1/search", params={"q": text},
                              headers=world.auth("viewer"))
        assert response.status_code == 200, (text, response.text)
