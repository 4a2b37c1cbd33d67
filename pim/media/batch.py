"""Drawing many renditions at once, spread over processes (``pim media renditions`` and the
benchmark): the parent lists the (asset, specs) work and records the rows; each worker
process decodes an asset once, draws its specs and writes their files, so both cores draw
and no pixels cross a process boundary (a result is a few numbers per rendition).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from channels.renditions import Rendition
from pim.config import get_settings
from pim.media.renditions import DrawnPair, draw_into_store, pairs_to_draw, record_pairs
from pim.media.storage import absolute

# Assets whose rows one transaction records.
RECORD_EVERY = 50
Task = tuple[str, str, dict[str, Rendition], int]


@dataclass
class DrawSummary:
    assets: int = 0
    drawn: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)  # the first few reasons


def draw_many(session_factory: Callable[[], Session], specs: dict[str, Rendition], *,
              missing_only: bool = True, workers: int | None = None,
              progress: Callable[[int, int], None] | None = None) -> DrawSummary:
    """Draw ``specs`` for every stored image (only the pairs not drawn yet with
    ``missing_only``), over ``workers`` processes (default: one per CPU)."""
    with session_factory() as session:
        work = pairs_to_draw(session, specs, missing_only=missing_only)
    max_pixels = get_settings().media_max_pixels
    tasks = [(sha, str(absolute(path)), {d: specs[d] for d in todo}, max_pixels)
             for sha, path, todo in work]
    summary = DrawSummary(assets=len(tasks))
    pending: list[DrawnPair] = []
    for done, pairs in enumerate(_drawn(tasks, workers or os.cpu_count() or 1), start=1):
        pending += pairs
        for pair in pairs:
            if pair.error:
                summary.failed += 1
                if len(summary.errors) < 5:
                    summary.errors.append(f"{pair.sha256}: {pair.error}")
            else:
                summary.drawn += 1
        if done % RECORD_EVERY == 0 or done == len(tasks):
            with session_factory() as session, session.begin():
                record_pairs(session, pending)
            pending = []
        if progress:
            progress(done, len(tasks))
    return summary


def _drawn(tasks: list[Task], workers: int) -> Iterator[list[DrawnPair]]:
    if workers <= 1 or len(tasks) <= 1:
        yield from map(draw_task, tasks)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context) as pool:
        yield from pool.map(draw_task, tasks, chunksize=2)


def draw_task(task: Task) -> list[DrawnPair]:
    """One asset in a worker process: its specs drawn and written, no database."""
    sha, path, specs, max_pixels = task
    return draw_into_store(Path(path), sha, specs, max_pixels=max_pixels, name="the image")

