"""``pim media renditions`` over worker processes, and the demo's drawn images."""

from __future__ import annotations

import io

from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select

from channels.definition import load_presets
from pim.cli import main
from pim.media.demo_images import demo_image_for, draw_demo_image, image_count
from pim.media.models import StoredRendition
from pim.media.service import store_upload
from tests.unit.media import samples


def test_the_command_draws_a_channels_missing_renditions_over_processes(catalog):
    with catalog() as s, s.begin():
        shas = [store_upload(s, io.BytesIO(content), name).sha256 for content, name in (
            (samples.png(900, 300), "wide.png"), (samples.jpeg(200, 400), "tall.jpg"),
            (samples.pdf(), "sheet.pdf"))]
    runner = CliRunner()
    result = runner.invoke(main, ["media", "renditions", "--channel", "webshop-ie",
                                  "--missing-only", "--workers", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "2 images, 2 specs: 4 renditions drawn, 0 refused" in result.output
    wanted = {spec.spec_hash for spec in load_presets()["webshop-ie"].renditions.values()}
    with catalog() as s:
        rows = s.scalars(select(StoredRendition)).all()
    assert {(r.asset_sha256, r.spec_hash) for r in rows} == {
        (sha, digest) for sha in shas[:2] for digest in wanted}
    again = runner.invoke(main, ["media", "renditions", "--channel", "webshop-ie",
                                 "--missing-only"], catch_exceptions=False)
    assert "0 images, 2 specs: 0 renditions drawn" in again.output  # stored once


def test_the_demo_draws_the_same_distinct_images_for_a_seed():
    first, name = draw_demo_image(5, seed=1)
    assert draw_demo_image(5, seed=1) == (first, name)
    assert draw_demo_image(6, seed=1)[0] != first and draw_demo_image(5, seed=2)[0] != first
    assert Image.open(io.BytesIO(first)).size == (800, 800)
    png, png_name = draw_demo_image(3, seed=1)  # every fourth has a transparent background
    assert png_name.endswith(".png") and Image.open(io.BytesIO(png)).mode == "RGBA"
    assert image_count(1000) == 250 and image_count(100_000) == 300
    paths = [f"p{n}" for n in range(10)]
    assert demo_image_for("demo/el-000042.jpg", paths) == demo_image_for(
        "demo/el-000042.jpg", paths)
