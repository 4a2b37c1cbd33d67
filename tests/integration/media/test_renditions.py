"""Renditions in the hub: drawn once per (asset, spec) by jobs, redrawn only for changed
specs, served immutable, and carried by variants, feeds and webhook payloads; an image that
cannot be drawn is a completeness error, never a URL that does not answer."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from channels.definition import load_presets
from channels.renditions import Rendition
from exporters import FORMATS
from pim.db import session_scope
from pim.jobs.models import Job
from pim.media.jobs import media_render_spec
from pim.media.models import StoredRendition
from pim.media.renditions import (
    MEDIA_RENDER,
    MEDIA_RENDER_SPEC,
    current_specs,
    draw_asset,
)
from pim.media.service import store_upload
from pim.publishing.feeds import stream_feed
from pim.publishing.snapshots import publish
from pim.webhooks.models import Message
from pim.webhooks.schemas import SubscriptionIn
from pim.webhooks.service import create_subscription
from pim.workflow.channels import apply_channel
from pim.workflow.completeness import check_product_now
from tests.integration.workflow.factories import ADMIN, complete_speaker, one, write
from tests.unit.media import samples

pytestmark = pytest.mark.usefixtures("allow_local_webhooks")


@pytest.fixture
def allow_local_webhooks(monkeypatch):
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    reset_settings()


def photo(width=1600, height=1200, colour=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return out.getvalue()


def stored(session, content: bytes, name="photo.jpg"):
    return store_upload(session, io.BytesIO(content), name)


def test_a_stored_image_is_drawn_once_per_spec_of_every_channel(catalog):
    with catalog() as s, s.begin():
        asset = stored(s, photo())
        jobs = s.scalars(select(Job).where(Job.kind == MEDIA_RENDER)).all()
        specs = current_specs(s)
    assert [job.payload for job in jobs] == [{"sha256": asset.sha256}]
    with catalog() as s, s.begin():
        first = draw_asset(s, asset.sha256)
    with catalog() as s, s.begin():
        again = draw_asset(s, asset.sha256)
        rows = s.scalars(select(StoredRendition)).all()
    assert first["drawn"] == len(specs) and again == {"status": "unchanged",
                                                      "sha256": asset.sha256, "drawn": 0}
    assert {r.spec_hash for r in rows} == set(specs) and {r.status for r in rows} == {"ready"}
    merchant = load_presets()["google-retail"].renditions["merchant"]
    [row] = [r for r in rows if r.spec_hash == merchant.spec_hash]
    assert (row.width, row.height) == (1200, 900)  # contain, aspect kept


def test_the_same_image_twice_is_one_asset_and_one_set_of_renditions(catalog):
    with catalog() as s, s.begin():
        first, second = stored(s, photo(), "a.jpg"), stored(s, photo(), "b.jpg")
        assert first.sha256 == second.sha256
        assert len(s.scalars(select(Job).where(Job.kind == MEDIA_RENDER)).all()) == 1


def test_a_changed_spec_draws_only_the_new_hash(catalog):
    shop = load_presets()["webshop-ie"]
    with catalog() as s, s.begin():
        asset = stored(s, photo())
        draw_asset(s, asset.sha256)
    changed = dict(shop.renditions)
    changed["thumbnail"] = Rendition(width=250, height=250, fit="cover", format="webp")
    with catalog() as s, s.begin():
        apply_channel(s, shop.model_copy(update={"renditions": changed}))
        [job] = s.scalars(select(Job).where(Job.kind == MEDIA_RENDER_SPEC)
                          .order_by(Job.created_at.desc()).limit(1)).all()
    assert job.payload == {"spec_hashes": [changed["thumbnail"].spec_hash]}
    result = media_render_spec(FakeContext(), **job.payload)  # type: ignore[arg-type]
    assert result == {"assets": 1, "drawn": 1, "failed": 0}


class FakeContext:
    """The parts of a JobContext the render job uses."""

    created_by = None

    def session(self):
        return session_scope()

    def progress(self, done, total=None, message=None):
        pass


def test_a_rendition_is_served_immutable_with_etag_304_and_head(client, world):
    with session_scope() as s:
        asset = stored(s, photo(800, 600))
    spec = load_presets()["webshop-ie"].renditions["thumbnail"]
    url = f"/media/r/{spec.spec_hash}/{asset.sha256}.webp"
    got = client.get(url)  # no token: drawn on the spot, the job has not run
    assert got.status_code == 200, got.text
    assert got.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert got.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(got.content)).size == (300, 300)
    etag = got.headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert client.get(f"/media/r/{spec.spec_hash}/{asset.sha256}.jpg").status_code == 404
    assert client.get(f"/media/r/{'0' * 16}/{asset.sha256}.webp").status_code == 404


def test_an_original_answers_byte_ranges(client, world):
    content = samples.pdf()
    with session_scope() as s:
        asset = stored(s, content, "sheet.pdf")
    url = f"/media/o/{asset.sha256}.pdf"
    part = client.get(url, headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.content == content[:8]
    assert part.headers["content-range"] == f"bytes 0-7/{len(content)}"
    tail = client.get(url, headers={"Range": "bytes=-5"})
    assert tail.content == content[-5:]
    assert client.get(url, headers={"Range": f"bytes={len(content)}-"}).status_code == 416
    assert client.get(url, headers={"Range": "bytes=0-7", "If-Range": '"other"'}).content \
        == content


def speaker_with_image(session, path: str, sku="EL-1"):
    write(session, complete_speaker(sku, image=one(path)))


def test_a_pdf_as_the_image_is_a_completeness_error_not_a_url(catalog):
    with catalog() as s, s.begin():
        pdf = stored(s, samples.pdf(), "sheet.pdf")
        speaker_with_image(s, pdf.path)
    with catalog() as s:
        [check] = check_product_now(s, "EL-1", "webshop-ie")
    errors = [e for locale in check["locales"] for e in locale["errors"]
              if e["keyword"] == "rendition"]
    assert errors and errors[0]["attribute"] == "image"
    assert "PDF document" in errors[0]["message"] and not check["passed"]


def test_an_image_the_renderer_refused_is_a_completeness_error(catalog, tmp_path):
    with catalog() as s, s.begin():
        asset = stored(s, photo(64, 64))
        speaker_with_image(s, asset.path)
    from pim.media.storage import absolute

    path = absolute(asset.path)
    path.write_bytes(path.read_bytes()[:300])  # damaged on disk after it was stored
    with catalog() as s, s.begin():
        assert draw_asset(s, asset.sha256)["status"] == "failed"
    with catalog() as s:
        [check] = check_product_now(s, "EL-1", "webshop-ie")
    [error] = {e["message"]: e for locale in check["locales"] for e in locale["errors"]
               if e["keyword"] == "rendition"}.values()
    assert "truncated or corrupt" in error["message"] and error["attribute"] == "image"


def test_feeds_and_webhook_payloads_carry_the_rendition_urls(catalog):
    presets = load_presets()
    with catalog() as s, s.begin():
        asset = stored(s, photo(1000, 500))
        sha = asset.sha256
        draw_asset(s, sha)
        write(s, complete_speaker("EL-1", image=one(asset.path)))
        create_subscription(s, SubscriptionIn(channel="webshop-ie",
                                              url="http://127.0.0.1:9/hook"))
        for channel in ("webshop-ie", "google-retail", "magento-store"):
            publish(s, channel, ["EL-1"], ready=True, actor=ADMIN)
        body = json.loads(s.scalars(select(Message.body)).first())
    base = "http://127.0.0.1:8000/media/r"
    large = presets["webshop-ie"].renditions["large"]
    variant = body["data"]["variant"]
    assert variant["images"] == [f"{base}/{large.spec_hash}/{sha}.webp"]
    assert variant["image_renditions"][0]["large"]["width"] == 1000  # never enlarged
    assert variant["image_renditions"][0]["thumbnail"] == {
        "url": f"{base}/{presets['webshop-ie'].renditions['thumbnail'].spec_hash}/"
               f"{sha}.webp", "type": "image/webp", "width": 300, "height": 300}
    # BMEcat and Shopify: the exporters' own tests (the speaker is in neither assortment).
    for channel, formats in (("webshop-ie", ("ndjson", "csv", "xlsx")),
                             ("google-retail", ("google_merchant_rss", "google_merchant_tsv")),
                             ("magento-store", ("magento_csv",))):
        spec = next(iter(presets[channel].renditions.values()))
        url = f"{base}/{spec.spec_hash}/{sha}.{spec.extension}"
        for format in formats:
            assert format in FORMATS
            _, chunks = stream_feed(channel, format)
            data = b"".join(chunks)
            if format == "xlsx":
                from openpyxl import load_workbook

                sheet = load_workbook(io.BytesIO(data), read_only=True).active
                data = "\n".join(str(c) for row in sheet.iter_rows(values_only=True)
                                 for c in row).encode()
            assert url.encode() in data, (channel, format)
