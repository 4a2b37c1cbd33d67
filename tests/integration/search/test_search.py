"""Search on SQLite and PostgreSQL for real: what a product manager types finds what they
mean, facets count what SQL counts, filters narrow, edits and deletes show, hostile text
is text."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from pim.catalog.models import Category, Product, ProductCategory
from pim.db import session_factory, session_scope
from pim.errors import Invalid
from pim.search import SearchFilters, SearchQuery, build_query, index_pending, search
from pim.search.models import SearchDocument
from tests.factories import electronics, one, write

pytestmark = pytest.mark.usefixtures("demo_structure")


def _catalog() -> None:
    with session_scope() as session:
        write(session,
              electronics("SPK-1001", name=one("Enceinte élégante", "fr_FR")
                          + one("Elegant speaker", "en_GB"),
                          ean=one("5012345678900")),
              electronics("SPK-1002", name=one("Compact speaker", "en_GB"),
                          ean=one("4006381333931"),
                          description=one("<p>Pairs with SPK-1001 &amp; more</p>", "en_GB")),
              electronics("HDP-2001", name=one("Studio headphones", "en_GB"),
                          ean=one("9780201379624"), brand=one("Sonara")))
    index_pending(session_factory())


def _find(text: str = "", **kw):
    with session_scope() as session:
        return search(session, SearchQuery(text=text, **kw))


def _skus(result) -> list[str]:
    return [hit.sku for hit in result.items]


def test_an_accent_less_query_finds_a_french_name():
    _catalog()
    assert _skus(_find("enceinte elegante")) == ["SPK-1001"]
    assert _skus(_find("ÉLÉGANTE")) == ["SPK-1001"]


def test_a_sku_fragment_finds_its_products():
    _catalog()
    assert sorted(_skus(_find("k-100"))) == ["SPK-1001", "SPK-1002"]
    assert _skus(_find("2001")) == ["HDP-2001"]


def test_a_gtin_finds_its_product_first():
    _catalog()
    result = _find("4006381333931")
    assert _skus(result) == ["SPK-1002"]
    assert result.items[0].match == "sku"


def test_a_prefix_finds_the_words_it_starts():
    _catalog()
    assert _skus(_find("headph")) == ["HDP-2001"]


def test_an_exact_sku_ranks_before_a_description_mentioning_it():
    _catalog()
    assert _skus(_find("SPK-1001"))[0] == "SPK-1001"
    assert set(_skus(_find("SPK-1001"))) >= {"SPK-1001", "SPK-1002"}


def test_an_empty_query_lists_by_recency():
    _catalog()
    result = _find("")
    assert _skus(result) == ["HDP-2001", "SPK-1002", "SPK-1001"]
    assert result.total == 3 and result.total_exact


def test_facet_counts_match_a_direct_sql_count():
    _catalog()
    result = _find("speaker", facets=("family", "category", "enabled"))
    with session_scope() as session:
        in_audio = session.scalar(
            select(func.count()).select_from(ProductCategory)
            .join(Category, Category.id == ProductCategory.category_id)
            .join(Product, Product.id == ProductCategory.product_id)
            .where(Category.code == "audio", Product.sku.in_(["SPK-1001", "SPK-1002"])))
    categories = {f.value: f.count for f in result.facets["category"]}
    assert categories["audio"] == in_audio == 2
    assert categories["electronics"] == 2  # an ancestor counts its descendants' products
    assert {f.value: f.count for f in result.facets["family"]} == {"electronics": 2}
    assert {f.value: f.count for f in result.facets["enabled"]} == {"true": 2}


def test_a_category_filter_takes_its_descendants():
    _catalog()
    assert len(_find(filters=SearchFilters(category=("electronics",))).items) == 3
    assert _find(filters=SearchFilters(category=("tv",))).items == []


def test_an_edit_is_found_once_indexed():
    _catalog()
    with session_scope() as session:
        write(session, electronics("HDP-2001", name=one("Wireless earbuds", "en_GB")))
    index_pending(session_factory())
    assert _skus(_find("earbuds")) == ["HDP-2001"]
    assert _find("studio").items == []


def test_a_disabled_product_is_filtered_and_a_deleted_one_gone():
    _catalog()
    with session_scope() as session:
        record = electronics("SPK-1002")
        record.enabled = False
        write(session, record)
    index_pending(session_factory())
    assert _skus(_find("speaker", filters=SearchFilters(enabled=True))) == ["SPK-1001"]
    with session_scope() as session:
        session.execute(delete(Product).where(Product.sku == "SPK-1001"))
    assert _find("elegante").items == []
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(SearchDocument)) == 2


@pytest.mark.parametrize("text", [
    '"', '""speaker', "speaker*", "-speaker", "speaker NEAR compact", "NEAR(a b)", "'",
    "%", "_", "100%", "a_b", "\\", "\\\\%", "speaker\x00\x01\x1f", "x" * 10_000,
    "speaker " * 2000, "AND OR NOT", "col:speaker", "{identifiers}: 1", "^speaker",
    "(speaker", "sp'eaker", "😀", "\u202espeaker",
])
def test_hostile_queries_are_text(text):
    _catalog()
    result = _find(text)
    assert isinstance(result.total, int)


def test_query_syntax_matches_only_as_text():
    _catalog()
    assert _find("%").items == [] and _find("_").items == []
    assert sorted(_skus(_find('"speaker'))) == ["SPK-1001", "SPK-1002"]


def test_unknown_filters_and_facets_are_refused_by_name():
    with session_scope() as session:
        with pytest.raises(Invalid, match="colur"):
            build_query(session, filters={"colur": "red"})
        with pytest.raises(Invalid, match="brnd"):
            build_query(session, facets="family,brnd")
        with pytest.raises(Invalid, match="price"):
            build_query(session, sort="price")
        assert build_query(session, filters={"colour": "red"}, facets="brand").facets == (
            "brand",)


def test_pages_follow_their_cursor():
    _catalog()
    seen: list[str] = []
    cursor = None
    while True:
        result = _find("", limit=2, cursor=cursor)
        seen += _skus(result)
        cursor = result.next_cursor
        if cursor is None:
            break
    assert seen == ["HDP-2001", "SPK-1002", "SPK-1001"]
    relevance = _find("speaker", limit=1)
    second = _find("speaker", limit=1, cursor=relevance.next_cursor)
    assert {*_skus(relevance), *_skus(second)} == {"SPK-1001", "SPK-1002"}


def test_channel_status_completeness_and_errors_filter_and_facet():
    from pim.auth.actor import SYSTEM
    from pim.workflow.models import Completeness, ProductChannelStatus
    from pim.workflow.transitions import submit_for_review

    _catalog()
    with session_scope() as session:
        submit_for_review(session, "webshop-uk", ["SPK-1001"], actor=SYSTEM)
    in_review = SearchFilters(channel="webshop-uk", status=("in_review",))
    assert _skus(_find("", filters=in_review)) == ["SPK-1001"]
    drafts = SearchFilters(channel="webshop-uk", status=("draft",))
    assert sorted(_skus(_find("", filters=drafts))) == ["HDP-2001", "SPK-1002"]
    result = _find("", filters=SearchFilters(channel="webshop-uk"), facets=("status",))
    with session_scope() as session:
        reviewed = session.scalar(select(func.count()).select_from(ProductChannelStatus).where(
            ProductChannelStatus.channel_code == "webshop-uk",
            ProductChannelStatus.status == "in_review"))
        below = set(session.scalars(
            select(Product.sku).join(Completeness, Completeness.product_id == Product.id)
            .where(Completeness.channel_code == "webshop-uk", Completeness.percent < 100)))
        erring = set(session.scalars(
            select(Product.sku).join(Completeness, Completeness.product_id == Product.id)
            .where(Completeness.channel_code == "webshop-uk",
                   func.json_array_length(Completeness.errors) > 0)
            if session.get_bind().dialect.name == "sqlite" else
            select(Product.sku).join(Completeness, Completeness.product_id == Product.id)
            .where(Completeness.channel_code == "webshop-uk",
                   func.jsonb_array_length(Completeness.errors) > 0)))
    assert {f.value: f.count for f in result.facets["status"]} == {
        "in_review": reviewed, "draft": 3 - reviewed}
    incomplete = SearchFilters(channel="webshop-uk", completeness_below=100)
    assert set(_skus(_find("", filters=incomplete))) == below
    assert below  # the factory's products lack images and descriptions there
    with_errors = SearchFilters(channel="webshop-uk", has_errors=True)
    assert set(_skus(_find("", filters=with_errors))) == erring


def test_filters_needing_a_channel_are_refused_without_one():
    with pytest.raises(Invalid, match="channel"):
        _find("", filters=SearchFilters(status=("draft",)))
    with pytest.raises(Invalid, match="channel"):
        _find("", facets=("status",))


def test_select_options_and_brand_are_facets_and_filters():
    _catalog()
    with session_scope() as session:
        query = build_query(session, text="", filters={"brand": "Sonara"},
                            facets=["brand", "features"])
        result = search(session, query)
    assert _skus(result) == ["HDP-2001"]
    assert [(f.value, f.count) for f in result.facets["brand"]] == [("Sonara", 1)]


def test_a_variant_is_found_by_its_models_values():
    from pim.catalog.product_models import write_product_models
    from pim.catalog.products import CatalogCache, WritePolicy
    from pim.records import ProductRecord

    with session_scope() as session:
        write_product_models(session, [ProductRecord(
            sku="JKT", kind="product_model", family="apparel", family_variant=None,
            values={"name": one("Stormproof jacket", "en_GB")})], actor="t", source="api",
            policy=WritePolicy("system"), cache=CatalogCache(session))
    with session_scope() as session:
        write(session, ProductRecord(sku="JKT-M", family="apparel", parent="JKT",
                                     values={}))
    index_pending(session_factory())
    assert _skus(_find("stormproof")) == ["JKT-M"]
    assert _skus(_find("JKT")) == ["JKT-M"]


def test_a_misspelt_word_finds_similar_names_on_postgresql(database):
    _catalog()
    result = _find("headphnes")
    if database.engine == "sqlite":
        assert result.items == []  # SQLite has no similarity index: prefixes and fragments
    else:
        assert _skus(result) == ["HDP-2001"]
        assert result.items[0].match == "similar"


def _lowest_percent_and_errors(locale: str | None) -> tuple[dict[int, int], set[int]]:
    """Straight from the completeness table: each product's lowest percentage in webshop-uk
    (or in one locale there) and the products with validation errors there."""
    from pim.workflow.models import Completeness

    scope = [Completeness.channel_code == "webshop-uk"]
    if locale:
        scope.append(Completeness.locale == locale)
    with session_scope() as session:
        length = (func.jsonb_array_length if session.get_bind().dialect.name == "postgresql"
                  else func.json_array_length)
        lowest = dict(session.execute(
            select(Completeness.product_id, func.min(Completeness.percent))
            .where(*scope).group_by(Completeness.product_id)).all())
        erring = set(session.scalars(select(Completeness.product_id).where(
            *scope, length(Completeness.errors) > 0)))
    return lowest, erring


def _band(percent: int) -> str:
    return ("complete" if percent >= 100 else "high" if percent >= 80
            else "mid" if percent >= 50 else "low")


@pytest.mark.parametrize("locale", [None, "en_GB"])
def test_completeness_band_and_error_facets_count_what_sql_counts(locale):
    from collections import Counter

    from pim.records import ProductRecord

    _catalog()
    with session_scope() as session:  # a fourth product, with a name only: a lower band
        write(session, ProductRecord(sku="SPK-1003", family="electronics", categories=["audio"],
                                     values={"name": one("Tower speaker", "en_GB")}))
    index_pending(session_factory())
    lowest, erring = _lowest_percent_and_errors(locale)
    assert len(set(map(_band, lowest.values()))) >= 2  # the catalog spans bands
    for text in ("", "speaker"):
        result = _find(text, filters=SearchFilters(channel="webshop-uk", locale=locale),
                       facets=("completeness", "has_errors"))
        matched = {hit.product_id for hit in result.items}
        bands = Counter(_band(p) for i, p in lowest.items() if i in matched)
        assert {f.value: f.count for f in result.facets["completeness"]} == dict(bands)
        with_errors = len(matched & erring)
        assert {f.value: f.count for f in result.facets["has_errors"]} == {
            k: v for k, v in (("true", with_errors), ("false", len(matched) - with_errors))
            if v}


def test_each_band_facet_count_is_what_its_filter_finds():
    from pim.search import band_filters

    _catalog()
    channel = {"channel": "webshop-uk"}
    with session_scope() as session:
        counted = search(session, build_query(session, filters=channel,
                                              facets="completeness,has_errors"))
        for facet in counted.facets["completeness"]:
            found = search(session, build_query(
                session, filters={**channel, **band_filters(facet.value)}))
            assert found.total == facet.count, facet.value
        for facet in counted.facets["has_errors"]:
            found = search(session, build_query(
                session, filters={**channel, "has_errors": facet.value}))
            assert found.total == facet.count, facet.value


def test_channel_facets_need_a_channel():
    for name in ("completeness", "has_errors"):
        with pytest.raises(Invalid, match=f"{name} facet needs a channel"):
            _find("", facets=(name,))


def test_a_broad_word_pages_in_the_same_order_with_and_without_a_filter(monkeypatch):
    """SQLite reads a broad word's unfiltered pages along the recency index (a fast path);
    a filter that keeps every product takes the general query: both rank alike, names
    before descriptions, then the most recently updated, across the tiers' boundary."""
    from datetime import UTC, datetime

    from pim.search import sql

    _catalog()
    for sku, where in (("SPK-1003", "name"), ("CAB-1", "description"), ("CAB-2", "description"),
                       ("SPK-1004", "name")):
        with session_scope() as session:  # one transaction each: distinct update times
            text = one("Bookshelf speaker", "en_GB")
            write(session, electronics(sku, **{where: text} if where == "name" else {
                "name": one(f"Cable {sku}", "en_GB"), "description": text}))
    index_pending(session_factory())
    monkeypatch.setattr(sql, "BM25_MATCHES", 1)  # "speaker" is a broad word here
    keep_all = SearchFilters(updated_since=datetime(2000, 1, 1, tzinfo=UTC))
    pages = {}
    for filters in (SearchFilters(), keep_all):
        seen, cursor = [], None
        while True:
            result = _find("speaker", filters=filters, limit=2, cursor=cursor)
            seen += _skus(result)
            if (cursor := result.next_cursor) is None:
                break
        pages[filters == keep_all] = seen
    assert pages[False] == pages[True]
    assert pages[False][-2:] == ["CAB-2", "CAB-1"]  # descriptions last, newest first
    assert pages[False][0] == "SPK-1004" and len(pages[False]) == 6


def test_a_reindex_rewrites_what_changed_and_keeps_the_rest_found():
    from pim.search import reindex

    _catalog()
    with session_scope() as session:
        write(session, electronics("HDP-2001", name=one("Wireless earbuds", "en_GB")))
    reindex(session_factory())  # the earbuds indexed by the reindex, the rest unchanged
    reindex(session_factory())  # nothing changed: every entry kept as it is
    assert _skus(_find("earbuds")) == ["HDP-2001"] and _find("studio").items == []
    assert _skus(_find("elegante")) == ["SPK-1001"]
    assert _skus(_find("4006381333931")) == ["SPK-1002"]
    assert sorted(_skus(_find("k-100"))) == ["SPK-1001", "SPK-1002"]


def test_pages_with_facets_are_the_pages_without():
    """With facets, the relevance page comes from the statement that counts them."""
    _catalog()
    pages = {}
    for facets in ((), ("family", "category")):
        seen, cursor = [], None
        while True:
            result = _find("speaker", filters=SearchFilters(family=("electronics",)),
                           facets=facets, limit=1, cursor=cursor)
            seen += [(hit.sku, hit.match) for hit in result.items]
            if (cursor := result.next_cursor) is None:
                break
        pages[facets] = seen
    assert pages[()] == pages[("family", "category")]
    assert sorted(sku for sku, _ in pages[()]) == ["SPK-1001", "SPK-1002"]


def _status_counts_in_sql(channel: str) -> dict[str, int]:
    """Statuses in ``channel`` counted directly: the products it carries (its completeness
    rows), a missing status row read as draft."""
    from pim.workflow.models import Completeness, ProductChannelStatus

    carried = (select(Completeness.product_id).where(Completeness.channel_code == channel)
               .distinct().subquery())
    status = func.coalesce(ProductChannelStatus.status, "draft")
    with session_scope() as session:
        return dict(session.execute(
            select(status, func.count()).select_from(carried)
            .outerjoin(ProductChannelStatus, (ProductChannelStatus.product_id
                                              == carried.c.product_id)
                       & (ProductChannelStatus.channel_code == channel))
            .group_by(status)).all())


def test_statuses_count_and_filter_within_the_channels_assortment():
    from pim.auth.actor import SYSTEM
    from pim.records import ProductRecord
    from pim.workflow.models import ProductChannelStatus
    from pim.workflow.transitions import submit_for_review

    _catalog()  # electronics: shopify-store carries apparel only
    with session_scope() as session:
        write(session, ProductRecord(sku="TSH-1", family="apparel",
                                     categories=["clothing_men"],
                                     values={"name": one("Oakline speaker tee", "en_GB")}),
              ProductRecord(sku="TSH-2", family="apparel", categories=["clothing_women"],
                            values={"name": one("Oakline tee", "en_GB")}))
        submit_for_review(session, "shopify-store", ["TSH-2"], actor=SYSTEM)
        # a status left from when the channel carried an electronics product
        spk = session.scalar(select(Product.id).where(Product.sku == "SPK-1001"))
        session.add(ProductChannelStatus(product_id=spk, channel_code="shopify-store",
                                         status="published"))
    index_pending(session_factory())
    shop = SearchFilters(channel="shopify-store")
    expected = _status_counts_in_sql("shopify-store")
    assert expected == {"draft": 1, "in_review": 1}
    every = _find("", filters=shop, facets=("status",))
    assert {f.value: f.count for f in every.facets["status"]} == expected
    assert every.total == 5  # the search itself still finds every product
    # the same through the matching products of a text and a filter
    texts = _find("speaker", filters=shop, facets=("status",))
    assert {f.value: f.count for f in texts.facets["status"]} == {"draft": 1}  # TSH-1
    filtered = _find("", filters=SearchFilters(channel="shopify-store", enabled=True),
                     facets=("status",))
    assert {f.value: f.count for f in filtered.facets["status"]} == expected
    drafts = SearchFilters(channel="shopify-store", status=("draft",))
    assert _skus(_find("", filters=drafts)) == ["TSH-1"]
    published = SearchFilters(channel="shopify-store", status=("published",))
    assert _skus(_find("", filters=published)) == []
    assert _skus(_find("", filters=SearchFilters(channel="shopify-store",
                                                 status=("draft", "in_review")),
                       sort="sku")) == ["TSH-1", "TSH-2"]
    # webshop-uk carries all five: its counts are every product's
    uk = _find("", filters=SearchFilters(channel="webshop-uk"), facets=("status",))
    assert {f.value: f.count for f in uk.facets["status"]} == _status_counts_in_sql(
        "webshop-uk") == {"draft": 5}


def test_a_search_asked_for_no_total_counts_no_further_than_its_page():
    _catalog()
    filters = SearchFilters(family=("electronics",))
    counted = _find("speaker", filters=filters, limit=1)
    uncounted = _find("speaker", filters=filters, limit=1, count_total=False)
    assert (counted.total, counted.total_exact) == (2, True)
    # the page and one more (there is a next page), a lower bound
    assert (uncounted.total, uncounted.total_exact) == (2, False)
    assert _skus(uncounted) == _skus(counted)
    assert uncounted.next_cursor == counted.next_cursor
    whole = _find("speaker", filters=filters, limit=5, count_total=False)
    assert (whole.total, whole.total_exact) == (2, True)  # the first page holds every match
    later = _find("speaker", filters=filters, limit=1, count_total=False,
                  cursor=counted.next_cursor)
    assert len(later.items) == 1 and later.total_exact is False


def test_words_only_filtered_out_are_not_taken_for_misspellings(database):
    from pim.records import ProductRecord

    _catalog()
    with session_scope() as session:  # a name similar to "speaker" (pg_trgm), no prefix of it
        write(session, ProductRecord(sku="TEE-1", family="apparel", categories=["clothing_men"],
                                     values={"name": one("Speakeer tee", "en_GB")}))
    index_pending(session_factory())
    # "speaker" is in the catalog, just not among apparel: nothing, not similar names
    result = _find("speaker", filters=SearchFilters(family=("apparel",)))
    assert result.items == [] and result.total == 0
    # a misspelling is still tried as one under a filter
    typo = _find("headphnes", filters=SearchFilters(family=("electronics",)))
    assert _skus(typo) == ([] if database.engine == "sqlite" else ["HDP-2001"])
