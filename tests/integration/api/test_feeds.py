"""Feeds over HTTP: feed-key auth and channel scoping, conditional GETs, deltas, gzip."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from email.message import Message

import pytest

from pim.db import session_scope, utcnow
from pim.publishing.feedkeys import create_feed_key
from pim.publishing.models import Snapshot

FEED = "/feeds/webshop-uk/ndjson"


def snapshot(sku: str, *, at=None, withdrawn=False) -> Snapshot:
    return Snapshot(channel_code="webshop-uk", locale="en_GB", sku=sku, version=1,
                    product_version=1, payload={} if withdrawn else {"sku": sku, "title": sku},
                    sha256="x" * 64, withdrawn=withdrawn, published_at=at or utcnow())


@pytest.fixture
def feed_key(world):
    with session_scope() as session:
        session.add_all([snapshot("EL-1"), snapshot("EL-2")])
        key, _ = create_feed_key(session, ["webshop-uk"], "distributor")
        other, _ = create_feed_key(session, ["distributor-eu"], "other")
    return {"uk": key, "other": other}


def lines(response) -> list[dict]:
    return [json.loads(line) for line in response.content.splitlines() if line.strip()]


def test_a_feed_needs_a_feed_key_not_an_api_token(client, world, feed_key):
    assert client.get(FEED).status_code == 401
    assert client.get(FEED, headers=world.auth("admin")).status_code == 401
    response = client.get(FEED, headers={"X-Feed-Key": feed_key["uk"]})
    assert response.status_code == 200
    assert [line["sku"] for line in lines(response)] == ["EL-1", "EL-2"]
    bearer = client.get(FEED, headers={"Authorization": f"Bearer {feed_key['uk']}"})
    assert bearer.status_code == 200


def test_a_feed_key_cannot_open_another_channel(client, feed_key):
    response = client.get(FEED, headers={"X-Feed-Key": feed_key["other"]})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_feed_key_cannot_call_the_api(client, feed_key):
    response = client.get("/api/v1/products",
                          headers={"Authorization": f"Bearer {feed_key['uk']}"})
    assert response.status_code == 401


def test_conditional_requests_answer_304(client, feed_key):
    headers = {"X-Feed-Key": feed_key["uk"]}
    first = client.get(FEED, headers=headers)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(FEED, headers={**headers, "If-None-Match": etag}).status_code == 304
    assert client.get(FEED, headers={**headers, "If-Modified-Since": modified}
                      ).status_code == 304
    with session_scope() as session:
        session.add(snapshot("EL-3"))
    changed = client.get(FEED, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_since_serves_a_delta(client, feed_key):
    with session_scope() as session:
        session.add(snapshot("EL-9", at=utcnow() + timedelta(hours=1)))
    since = (utcnow() + timedelta(minutes=30)).isoformat()
    response = client.get(FEED, params={"since": since}, headers={"X-Feed-Key": feed_key["uk"]})
    assert response.status_code == 200
    assert [line["sku"] for line in lines(response)] == ["EL-9"]


def test_gzip_when_accepted(client, feed_key):
    response = client.get(FEED, headers={"X-Feed-Key": feed_key["uk"],
                                         "Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    # httpx decodes transparently; read the wire bytes to see they are gzip
    with client.stream("GET", FEED, headers={"X-Feed-Key": feed_key["uk"],
                                             "Accept-Encoding": "gzip"}) as raw:
        wire = b"".join(raw.iter_raw())
    assert [json.loads(line)["sku"] for line in gzip.decompress(wire).splitlines()] == [
        "EL-1", "EL-2"]


def test_unknown_format_is_a_problem_naming_the_parameter(client, feed_key):
    """A distributor's typo is a 422 whose error list names ``format`` and the formats
    there are, as every other refused parameter is."""
    response = client.get("/feeds/webshop-uk/nope", headers={"X-Feed-Key": feed_key["uk"]})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert error["field"] == "format"
    assert error["message"].startswith("unknown feed format 'nope' (known: akeneo, bmecat, csv")


def content_type_params(value: str) -> list[tuple[str, str]]:
    """The parameters of a Content-Type header as an HTTP parser reads them, in order."""
    message = Message()
    message["content-type"] = value
    return message.get_params()


@pytest.mark.parametrize("format", ["csv", "shopify_csv", "magento_csv",
                                    "google_merchant_tsv"])
def test_a_text_feed_names_its_charset_once(client, feed_key, format):
    response = client.get(f"/feeds/webshop-uk/{format}", headers={"X-Feed-Key": feed_key["uk"]})

    assert response.status_code == 200
    params = content_type_params(response.headers["content-type"])
    assert [name for name, _ in params if name == "charset"] == ["charset"]
    assert dict(params)["charset"] == "utf-8"


@pytest.mark.parametrize("format", ["bmecat", "ndjson", "csv"])
def test_an_empty_delta_answers_304(client, feed_key, format):
    since = (utcnow() + timedelta(minutes=1)).isoformat()
    response = client.get(f"/feeds/webshop-uk/{format}", params={"since": since},
                          headers={"X-Feed-Key": feed_key["uk"]})
    assert response.status_code == 304
    assert response.content == b""
