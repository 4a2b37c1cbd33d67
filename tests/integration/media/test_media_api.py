"""Media over the API: upload, fetch back, and the refusals (415 by content, 413 by size)."""

from __future__ import annotations

from sqlalchemy import func, select

from pim.db import read_session
from pim.media.models import Asset
from tests.integration.media.conftest import set_setting
from tests.unit.media import samples

MEDIA = "/api/v1/media"


def upload(client, world, content: bytes, name: str = "photo.png", role: str = "editor",
           media_type: str = "image/png"):
    return client.post(MEDIA, headers=world.auth(role),
                       files={"file": (name, content, media_type)})


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def test_an_uploaded_image_is_stored_and_served_back(client, world):
    content = samples.png(40, 25)
    created = upload(client, world, content, "Speaker front.png")
    assert created.status_code == 201, created.text
    asset = created.json()
    assert set(asset) == {"sha256", "path", "media_type", "size", "width", "height"}
    assert (asset["media_type"], asset["size"], asset["width"], asset["height"]) == \
        ("image/png", len(content), 40, 25)
    assert asset["path"].endswith(asset["sha256"] + ".png")
    assert created.headers["location"] == f"{MEDIA}/{asset['sha256']}"

    served = client.get(f"{MEDIA}/{asset['sha256']}", headers=world.auth("viewer"))
    assert served.status_code == 200 and served.content == content
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("inline")
    assert "filename*=utf-8''Speaker%20front.png" in served.headers["content-disposition"]


def test_a_pdf_is_served_as_an_attachment(client, world):
    sha = upload(client, world, samples.pdf(), "sheet.pdf", media_type="application/pdf") \
        .json()["sha256"]
    served = client.get(f"{MEDIA}/{sha}", headers=world.auth("reviewer"))
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment")


def test_uploading_the_same_bytes_twice_gives_the_same_asset(client, world):
    first = upload(client, world, samples.jpeg(), "a.jpg").json()
    second = upload(client, world, samples.jpeg(), "b.jpeg", role="admin").json()
    assert first == second and first["media_type"] == "image/jpeg"
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(Asset)) == 1


def test_a_non_image_named_jpg_is_415(client, world):
    body = problem(upload(client, world, samples.HTML, "photo.jpg", media_type="image/jpeg"),
                   415)
    assert "photo.jpg" in body["detail"] and "by its content" in body["detail"]
    with read_session() as session:
        assert session.scalar(select(func.count()).select_from(Asset)) == 0


def test_svg_is_415(client, world):
    body = problem(upload(client, world, samples.SVG, "logo.svg", media_type="image/svg+xml"),
                   415)
    assert "SVG is refused" in body["detail"]


def test_an_upload_over_the_size_limit_is_413(client, world, monkeypatch):
    set_setting(monkeypatch, "PIM_MEDIA_MAX_BYTES", "1000")
    body = problem(upload(client, world, samples.png() + b"\0" * 2000), 413)
    assert "larger than 1000 bytes" in body["detail"]


def test_a_decompression_bomb_is_413(client, world):
    body = problem(upload(client, world, samples.png_bomb(8000, 8000)), 413)
    assert "8000×8000 pixels" in body["detail"]


def test_an_unknown_asset_is_404(client, world):
    problem(client.get(f"{MEDIA}/{'a' * 64}", headers=world.auth("viewer")), 404)
    problem(client.get(f"{MEDIA}/not-a-hash", headers=world.auth("viewer")), 404)


def test_a_viewer_cannot_upload(client, world):
    problem(upload(client, world, samples.png(), role="viewer"), 403)
