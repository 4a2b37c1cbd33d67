"""The soak's distributors: they pull a channel's NDJSON feed with a feed key, sending the
ETag they hold, and keep every body they get; ``check_feed_pulls`` then reads each body
against the channel's snapshots."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.soak.writers import Tally


@dataclass
class Pull:
    status: int
    etag: str | None
    body: bytes = b""


@dataclass
class FeedPuller:
    """One distributor: pulls ``/feeds/{channel}/ndjson`` every ``every`` seconds."""

    base: str
    key: str
    channel: str
    gzip: bool
    pulls: list[Pull] = field(default_factory=list)

    def run(self, stop: threading.Event, tally: Tally, every: float = 0.5) -> None:
        headers = {"X-Feed-Key": self.key,
                   "Accept-Encoding": "gzip" if self.gzip else "identity"}
        etag = None
        with httpx.Client(base_url=self.base, headers=headers, timeout=120) as client:
            while not stop.wait(every):
                started = time.perf_counter()
                answer = client.get(f"/feeds/{self.channel}/ndjson",
                                    headers={"If-None-Match": etag} if etag else {})
                kind = "feed gzip" if self.gzip else "feed"
                tally.record(kind, answer.status_code, time.perf_counter() - started)
                self.pulls.append(Pull(answer.status_code, answer.headers.get("etag"),
                                       answer.content if answer.status_code == 200 else b""))
                if answer.status_code == 200:
                    etag = answer.headers.get("etag")


def canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def check_feed_pulls(pullers: list[FeedPuller],
                     snapshots: dict[str, dict[str, int]]) -> tuple[list[str], dict[str, int]]:
    """Problems with the pulls, and counts by outcome. ``snapshots``: SKU -> the canonical
    JSON of each payload published for it in the feed's locale -> its version.

    Every pull must be answered 200 or 304 (a 304 only to a client holding an ETag); every
    200 body must be whole NDJSON, each line a snapshot published for its SKU, each SKU once;
    and one distributor must never see a product go back to an older version."""
    problems: list[str] = []
    counts = {"200": 0, "304": 0, "other": 0, "lines": 0}
    for number, puller in enumerate(pullers, start=1):
        seen: dict[str, int] = {}
        held = False
        for pull in puller.pulls:
            if pull.status == 304:
                counts["304"] += 1
                if not held:
                    problems.append(f"distributor {number}: 304 without an ETag sent")
                continue
            if pull.status != 200:
                counts["other"] += 1
                problems.append(f"distributor {number}: feed pull answered {pull.status}")
                continue
            counts["200"] += 1
            held = pull.etag is not None
            problems += _check_body(number, pull.body, snapshots, seen, counts)
    return problems, counts


def _check_body(number: int, body: bytes, snapshots: dict[str, dict[str, int]],
                seen: dict[str, int], counts: dict[str, int]) -> list[str]:
    problems = []
    if body and not body.endswith(b"\n"):
        problems.append(f"distributor {number}: a body ends in the middle of a line")
    skus: set[str] = set()
    for line in body.splitlines():
        counts["lines"] += 1
        try:
            item = json.loads(line)
        except ValueError:
            problems.append(f"distributor {number}: a line is not JSON: {line[:80]!r}")
            continue
        sku = item.get("sku")
        if sku in skus:
            problems.append(f"distributor {number}: {sku} twice in one body")
        skus.add(sku)
        version = snapshots.get(sku, {}).get(canonical(item))
        if version is None:
            problems.append(f"distributor {number}: {sku}'s line is no published snapshot")
            continue
        if version < seen.get(sku, 0):
            problems.append(f"distributor {number}: {sku} went back from version "
                            f"{seen[sku]} to {version}")
        seen[sku] = version
    return problems
