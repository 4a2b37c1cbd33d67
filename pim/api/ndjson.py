"""The bulk upsert's body: newline-delimited JSON read as numbered lines, in linear time.

The body is spooled first (see ``bulk_upsert_route``); ``NdjsonLines`` then reads it a batch
at a time in a worker thread, never on the event loop. Each line is read with
``readline(limit)``, so a body without a single newline costs one pass over its bytes, not
one pass per chunk received. A line longer than ``MAX_LINE_BYTES`` is not kept: the rest of
it is skipped in chunks and it gets its own refused status, and the lines after it go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

# One product is a few kilobytes; a mebibyte is several hundred values. A longer line is
# refused (its status says so) and never held in memory whole.
MAX_LINE_BYTES = 1024 * 1024
_SKIP_CHUNK = 64 * 1024


@dataclass(slots=True)
class BulkLineText:
    """A non-blank line: its 1-based number and its text, or why it was refused unread."""

    number: int
    text: str | None
    refusal: str | None = None


class NdjsonLines:
    """Numbered non-blank lines of a binary file, ``count`` at a time (``read``)."""

    def __init__(self, body: IO[bytes], max_line_bytes: int = MAX_LINE_BYTES):
        self.body = body
        self.max_line_bytes = max_line_bytes
        self.number = 0

    def read(self, count: int) -> list[BulkLineText]:
        """Up to ``count`` lines; an empty list at the end of the body."""
        lines: list[BulkLineText] = []
        while len(lines) < count:
            raw = self.body.readline(self.max_line_bytes + 1)
            if not raw:
                break
            self.number += 1
            if len(raw) > self.max_line_bytes and not raw.endswith(b"\n"):
                self._skip_rest_of_line()
                lines.append(BulkLineText(self.number, None, (
                    f"the line is longer than {self.max_line_bytes:,} bytes (one product a "
                    "line); it was not read")))
                continue
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                lines.append(BulkLineText(self.number, None, (
                    f"the line is not UTF-8 (byte {error.start + 1} is invalid)")))
                continue
            lines.append(BulkLineText(self.number, text))
        return lines

    def _skip_rest_of_line(self) -> None:
        while True:
            rest = self.body.readline(_SKIP_CHUNK)
            if not rest or rest.endswith(b"\n"):
                return
