"""Media is recognised by its bytes, and images are decoded only within bounds."""

from __future__ import annotations

import pytest

from pim.media.errors import MediaTooLarge, UnsupportedMedia
from pim.media.images import inspect, sniff
from tests.unit.media import samples

LIMIT = 1_000_000


def write(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(("content", "media_type"), [
    (samples.png(), "image/png"), (samples.jpeg(), "image/jpeg"),
    (samples.webp(), "image/webp"), (samples.gif(), "image/gif"),
    (samples.pdf(), "application/pdf"),
])
def test_each_kept_type_is_recognised_by_its_content(content, media_type):
    assert sniff(content[:16]) == media_type


def test_an_image_reports_its_type_and_size(tmp_path):
    info = inspect(write(tmp_path, "photo.bin", samples.png(12, 8)), max_pixels=LIMIT)
    assert (info.media_type, info.width, info.height, info.extension) == \
        ("image/png", 12, 8, ".png")


def test_a_pdf_is_kept_without_dimensions(tmp_path):
    info = inspect(write(tmp_path, "sheet.pdf", samples.pdf()), max_pixels=LIMIT)
    assert (info.media_type, info.width, info.height) == ("application/pdf", None, None)


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(tmp_path):
    bomb = samples.png_bomb(100_000, 100_000)
    assert len(bomb) < 1000
    with pytest.raises(MediaTooLarge, match="too large to decode"):
        inspect(write(tmp_path, "bomb.png", bomb), max_pixels=LIMIT)


def test_a_canvas_above_the_setting_is_refused_with_its_dimensions(tmp_path):
    with pytest.raises(MediaTooLarge, match="5000×5000 pixels, above the limit"):
        inspect(write(tmp_path, "big.png", samples.png_bomb(5000, 5000)), max_pixels=LIMIT)


def test_the_pixel_limit_is_the_setting_not_pillows_default(tmp_path):
    path = write(tmp_path, "wide.png", samples.png(200, 100))
    assert inspect(path, max_pixels=20_000).width == 200
    with pytest.raises(MediaTooLarge):
        inspect(path, max_pixels=19_999)


def test_a_text_file_named_jpg_is_refused(tmp_path):
    with pytest.raises(UnsupportedMedia):
        inspect(write(tmp_path, "photo.jpg", samples.HTML), max_pixels=LIMIT)


def test_svg_is_refused_and_the_message_says_so(tmp_path):
    with pytest.raises(UnsupportedMedia, match="SVG is refused"):
        inspect(write(tmp_path, "logo.svg", samples.SVG), max_pixels=LIMIT)


def test_a_truncated_image_is_refused(tmp_path):
    broken = samples.jpeg(64, 64)[:200]
    with pytest.raises(UnsupportedMedia, match="not a readable JPEG"):
        inspect(write(tmp_path, "cut.jpg", broken), max_pixels=LIMIT)


def test_a_png_signature_over_other_bytes_is_refused(tmp_path):
    with pytest.raises(UnsupportedMedia):
        inspect(write(tmp_path, "fake.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20),
                max_pixels=LIMIT)
