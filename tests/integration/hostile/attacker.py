"""The slow inputs of issue #18, sent from a process of their own by
``test_health_under_attack`` (this module imports only httpx, so that starting it takes
little from the server under test)."""

from __future__ import annotations

import json

import httpx


def attack(url: str, auth: dict[str, str]) -> list[int]:
    """Send the slow inputs of issue #18 (items 1, 2 and 6); their statuses."""
    statuses = []
    with httpx.Client(timeout=300, headers=auth) as client:
        # Item 1: 16 MB of NDJSON without a newline (split quadratically, 40 MB stalled the
        # server for 14 s; past 8 MB the body is spooled to disk), then numbers to expand.
        response = client.patch(f"{url}/api/v1/products", content=b"x" * (16 * 1024 * 1024),
                                headers={"Content-Type": "application/x-ndjson"})
        statuses.append(response.status_code)
        assert json.loads(response.text.splitlines()[0])["status"] == "refused"
        lines = "\n".join(json.dumps({"sku": f"BIG-{n}", "family": "electronics", "values": {
            "weight": [{"locale": None, "scope": None,
                        "data": {"amount": "1e30000000", "unit": "KILOGRAM"}}]}})
            for n in range(200))
        statuses.append(client.patch(f"{url}/api/v1/products", content=lines, headers={
            "Content-Type": "application/x-ndjson"}).status_code)
        # Item 2: numbers past the precision, one request each.
        for amount in ("1e30000000", "1e999999999999999999", 10**400):
            body = json.dumps({"values": {"weight": [{"locale": None, "scope": None, "data": {
                "amount": amount, "unit": "KILOGRAM"}}]}})
            statuses.append(client.patch(f"{url}/api/v1/products/EL-1", content=body, headers={
                "Content-Type": "application/json"}).status_code)
        # Item 6: a value against (a+)+$, which Python's re takes ages over.
        statuses.append(client.patch(f"{url}/api/v1/products/EL-1", json={"values": {
            "serial": [{"locale": None, "scope": None, "data": "a" * 60 + "b"}]}}).status_code)
    return statuses


def ready() -> bool:
    """A first task for the attacking process: it is started before the timing begins."""
    return True
