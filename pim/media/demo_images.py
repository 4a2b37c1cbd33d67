"""Real images for the demo catalog, drawn with Pillow at load time: a few hundred distinct,
deterministic product shots (a seed gives the same pixels on every machine), stored in the
media store like any upload, so a fresh ``make run`` shows renditions in feeds, webhooks and
the web UI.

Each image is a soft two-tone background with a product-like shape (a bottle, a box, a
shirt-ish trapezoid, a disc), its shadow and a label; a quarter are PNGs with a transparent
background, which the JPEG renditions flatten onto white. Products share them by a stable
hash of their demo image name (``demo/el-000042.jpg``).
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy.orm import Session

from pim.config import get_settings
from pim.media.service import store_blob
from pim.media.storage import receive

SIDE = 800
MAX_IMAGES = 300
PALETTE = [(231, 76, 60), (52, 152, 219), (46, 204, 113), (241, 196, 15), (155, 89, 182),
           (230, 126, 34), (26, 188, 156), (52, 73, 94), (236, 240, 241), (149, 165, 166)]


def image_count(products: int) -> int:
    """How many distinct images a demo of ``products`` products gets."""
    return max(12, min(MAX_IMAGES, products // 4))


def draw_demo_image(index: int, seed: int) -> tuple[bytes, str]:
    """``(bytes, file name)`` of demo image ``index``: the same for the same seed."""
    rng = random.Random(seed * 100_003 + index)
    transparent = index % 4 == 3
    main, accent = rng.sample(PALETTE, 2)
    if transparent:
        image = Image.new("RGBA", (SIDE, SIDE), (0, 0, 0, 0))
    else:
        image = _gradient(tuple(min(255, c + 60) for c in accent), (250, 250, 250))
    shadow = Image.new("L", (SIDE, SIDE), 0)
    shape = Image.new("L", (SIDE, SIDE), 0)
    kind = rng.randrange(4)
    box = _shape_box(rng)
    for canvas, offset in ((shadow, 18), (shape, 0)):
        _draw_shape(ImageDraw.Draw(canvas), kind, box, offset)
    shadow = shadow.filter(ImageFilter.GaussianBlur(14))
    base = image.convert("RGBA")
    base.paste((0, 0, 0, 90), (0, 0), shadow.point(lambda v: v * 90 // 255))
    base.paste((*main, 255), (0, 0), shape)
    draw = ImageDraw.Draw(base)
    left, top, right, bottom = box
    stripe = top + (bottom - top) // 3
    draw.rectangle((left + 20, stripe, right - 20, stripe + 40), fill=(*accent, 255))
    draw.text((left + 30, stripe + 12), f"DEMO {index:03d}", fill=(255, 255, 255, 255))
    out = io.BytesIO()
    if transparent:
        base.save(out, "PNG")
        return out.getvalue(), f"demo-{index:03d}.png"
    base.convert("RGB").save(out, "JPEG", quality=88)
    return out.getvalue(), f"demo-{index:03d}.jpg"


def _gradient(top: tuple[int, ...], bottom: tuple[int, ...]) -> Image.Image:
    column = Image.new("RGB", (1, SIDE))
    for y in range(SIDE):
        share = y / (SIDE - 1)
        column.putpixel((0, y), tuple(round(a + (b - a) * share) for a, b in zip(
            top, bottom, strict=True)))
    return column.resize((SIDE, SIDE))


def _shape_box(rng: random.Random) -> tuple[int, int, int, int]:
    width, height = rng.randrange(260, 520), rng.randrange(300, 600)
    left, top = (SIDE - width) // 2, (SIDE - height) // 2 - 20
    return left, top, left + width, top + height


def _draw_shape(draw: ImageDraw.ImageDraw, kind: int, box: tuple[int, int, int, int],
                offset: int) -> None:
    left, top, right, bottom = (value + offset for value in box)
    if kind == 0:  # a box
        draw.rounded_rectangle((left, top, right, bottom), radius=24, fill=255)
    elif kind == 1:  # a disc (a speaker, a bearing)
        side = min(right - left, bottom - top)
        draw.ellipse((left, top, left + side, top + side), fill=255)
    elif kind == 2:  # a bottle
        neck = (right - left) // 4
        middle = (left + right) // 2
        draw.rectangle((middle - neck // 2, top, middle + neck // 2, top + 80), fill=255)
        draw.rounded_rectangle((left, top + 70, right, bottom), radius=50, fill=255)
    else:  # a shirt-like trapezoid with sleeves
        draw.polygon([(left + 60, top), (right - 60, top), (right, top + 120),
                      (right - 40, bottom), (left + 40, bottom), (left, top + 120)], fill=255)


def store_demo_images(session: Session, products: int, seed: int,
                      progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Draw and store the demo's images; returns their asset paths, in index order."""
    limit = get_settings().media_max_bytes
    paths = []
    count = image_count(products)
    for index in range(count):
        data, name = draw_demo_image(index, seed)
        blob = receive([data], max_bytes=limit, name=name)
        paths.append(store_blob(session, blob, filename=name).path)
        if progress:
            progress(index + 1, count)
    return paths


def demo_image_for(name: str, paths: list[str]) -> str:
    """The stored image a demo product's image name (``demo/el-000042.jpg``) stands for."""
    return paths[zlib.crc32(name.encode()) % len(paths)]
