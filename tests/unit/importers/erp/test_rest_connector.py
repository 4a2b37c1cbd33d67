"""The generic REST connector against a local HTTP source: every pagination style, the
changed_since filter, auth failures, retries and bounds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from importers.erp import (
    ErpAuthError,
    ErpProduct,
    ErpProtocolError,
    ErpUnavailable,
    PullEnd,
    open_connector,
    parse_connector,
)
from pim.records import RowError
from tests.rest_erp import TOKEN, RestErp, rest_items

STYLES = {
    "page": {"style": "page", "items": "data", "size": 2, "size_param": "limit"},
    "offset": {"style": "offset", "items": "data", "size": 2, "size_param": "limit"},
    "cursor": {"style": "cursor", "items": "data", "size": 2, "size_param": "limit",
               "next_cursor": "meta.next"},
    "link": {"style": "link", "size": 2, "size_param": "limit"},
}


@pytest.fixture
def serve():
    servers = []

    def start(items, **kw):
        server = RestErp(items, **kw)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def config(server, style="link", **overrides):
    return parse_connector({
        "connector": "rest", "name": "shop-erp", "url": server.url, "family": "parts",
        "auth": {"bearer_env": "PIM_TEST_REST_TOKEN"}, "pagination": STYLES[style],
        "changed_since": {"param": "updated_since"},
        "fields": {"sku": "sku", "key": "id", "active": "active", "modified_at": "updated_at"},
        "mapping": {"title": "erp_name", "pricing.net": {"attribute": "price", "currency": "EUR"}},
        "stock": {"stock.uk": "warehouse_uk"}, "retries": 2, "timeout": 5, **overrides})


def pull(cfg, since=None, sleeps=None):
    with open_connector(cfg) as source:
        if sleeps is not None:
            source.http._sleep = sleeps.append
        items = list(source.pull(since))
    assert isinstance(items[-1], PullEnd)
    return items[:-1], items[-1]


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("PIM_TEST_REST_TOKEN", TOKEN)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_pagination_style_reads_every_item_once(serve, style):
    server = serve(rest_items(7), style=style)
    items, end = pull(config(server, style))
    assert [i.record.sku for i in items] == [f"R-{i:03d}" for i in range(1, 8)]
    assert len(server.requests) == 4  # 2 + 2 + 2 + 1
    assert end.read == 7 and end.present_keys == {str(1000 + i) for i in range(1, 8)}


@pytest.mark.parametrize("style", ["page", "offset"])
def test_a_full_last_page_ends_with_an_empty_one(serve, style):
    server = serve(rest_items(4), style=style)
    items, _ = pull(config(server, style))
    assert len(items) == 4 and len(server.requests) == 3


def test_items_are_mapped_field_by_field(serve):
    server = serve(rest_items(3))
    items, end = pull(config(server))
    first, third = items[0], items[2]
    assert isinstance(first, ErpProduct) and first.key == "1001"
    assert first.record.values == {
        "erp_name": [{"locale": None, "scope": None, "data": "Item 1"}],
        "price": [{"locale": None, "scope": None,
                   "data": [{"amount": "1.50", "currency": "EUR"}]}]}
    assert first.record.stock == {"warehouse_uk": Decimal(2)}
    assert first.record.enabled is None
    assert (third.active, third.record.enabled) == (False, False)
    assert end.watermark == datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_incremental_pull_sends_the_watermark_less_the_overlap(serve):
    items = rest_items(4)
    items[1]["updated_at"] = "2026-12-02T08:00:00Z"
    server = serve(items)
    found, end = pull(config(server, overlap="1m"), since=datetime(2026, 12, 2, 8, tzinfo=UTC))
    assert [i.record.sku for i in found] == ["R-002"]
    assert server.requests[0].query["updated_since"] == "2026-12-02T07:59:00Z"
    assert end.present_keys is None  # an incremental pull cannot see deletions
    assert end.watermark == datetime(2026, 12, 2, 8, tzinfo=UTC)


def test_a_wrong_token_is_an_auth_error_without_the_token(serve, monkeypatch):
    monkeypatch.setenv("PIM_TEST_REST_TOKEN", "not-the-token-42")
    server = serve(rest_items(2))
    with pytest.raises(ErpAuthError) as raised:
        pull(config(server))
    assert "HTTP 401" in str(raised.value)
    assert "not-the-token-42" not in str(raised.value)
    assert len(server.requests) == 1  # an auth failure is not retried


def test_an_api_key_header_is_sent_as_configured(serve, monkeypatch):
    server = serve(rest_items(2), auth="header")
    items, _ = pull(config(server, auth={"header": "X-Api-Key",
                                         "value_env": "PIM_TEST_REST_TOKEN"}))
    assert len(items) == 2
    assert server.requests[0].headers["x-api-key"] == TOKEN


def test_a_forbidden_answer_is_an_auth_error(serve):
    server = serve(rest_items(2), fail=lambda n, r: 403)
    with pytest.raises(ErpAuthError, match="HTTP 403"):
        pull(config(server))


def test_network_errors_and_503s_are_retried_with_backoff(serve):
    server = serve(rest_items(5), fail=lambda n, r: {0: 503, 2: "drop"}.get(n))
    sleeps: list[float] = []
    items, _ = pull(config(server), sleeps=sleeps)
    assert len(items) == 5
    assert sleeps == [0.5, 0.5]


def test_a_source_that_keeps_failing_is_unavailable_after_the_retries(serve):
    server = serve(rest_items(5), fail=lambda n, r: 503)
    sleeps: list[float] = []
    with pytest.raises(ErpUnavailable, match="after 3 attempts") as raised:
        pull(config(server), sleeps=sleeps)
    assert sleeps == [0.5, 1.0]
    assert TOKEN not in str(raised.value)


def test_other_errors_are_not_retried(serve):
    server = serve(rest_items(5), fail=lambda n, r: 500)
    with pytest.raises(ErpProtocolError, match="HTTP 500"):
        pull(config(server))
    assert len(server.requests) == 1


def test_an_answer_larger_than_the_bound_is_refused(serve):
    items = rest_items(2)
    items[0]["title"] = "x" * 5000
    server = serve(items)
    with pytest.raises(ErpProtocolError, match="larger than 2048 bytes"):
        pull(config(server, max_response_bytes=2048))


def test_a_next_link_to_another_host_is_refused(serve):
    server = serve(rest_items(5))
    original = server.page

    def elsewhere(path, query):
        status, body, headers = original(path, query)
        if "link" in headers:
            headers["link"] = '<http://example.invalid/api/products?start=2>; rel="next"'
        return status, body, headers

    server.page = elsewhere
    with pytest.raises(ErpProtocolError, match="credentials are sent only"):
        pull(config(server))


def test_a_repeating_cursor_is_refused(serve):
    server = serve(rest_items(6), style="cursor")
    original = server.page
    server.page = lambda path, query: (200, original(path, {})[1], {})
    with pytest.raises(ErpProtocolError, match="came back again"):
        pull(config(server, "cursor"))


def test_items_without_sku_or_with_bad_numbers_are_row_errors(serve):
    items = rest_items(3)
    del items[0]["sku"]
    items[1]["pricing"]["net"] = "twelve"
    server = serve(items)
    found, end = pull(config(server))
    errors = [i for i in found if isinstance(i, RowError)]
    assert [e.row for e in errors] == [1, 2]
    assert "no SKU" in errors[0].message and "twelve" in errors[1].message
    assert [i.record.sku for i in found if isinstance(i, ErpProduct)] == ["R-003"]


def test_items_not_at_the_configured_path_are_a_protocol_error(serve):
    server = serve(rest_items(2), style="page")
    with pytest.raises(ErpProtocolError, match="expected a list of items at 'products'"):
        pull(config(server, "page", pagination={**STYLES["page"], "items": "products"}))
