"""Renditions: 1,000 product images (2000x2000, a quarter PNG with alpha, the rest JPEG)
stored in the hub, drawn to three channels' specs by ``pim media renditions``'s path
(``pim.media.batch.draw_many``: worker processes, rows recorded in SQLite).

Baseline, in the same run, on the same files and the same number of processes: a bare
Pillow loop (open, ``ImageOps.exif_transpose``, ``thumbnail`` or ``ImageOps.fit``, save to a
file) per image and spec. Target: ratio >= 0.8, peak RSS < 300 MB per process (the
workers' peak is in the notes). The images are generated once and kept under
``var/bench/media-images`` (about a minute of both cores the first time).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tests.bench.harness import Measurement, wire_hub, workload
from tests.bench.workloads.catalog import BENCH_DIR, _fresh_sqlite, _use_database

SIDE = 2000
SPECS = {  # one spec of each of three shipped channels
    "google-retail": ("merchant", {"width": 1200, "height": 1200, "fit": "contain",
                                   "format": "jpeg", "background": "#ffffff"}),
    "distributor-eu": ("catalog", {"width": 800, "height": 800, "fit": "contain",
                                   "format": "jpeg", "background": "#ffffff"}),
    "webshop-ie": ("thumbnail", {"width": 300, "height": 300, "fit": "cover",
                                 "format": "webp"}),
}
WORKERS = 2


def make_image(index: int) -> str:
    """Image ``index``: smooth colour fields (JPEG-friendly, like a product photo's
    background) and a disc; every fourth a PNG whose background is transparent."""
    from PIL import Image, ImageDraw

    folder = BENCH_DIR / "media-images"
    transparent = index % 4 == 3
    path = folder / f"img-{index:04d}.{'png' if transparent else 'jpg'}"
    if path.exists():
        return str(path)
    rng = random.Random(index)
    small = Image.new("RGB", (6, 6))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(36)])
    image = small.resize((SIDE, SIDE), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    left = rng.randrange(200, 800)
    draw.ellipse((left, left, SIDE - left, SIDE - left // 2),
                 fill=tuple(rng.randrange(256) for _ in range(3)))
    if transparent:
        mask = Image.new("L", (SIDE, SIDE), 0)
        ImageDraw.Draw(mask).ellipse((left - 100, left - 100, SIDE - left + 100,
                                      SIDE - left // 2 + 100), fill=255)
        image.putalpha(mask)
        image.save(path, "PNG", compress_level=3)
    else:
        image.save(path, "JPEG", quality=90)
    return str(path)


def bare_pillow(task: tuple[str, str]) -> int:
    """The baseline: each spec drawn the plain way."""
    from PIL import Image, ImageOps

    source, out = task
    for name, (_, spec) in SPECS.items():
        with Image.open(source) as opened:
            image = ImageOps.exif_transpose(opened)
            box = (spec["width"], spec["height"])
            if spec["fit"] == "cover":
                image = ImageOps.fit(image, box)
            else:
                image.thumbnail(box)
            if spec["format"] == "jpeg":
                if image.mode == "RGBA":
                    flat = Image.new("RGB", image.size, (255, 255, 255))
                    flat.paste(image, mask=image.getchannel("A"))
                    image = flat
                image.convert("RGB").save(f"{out}-{name}.jpg", "JPEG", quality=85,
                                          progressive=True)
            else:
                image.save(f"{out}-{name}.webp", "WEBP", quality=85)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@workload("media_renditions", size=1000, unit="images")
def media_renditions(size: int) -> Measurement:
    wire_hub()
    import pim.models as models
    from channels.renditions import Rendition
    from pim.db import get_engine, session_factory
    from pim.media.batch import draw_many
    from pim.media.renditions import register_channel_renditions
    from pim.media.service import store_file

    (BENCH_DIR / "media-images").mkdir(parents=True, exist_ok=True)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        files = list(pool.map(make_image, range(size), chunksize=8))

    url = _fresh_sqlite("media")
    _use_database(url)
    store = BENCH_DIR / "media-store"
    shutil.rmtree(store, ignore_errors=True)
    os.environ["PIM_MEDIA_ROOT"] = str(store)
    from pim.config import get_settings

    get_settings.cache_clear()
    models.Base.metadata.create_all(get_engine(url))
    factory = session_factory(url)
    specs = {}
    with factory() as session, session.begin():
        for channel, (name, raw) in SPECS.items():
            spec = Rendition.model_validate(raw)
            register_channel_renditions(session, channel, {name: spec})
            specs[spec.spec_hash] = spec
        for path in files:
            store_file(session, Path(path))

    out = BENCH_DIR / "media-bare"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    started = time.perf_counter()
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        bare_rss = max(pool.map(bare_pillow, [(f, str(out / Path(f).stem)) for f in files],
                                chunksize=2))
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    summary = draw_many(factory, specs, missing_only=True, workers=WORKERS)
    seconds = time.perf_counter() - started
    assert summary.drawn == size * len(specs), summary
    workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return Measurement(
        items=size, seconds=seconds, baseline_seconds=baseline,
        notes=f"{size * len(specs)} renditions, {WORKERS} processes; peak RSS of any worker "
              f"{workers_rss:.0f} MB (bare loop's {bare_rss / 1024:.0f} MB)")
