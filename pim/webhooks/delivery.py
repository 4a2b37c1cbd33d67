"""One HTTP attempt and what its answer means: succeeded, retried (when and why), given up.

Each subscription sends over its own pooled ``httpx.Client`` (HTTP/1.1 keep-alive, as many
connections as requests it has in flight): one receiver's slow or broken connections never
hold up another's. The client connects to the address the outbound policy checked for the
batch (``pin_target``) and names the host in ``Host`` and SNI.

HTTP/2 is not offered. httpx negotiates it only over TLS, and its synchronous client is
not safe for HTTP/2 streams shared by threads (encode/httpx#3002, open); the sender keeps
several requests in flight with threads, and HTTP/1.1 keep-alive connections already give
each request its own connection without a handshake per request. (The ``h2`` extra would
also add pure-Python framing to every request of a CPU-bound sender.)
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from pim.config import get_settings
from pim.db import utcnow
from pim.net import Target
from pim.webhooks.signing import webhook_headers

RESPONSE_BODY_LIMIT = 2048  # bytes of the receiver's answer kept in the attempt log
LEASE_MARGIN_SECONDS = 5.0
MAX_RETRY_AFTER_SECONDS = 86_400.0  # a receiver cannot park a delivery for more than a day
RETRIED_STATUSES = frozenset({408, 429})
USER_AGENT = "pim-hub-webhooks/1"
MAX_CLIENTS = 256  # pooled clients kept per process; the least recently used is closed


@dataclass(frozen=True)
class Claim:
    """A delivery taken into a batch: what to send, and which attempt this is."""

    delivery_id: int
    ordering_key: str
    attempt_number: int
    message_id: str
    body: str


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None = None
    latency_ms: int | None = None
    response_body: str = ""
    error: str | None = None
    retry_after: float | None = None
    network_failure: bool = False  # timeouts, refused connections, DNS: worth retrying

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        """Worth another attempt: network failures, 5xx, 408 and 429. Never 3xx or other
        4xx: the receiver said the message itself is not wanted there."""
        if self.status_code is None:
            return self.network_failure
        return self.status_code in RETRIED_STATUSES or self.status_code >= 500

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def attempt_budget_seconds() -> float:
    """The longest one attempt may take: connect, write and read each get the timeout,
    plus a margin for the database round trips around it."""
    return 3 * get_settings().webhook_timeout + LEASE_MARGIN_SECONDS


_clients: OrderedDict[tuple[int, str, int], httpx.Client] = OrderedDict()
_clients_lock = threading.Lock()


def client_for(subscription_id: int, server_name: str, connections: int) -> httpx.Client:
    """The subscription's pooled client for this host name. Keyed by name too: connections
    go to pinned addresses, so a pool shared across names could reuse a TLS session made
    for another name."""
    key = (subscription_id, server_name, connections)
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            _clients.move_to_end(key)
            return client
        # trust_env=False: a proxy from the environment would bypass the address checks.
        client = _clients[key] = httpx.Client(
            timeout=get_settings().webhook_timeout, follow_redirects=False, trust_env=False,
            headers={"user-agent": USER_AGENT},
            limits=httpx.Limits(max_connections=connections,
                                max_keepalive_connections=connections),
        )
        evicted = _clients.popitem(last=False)[1] if len(_clients) > MAX_CLIENTS else None
    if evicted is not None:
        evicted.close()
    return client


def close_clients() -> None:
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


def post(client: httpx.Client, target: Target, signing_secrets: list[str],
         claimed: Claim) -> AttemptResult:
    """One HTTP attempt to the pinned ``target``. Never raises: every failure becomes an
    :class:`AttemptResult`."""
    started = time.perf_counter()
    headers = webhook_headers(signing_secrets, claimed.message_id, int(time.time()),
                              claimed.body)
    headers["host"] = target.host_header
    extensions = {"sni_hostname": target.server_name} if target.url.startswith("https") else {}
    try:
        with client.stream("POST", target.url, content=claimed.body.encode(), headers=headers,
                           extensions=extensions) as response:
            body = read_prefix(response)
            return AttemptResult(
                status_code=response.status_code, latency_ms=elapsed_ms(started),
                response_body=body,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
    except httpx.TimeoutException as error:
        return AttemptResult(error=f"timeout ({type(error).__name__}) after "
                                   f"{get_settings().webhook_timeout:g}s",
                             network_failure=True, latency_ms=elapsed_ms(started))
    except httpx.HTTPError as error:
        return AttemptResult(error=f"{type(error).__name__}: {error}", network_failure=True,
                             latency_ms=elapsed_ms(started))


def elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def read_prefix(response: httpx.Response) -> str:
    """The first RESPONSE_BODY_LIMIT bytes; the rest is never read."""
    kept = bytearray()
    for chunk in response.iter_bytes():
        kept += chunk
        if len(kept) >= RESPONSE_BODY_LIMIT:
            break
    return bytes(kept[:RESPONSE_BODY_LIMIT]).decode("utf-8", errors="replace")


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as delta-seconds or an HTTP date, in seconds from now."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - utcnow()).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def retry_delay(attempt_number: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt, or None when the schedule is exhausted. The schedule
    gets up to 10% jitter (never earlier), so receivers recovering from an outage are not
    hit by every retry at once; a Retry-After wins when it asks for longer."""
    schedule = get_settings().schedule(get_settings().webhook_retry_schedule)
    if attempt_number > len(schedule):
        return None
    delay = schedule[attempt_number - 1] * (1 + random.uniform(0, 0.1))
    return max(delay, retry_after or 0.0)


def describe(result: AttemptResult) -> str:
    return result.error or f"HTTP {result.status_code}"
