"""Drawing renditions: orientation, colour modes, transparency, bounds, sizes, metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from channels.renditions import Rendition, spec_hash
from pim.media.rendering import RenderRefused, render_file
from tests.unit.media import samples

MAX_PIXELS = 40_000_000


def draw(tmp_path, content: bytes, **spec) -> Image.Image:
    source = tmp_path / "source"
    source.write_bytes(content)
    [rendered] = render_file(source, [Rendition(**({"width": 100, "height": 100} | spec))],
                             max_pixels=MAX_PIXELS)
    image = Image.open(io.BytesIO(rendered.data))
    assert image.size == (rendered.width, rendered.height)
    return image


def saved(image: Image.Image, format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


def test_exif_orientation_is_applied_and_the_exif_dropped(tmp_path):
    wide = Image.new("RGB", (200, 100), (255, 0, 0))
    wide.paste((0, 0, 255), (0, 0, 100, 100))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    drawn = draw(tmp_path, saved(wide, "JPEG", exif=exif, quality=95), width=400, height=400)
    assert drawn.size == (100, 200)  # upright: portrait
    assert drawn.getpixel((50, 10))[2] > 200  # the blue half is now on top
    assert not drawn.getexif() and "exif" not in drawn.info


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    cmyk = Image.new("CMYK", (60, 40), (0, 255, 255, 0))  # red in CMYK
    drawn = draw(tmp_path, saved(cmyk, "JPEG"))
    assert drawn.mode == "RGB"
    red, green, blue = drawn.getpixel((30, 20))
    assert red > 200 and green < 60 and blue < 60


def test_palette_png_with_transparency_is_flattened_onto_the_background(tmp_path):
    palette = Image.new("P", (40, 40), 0)
    palette.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    palette.paste(1, (10, 10, 30, 30))
    drawn = draw(tmp_path, saved(palette, "PNG", transparency=0), background="#ff0000")
    assert drawn.mode == "RGB"
    assert drawn.getpixel((1, 1))[:3] == pytest.approx((255, 0, 0), abs=16)
    assert drawn.getpixel((20, 20))[1] > 180


def test_sixteen_bit_greyscale_png_keeps_its_tones(tmp_path):
    wide = Image.new("I;16", (32, 32), 32768)  # mid grey in 16 bits
    drawn = draw(tmp_path, saved(wide, "PNG"), format="png")
    assert drawn.mode == "L"
    assert 120 <= drawn.getpixel((5, 5)) <= 135  # not clipped to white


def test_la_png_keeps_its_alpha_in_png_and_webp(tmp_path):
    la = Image.new("LA", (20, 20), (128, 0))
    la.paste((128, 255), (5, 5, 15, 15))
    for format in ("png", "webp"):
        drawn = draw(tmp_path, saved(la, "PNG"), format=format)
        assert drawn.mode == "RGBA"
        assert drawn.getpixel((0, 0))[3] == 0 and drawn.getpixel((10, 10))[3] == 255


def test_transparency_is_flattened_onto_the_background_for_jpeg(tmp_path):
    rgba = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    rgba.paste((0, 0, 255, 255), (20, 20, 30, 30))
    drawn = draw(tmp_path, saved(rgba, "PNG"))  # background white by default
    assert drawn.mode == "RGB"
    assert drawn.getpixel((2, 2)) == pytest.approx((255, 255, 255), abs=3)
    assert drawn.getpixel((25, 25))[2] > 200


def test_jpeg_is_progressive_and_carries_no_metadata(tmp_path):
    image = Image.new("RGB", (300, 200), (10, 200, 10))
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    drawn = draw(tmp_path, saved(image, "JPEG", exif=exif, comment=b"secret"))
    assert drawn.info.get("progressive") or drawn.info.get("progression")
    assert "exif" not in drawn.info and "comment" not in drawn.info
    assert "icc_profile" not in drawn.info


def test_a_small_image_is_never_enlarged_unless_the_spec_says_so(tmp_path):
    small = samples.png(60, 30)
    assert draw(tmp_path, small, width=600, height=600).size == (60, 30)
    assert draw(tmp_path, small, width=600, height=600, upscale=True).size == (600, 300)
    padded = draw(tmp_path, small, width=600, height=600, fit="pad")
    assert padded.size == (600, 600)  # centred at its own size on the box


def test_fits_contain_cover_and_pad(tmp_path):
    wide = samples.png(400, 200)
    assert draw(tmp_path, wide, width=100, height=100).size == (100, 50)
    assert draw(tmp_path, wide, width=100, height=100, fit="cover").size == (100, 100)
    padded = draw(tmp_path, wide, width=100, height=100, fit="pad", background="#00ff00")
    assert padded.size == (100, 100) and padded.getpixel((50, 2))[1] > 240


def test_a_truncated_file_is_refused_with_a_reason(tmp_path):
    whole = saved(Image.effect_noise((300, 300), 60).convert("RGB"), "JPEG")
    with pytest.raises(RenderRefused, match="truncated or corrupt"):
        draw(tmp_path, whole[: len(whole) // 2])


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path):
    with pytest.raises(RenderRefused, match="PIM_MEDIA_MAX_PIXELS|too many pixels"):
        draw(tmp_path, samples.png_bomb())


def test_a_pdf_is_no_image_to_draw(tmp_path):
    with pytest.raises(RenderRefused, match="not an image"):
        draw(tmp_path, samples.pdf())


def test_one_decode_draws_every_spec(tmp_path):
    source = tmp_path / "photo.jpg"
    source.write_bytes(saved(Image.new("RGB", (2000, 1000), (1, 2, 3)), "JPEG"))
    specs = [Rendition(width=1200, height=1200, fit="pad"),
             Rendition(width=300, height=300, fit="cover", format="webp"),
             Rendition(width=800, height=800, format="png")]
    drawn = render_file(source, specs, max_pixels=MAX_PIXELS)
    assert [(r.spec_hash, r.width, r.height) for r in drawn] == [
        (spec_hash(specs[0]), 1200, 1200), (spec_hash(specs[1]), 300, 300),
        (spec_hash(specs[2]), 800, 400)]
    assert Image.open(io.BytesIO(drawn[1].data)).format == "WEBP"


def test_the_spec_hash_changes_with_what_changes_the_bytes():
    base = Rendition(width=100, height=100)
    assert spec_hash(base) == spec_hash(Rendition(width=100, height=100, fit="inside"))
    assert spec_hash(base) != spec_hash(Rendition(width=100, height=100, quality=70))
    png = Rendition(width=100, height=100, format="png")
    assert spec_hash(png) == spec_hash(Rendition(width=100, height=100, format="png",
                                                 quality=70))
