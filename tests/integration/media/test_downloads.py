"""The media_download job: a URL an import wrote is fetched from a real HTTP server, stored,
and the value points at the asset; refused addresses, types and sizes fail the job with a
clear error and leave the value alone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pim.catalog.read import get_product
from pim.db import read_session, session_scope
from pim.history.models import HistoryEntry
from pim.jobs import run_inline
from pim.media.models import Asset
from pim.media.storage import INCOMING, absolute
from tests.factories import electronics, one, write
from tests.integration.media.conftest import Served, set_setting
from tests.unit.media import samples


@pytest.fixture
def catalog(demo_structure):
    return demo_structure


def product_with_image(url: str, sku: str = "EL-1") -> None:
    with session_scope() as session:
        write(session, electronics(sku, image=one(url)), source="import:earlier")


def image_of(sku: str = "EL-1"):
    with read_session() as session:
        return get_product(session, sku)["values"]["image"][0]["data"]


def download(url: str, sku: str = "EL-1"):
    return run_inline("media_download", {"url": url, "sku": sku, "attribute": "image",
                                         "source": "import:job-1"},
                      created_by="importer", show_progress=False)


def assets() -> list[Asset]:
    with read_session() as session:
        found = list(session.scalars(select(Asset)))
        session.expunge_all()
    return found


def test_a_downloaded_image_is_stored_and_the_value_points_at_it(catalog, allow_local,
                                                                 media_server):
    content = samples.png(30, 20)
    url = media_server.serve("/img/speaker.png?v=2", content)
    product_with_image(url)
    job = download(url)
    assert job.status == "succeeded", job.error
    [asset] = assets()
    assert (asset.media_type, asset.width, asset.height, asset.size) == \
        ("image/png", 30, 20, len(content))
    assert (asset.source_url, asset.filename) == (url, "speaker.png")
    assert image_of() == asset.path and absolute(asset.path).read_bytes() == content
    assert job.result["status"] == "updated"
    with read_session() as session:
        latest = session.execute(select(HistoryEntry.source, HistoryEntry.changed_by)
                                 .order_by(HistoryEntry.id.desc())).first()
    assert tuple(latest) == ("import:job-1", "importer")


def test_downloading_the_same_url_again_changes_nothing(catalog, allow_local, media_server):
    url = media_server.serve("/a.png", samples.png())
    product_with_image(url)
    download(url)
    with read_session() as session:
        version = get_product(session, "EL-1")["version"]
        entries = session.scalar(select(func.count()).select_from(HistoryEntry))
    again = download(url)
    assert again.status == "succeeded" and again.result["status"] == "skipped"
    with read_session() as session:
        assert get_product(session, "EL-1")["version"] == version
        assert session.scalar(select(func.count()).select_from(HistoryEntry)) == entries
    assert len(assets()) == 1


def test_two_urls_with_the_same_bytes_share_one_asset(catalog, allow_local, media_server):
    content = samples.jpeg()
    first = media_server.serve("/one.jpg", content, "image/jpeg")
    second = media_server.serve("/two.jpg", content, "image/jpeg")
    product_with_image(first, "EL-1")
    product_with_image(second, "EL-2")
    assert download(first, "EL-1").status == download(second, "EL-2").status == "succeeded"
    [asset] = assets()
    assert image_of("EL-1") == image_of("EL-2") == asset.path


def test_a_private_address_is_refused_without_an_allowlist(catalog):
    url = "http://10.20.30.40/images/a.png"
    product_with_image(url)
    job = download(url)
    assert job.status == "failed" and job.attempts == 1  # refused: never retried
    assert "10.20.30.40" in job.error and "a private address" in job.error
    assert "PIM_MEDIA_ALLOW_HOSTS" in job.error
    assert image_of() == url and assets() == []


def test_the_webhook_allowlist_does_not_open_media_downloads(catalog, media_server,
                                                             monkeypatch):
    set_setting(monkeypatch, "PIM_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    url = media_server.serve("/a.png", samples.png())
    product_with_image(url)
    job = download(url)
    assert job.status == "failed" and "a loopback address" in job.error
    assert media_server.requested == []  # refused before connecting


def test_a_redirect_to_a_private_address_is_refused(catalog, allow_local, media_server):
    media_server.routes["/moved.png"] = Served(
        b"", 302, {"location": "http://192.168.1.20/secret.png"})
    url = media_server.url("/moved.png")
    product_with_image(url)
    job = download(url)
    assert job.status == "failed" and "192.168.1.20" in job.error
    assert image_of() == url


def test_an_allowed_redirect_is_followed(catalog, allow_local, media_server):
    content = samples.gif()
    media_server.serve("/final.gif", content, "image/gif")
    media_server.routes["/start"] = Served(b"", 301, {"location": "/final.gif"})
    url = media_server.url("/start")
    product_with_image(url)
    assert download(url).status == "succeeded"
    assert media_server.requested == ["/start", "/final.gif"]
    assert absolute(image_of()).read_bytes() == content


def test_a_download_over_the_size_limit_is_aborted(catalog, allow_local, media_server,
                                                   monkeypatch):
    set_setting(monkeypatch, "PIM_MEDIA_MAX_BYTES", "4096")
    # No Content-Length: the limit is enforced while the bytes arrive.
    url = media_server.serve("/huge.png", samples.png() + b"\0" * 50_000,
                             content_length=False)
    product_with_image(url)
    job = download(url)
    assert job.status == "failed" and job.attempts == 1
    assert "larger than 4096 bytes" in job.error
    assert assets() == [] and image_of() == url
    from pim.config import get_settings

    assert list((get_settings().media_dir / INCOMING).iterdir()) == []


def test_a_declared_length_over_the_limit_is_refused_before_reading(catalog, allow_local,
                                                                    media_server, monkeypatch):
    set_setting(monkeypatch, "PIM_MEDIA_MAX_BYTES", "4096")
    url = media_server.serve("/huge.png", b"\0" * 50_000)
    product_with_image(url)
    job = download(url)
    assert job.status == "failed" and "50000 bytes, above the limit" in job.error


def test_a_page_served_instead_of_an_image_is_refused(catalog, allow_local, media_server):
    url = media_server.serve("/photo.jpg", samples.HTML, "text/html")
    product_with_image(url)
    job = download(url)
    assert job.status == "failed" and "text/html" in job.error and assets() == []


def test_bytes_that_are_not_the_declared_image_are_refused(catalog, allow_local,
                                                           media_server):
    url = media_server.serve("/photo.jpg", samples.SVG, "image/jpeg")
    product_with_image(url)
    job = download(url)
    assert job.status == "failed" and "SVG is refused" in job.error and assets() == []


def test_a_missing_file_fails_at_once(catalog, allow_local, media_server):
    url = media_server.url("/gone.png")
    product_with_image(url)
    job = download(url)
    assert job.status == "failed" and job.attempts == 1 and "HTTP 404" in job.error


def test_a_server_error_is_retried(catalog, allow_local, media_server, monkeypatch):
    set_setting(monkeypatch, "PIM_JOB_RETRY_SCHEDULE", "0")
    media_server.routes["/busy.png"] = Served(b"", 503)
    url = media_server.url("/busy.png")
    product_with_image(url)
    job = download(url)
    assert job.status == "failed" and job.attempts == 3 and "HTTP 503" in job.error
    assert media_server.requested == ["/busy.png"] * 3


def test_a_value_changed_since_the_import_is_left_alone(catalog, allow_local, media_server):
    url = media_server.serve("/a.png", samples.png())
    product_with_image("https://cdn.example.com/newer.png")
    job = download(url)
    assert job.status == "succeeded" and job.result["status"] == "skipped"
    assert media_server.requested == [] and image_of() == "https://cdn.example.com/newer.png"


def test_an_unknown_product_fails_the_job(catalog, allow_local, media_server):
    job = download(media_server.serve("/a.png", samples.png()), sku="NO-SUCH")
    assert job.status == "failed" and "no product 'NO-SUCH'" in job.error
