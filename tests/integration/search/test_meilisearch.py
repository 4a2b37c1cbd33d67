"""The Meilisearch backend against the official client's real requests, answered by
responses recorded from Meilisearch (``meili_peer``): index settings, batches, task
waiting, failed tasks as job errors, the swap of a full reindex, search request shapes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pim.catalog.models import Product
from pim.db import session_factory, session_scope
from pim.jobs import TransientError
from pim.search import SearchFilters, SearchQuery, health, index_pending, reindex, search
from pim.search.meili import FILTERABLE, SEARCHABLE, SORTABLE, MeilisearchTaskFailed
from pim.search.settings import reset_search_settings
from tests.factories import electronics, one, write
from tests.integration.search.meili_peer import MeiliPeer

pytestmark = pytest.mark.usefixtures("demo_structure")


@pytest.fixture
def peer(monkeypatch):
    from pim.search import service

    running = MeiliPeer().start()
    monkeypatch.setenv("PIM_MEILISEARCH_URL", running.url)
    monkeypatch.setenv("PIM_MEILISEARCH_KEY", "masterKey-for-tests")
    monkeypatch.setenv("PIM_MEILISEARCH_BATCH_SIZE", "2")
    monkeypatch.setenv("PIM_MEILISEARCH_TASK_TIMEOUT", "0.3")
    reset_search_settings()
    service._backends.clear()
    yield running
    running.stop()
    service._backends.clear()
    reset_search_settings()


def _three_products() -> None:
    with session_scope() as session:
        write(session, electronics("SPK-1", name=one("Enceinte élégante", "fr_FR")),
              electronics("SPK-2"), electronics("SPK-3", brand=one("Sonara")))


def test_the_first_write_creates_the_index_and_applies_its_settings_once(peer):
    _three_products()
    assert index_pending(session_factory()) == 3
    writes = peer.writes()
    create, settings = writes[0], writes[1]
    assert (create.method, create.path, create.body) == (
        "POST", "/indexes", {"uid": "products", "primaryKey": "id"})
    assert (settings.method, settings.path) == ("PATCH", "/indexes/products/settings")
    assert settings.body["searchableAttributes"] == SEARCHABLE
    assert {"family", "categories", "status", "terms", "completeness_min"} <= set(
        settings.body["filterableAttributes"])
    assert settings.body["sortableAttributes"] == ["updated_at", "created_at", "sku"]
    assert settings.body["typoTolerance"]["disableOnAttributes"] == ["sku", "identifiers"]
    assert settings.body["pagination"] == {"maxTotalHits": 10000}
    assert all(r.headers["authorization"] == "Bearer masterKey-for-tests"
               for r in peer.requests)
    # three documents in batches of two, each task awaited
    batches = [r for r in writes if r.path == "/indexes/products/documents"]
    assert [len(r.body) for r in batches] == [2, 1]
    assert all(r.query == {"primaryKey": ["id"]} for r in batches)
    awaited = {int(r.path.rsplit("/", 1)[1]) for r in peer.requests
               if r.path.startswith("/tasks/")}
    assert awaited == set(peer.tasks)
    document = next(d for r in batches for d in r.body if d["sku"] == "SPK-1")
    assert document["labels"]["fr_FR"] == "Enceinte élégante"
    assert {"audio", "electronics", "master"} <= set(document["categories"])
    assert document["status"]["webshop_uk"] == "draft"
    assert "shopify_store" not in document["status"]  # apparel only: no status there
    assert isinstance(document["updated_at"], int)
    # settings are not sent again by the next write
    with session_scope() as session:
        write(session, electronics("SPK-2", name=one("Renamed", "en_GB")))
    index_pending(session_factory())
    assert sum(r.path.endswith("/settings") for r in peer.requests) == 1


def test_a_failed_task_fails_the_indexing_and_leaves_the_products_dirty(peer):
    _three_products()
    peer.fail_types.add("documentAdditionOrUpdate")
    with pytest.raises(MeilisearchTaskFailed, match="invalid_document_id"):
        index_pending(session_factory())
    with session_scope() as session:
        dirty = session.scalar(select(func.count()).select_from(Product)
                               .where(Product.search_dirty.is_(True)))
    assert dirty == 3


def test_a_task_still_pending_after_the_timeout_is_a_transient_error(peer):
    _three_products()
    peer.stall = True
    with pytest.raises(TransientError, match="still pending"):
        index_pending(session_factory())


def test_an_unreachable_server_is_a_transient_error_and_health_says_so(peer):
    _three_products()
    peer.stop()
    with pytest.raises(TransientError):
        index_pending(session_factory())
    with session_scope() as session:
        assert health(session)["ok"] is False


def test_search_sends_words_filters_facets_and_sort_as_meilisearch_reads_them(peer):
    _three_products()
    index_pending(session_factory())
    peer.search_answer = {
        "hits": [{"id": 1, "sku": "SPK-1", "family": "electronics", "enabled": True,
                  "labels": {"fr_FR": "Enceinte élégante"}, "identifiers": ["SPK-1"],
                  "created_at": 1796650000, "updated_at": 1796650000}],
        "estimatedTotalHits": 1,
        "facetDistribution": {"family": {"electronics": 1},
                              "status.webshop_uk": {"draft": 1}}}
    with session_scope() as session:
        result = search(session, SearchQuery(
            text='"élégante" -enceinte* NEAR(x) %_\\',
            filters=SearchFilters(family=("electronics", 'we"ird'), category=("audio",),
                                  channel="webshop-uk", status=("draft", "in_review"),
                                  completeness_below=80, enabled=True),
            facets=("family", "status"), limit=20))
    sent = [r for r in peer.requests if r.path == "/indexes/products/search"][-1].body
    assert sent["q"] == "elegante enceinte near x"  # words only: no syntax reaches it
    assert sent["filter"] == [
        'family IN ["electronics", "we\\"ird"]', 'categories IN ["audio"]', "enabled = true",
        'status.webshop_uk IN ["draft", "in_review"]', "completeness_min.webshop_uk < 80"]
    assert sent["facets"] == ["family", "status.webshop_uk"]
    assert (sent["offset"], sent["limit"]) == (0, 21)
    assert "sort" not in sent  # relevance
    assert [h.sku for h in result.items] == ["SPK-1"]
    assert result.facets["status"][0].value == "draft" and result.total == 1
    with session_scope() as session:
        search(session, SearchQuery(text="", sort="sku"))
    sent = [r for r in peer.requests if r.path == "/indexes/products/search"][-1].body
    assert sent["sort"] == ["sku:asc"] and sent["q"] == ""


def test_a_full_reindex_fills_a_new_index_and_swaps_it_in(peer):
    _three_products()
    reindex(session_factory())
    writes = [(r.method, r.path) for r in peer.writes()]
    created = [r.body["uid"] for r in peer.writes() if r.path == "/indexes"]
    temporary = created[-1]
    assert temporary.startswith("products_reindex_")
    assert ("POST", f"/indexes/{temporary}/documents") in writes
    assert ("POST", "/indexes/products/documents") not in writes  # the live one untouched
    swap = next(r for r in peer.writes() if r.path == "/swap-indexes")
    assert swap.body == [{"indexes": ["products", temporary]}]
    assert writes[-1] == ("DELETE", f"/indexes/{temporary}")
    assert writes.index(("POST", "/swap-indexes")) > writes.index(
        ("POST", f"/indexes/{temporary}/documents"))


def test_health_asks_the_server(peer):
    with session_scope() as session:
        state = health(session)
    assert state["ok"] is True and state["backend"] == "meilisearch"
    assert peer.requests[-1].path == "/health"


def test_completeness_band_and_error_facets_read_the_documents_channel_fields(peer):
    from pim.workflow.models import Completeness

    _three_products()
    index_pending(session_factory())
    sent_documents = [d for r in peer.writes() if r.path == "/indexes/products/documents"
                      for d in r.body]
    with session_scope() as session:
        lowest = dict(session.execute(
            select(Product.sku, func.min(Completeness.percent))
            .join(Completeness, Completeness.product_id == Product.id)
            .where(Completeness.channel_code == "webshop-uk").group_by(Product.sku)).all())
    assert lowest
    for document in sent_documents:
        percent = lowest[document["sku"]]
        band = ("complete" if percent >= 100 else "high" if percent >= 80
                else "mid" if percent >= 50 else "low")
        assert document["completeness_band"]["webshop_uk"] == band
    peer.search_answer = {
        "hits": [], "estimatedTotalHits": 3,
        "facetDistribution": {"completeness_band.webshop_uk": {"mid": 2, "low": 1},
                              "has_errors.webshop_uk": {"true": 3}}}
    with session_scope() as session:
        result = search(session, SearchQuery(filters=SearchFilters(channel="webshop-uk"),
                                             facets=("completeness", "has_errors")))
        search(session, SearchQuery(filters=SearchFilters(channel="webshop-uk",
                                                          locale="en_GB"),
                                    facets=("completeness",)))
    searches = [r.body for r in peer.requests if r.path == "/indexes/products/search"]
    assert searches[-2]["facets"] == ["completeness_band.webshop_uk", "has_errors.webshop_uk"]
    assert searches[-1]["facets"] == ["completeness_band_locale.webshop_uk.en_GB"]
    assert [(f.value, f.count) for f in result.facets["completeness"]] == [("mid", 2),
                                                                          ("low", 1)]
    assert [(f.value, f.count) for f in result.facets["has_errors"]] == [("true", 3)]


def _searches(peer: MeiliPeer) -> list:
    return [(r.method, r.path) for r in peer.requests if not r.path.startswith("/tasks/")]


def test_a_search_first_completes_settings_an_older_version_left(peer):
    # An index set up before the completeness and error facets existed, by another process.
    peer.indexes.add("products")
    peer.settings["products"] = {"filterableAttributes": [
        a for a in FILTERABLE if a not in ("completeness_band", "has_errors")],
        "sortableAttributes": SORTABLE}
    peer.search_answer = {"hits": [], "estimatedTotalHits": 0, "facetDistribution": {}}
    query = SearchQuery(filters=SearchFilters(channel="webshop-uk"),
                        facets=("completeness", "has_errors"))
    with session_scope() as session:
        search(session, query)
        search(session, query)
    assert _searches(peer) == [
        ("GET", "/indexes/products/settings"), ("POST", "/indexes"),
        ("PATCH", "/indexes/products/settings"), ("POST", "/indexes/products/search"),
        ("POST", "/indexes/products/search")]  # the second search asks nothing again
    assert set(FILTERABLE) <= set(peer.settings["products"]["filterableAttributes"])
    settings_task = next(uid for uid, task in peer.tasks.items()
                         if task["type"] == "settingsUpdate")
    first_search = next(i for i, r in enumerate(peer.requests)
                        if r.path.endswith("/search"))
    assert f"/tasks/{settings_task}" in [r.path for r in peer.requests[:first_search]]


def test_a_search_over_complete_settings_only_reads_them_once(peer):
    peer.indexes.add("products")
    # Meilisearch 1.14+ may answer filterable attributes as patterns
    peer.settings["products"] = {
        "filterableAttributes": [{"attributePatterns": FILTERABLE,
                                  "features": {"facetSearch": False}}],
        "sortableAttributes": SORTABLE}
    peer.search_answer = {"hits": [], "estimatedTotalHits": 0}
    with session_scope() as session:
        search(session, SearchQuery(text="speaker"))
        search(session, SearchQuery(text="jacket"))
    assert _searches(peer) == [("GET", "/indexes/products/settings"),
                               ("POST", "/indexes/products/search"),
                               ("POST", "/indexes/products/search")]


def test_a_search_before_any_index_exists_finds_nothing_and_creates_nothing(peer):
    with session_scope() as session:
        result = search(session, SearchQuery(text="speaker"))
        search(session, SearchQuery(text="speaker"))
    assert result.items == [] and result.total == 0
    assert _searches(peer) == [("GET", "/indexes/products/settings"),
                               ("POST", "/indexes/products/search")] * 2
    assert "products" not in peer.indexes
