"""Waiting for htmx: a response event only says the answer arrived; the page changes when
htmx has swapped it in and settled, a moment later (longer on a busy machine)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

ARM = """() => {
  window.__pimSettled = false;
  document.addEventListener("htmx:afterSettle", () => { window.__pimSettled = true; },
                            {once: true});
}"""


@contextmanager
def settled(page, *, timeout: float = 30_000) -> Iterator[None]:
    """The htmx request the block starts has been answered, swapped in and settled."""
    page.evaluate(ARM)
    yield
    page.wait_for_function("() => window.__pimSettled === true", timeout=timeout)
