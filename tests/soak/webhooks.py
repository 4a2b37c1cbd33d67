"""The soak's storefront: a webhook receiver on loopback (``tests.integration.webhooks``'
receiver, verifying every signature) subscribed to the channel the publisher publishes to;
``check_deliveries`` then holds what it received against the snapshots published."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Callable

from tests.integration.webhooks.receiver import Receiver

PUBLISHED = "product.published"


def subscribe(pim: Callable[..., str], receiver: Receiver, channel: str) -> int:
    """Subscribe the receiver to the channel's publications; the subscription's id."""
    added = pim("webhook", "add", "--channel", channel, "--url", receiver.url,
                "--events", PUBLISHED, "--description", "soak")
    receiver.secrets.append(re.findall(r"secret: (\S+)", added)[0])
    return int(re.findall(r"subscription (\d+)", added)[0])


def wait_delivered(pending: Callable[[], int], timeout: float) -> float:
    """Wait until no delivery is pending (the workers still run); seconds waited. Bounded:
    what is still pending then is reported by ``check_deliveries`` as not delivered."""
    started = time.monotonic()
    while pending() and time.monotonic() - started < timeout:
        time.sleep(0.5)
    return time.monotonic() - started


def check_deliveries(receiver: Receiver, published: list[tuple[str, str, int]]
                     ) -> tuple[list[str], dict[str, int]]:
    """Problems, and counts: every publication (SKU, locale, snapshot version) received at
    least once with a valid signature, and each product's versions first received in
    ascending order."""
    problems: list[str] = []
    arrivals: dict[tuple[str, str], list[int]] = defaultdict(list)
    received: set[tuple[str, str, int]] = set()
    unsigned = 0
    for request in sorted(receiver.requests, key=lambda r: r.at):
        if request.verified is not True:
            unsigned += 1
            continue
        event = json.loads(request.body)
        if event["type"] != PUBLISHED:
            continue
        data = event["data"]
        key = (data["sku"], data["locale"], data["snapshot_version"])
        if key not in received:  # a redelivery (at least once) is not a new arrival
            arrivals[(data["sku"], data["locale"])].append(data["snapshot_version"])
        received.add(key)
    if unsigned:
        problems.append(f"{unsigned} deliveries without a valid signature")
    missing = sorted(set(published) - received)
    for sku, locale, version in missing[:20]:
        problems.append(f"{sku} ({locale}) version {version}: published, never delivered")
    if len(missing) > 20:
        problems.append(f"... {len(missing) - 20} more publications never delivered")
    for (sku, locale), versions in sorted(arrivals.items()):
        if versions != sorted(versions):
            problems.append(f"{sku} ({locale}): versions arrived out of order: {versions}")
    counts = {"publications": len(published), "requests": len(receiver.requests),
              "distinct": len(received), "redelivered": len(receiver.requests) - len(received)}
    return problems, counts
