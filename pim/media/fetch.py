"""Downloading a media URL under the outbound address policy (``pim.net``).

Import files come from outside the hub, so a media URL naming (or resolving to) a loopback,
private, link-local or metadata address is refused unless ``PIM_MEDIA_ALLOW_HOSTS`` lists
it. The host is resolved and checked right before connecting, and the connection goes to
the checked address (a DNS answer cannot change in between). Redirects are followed by
hand, at most ``MAX_REDIRECTS``, and every hop is checked again. The body is streamed into
the store's temporary file and abandoned past the byte limit or the overall deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from pim.media.errors import MediaTooLarge, UnsupportedMedia
from pim.media.images import ALLOWED_TYPES
from pim.media.storage import Blob, receive
from pim.net import OutboundPolicy, media_policy

MAX_REDIRECTS = 5
USER_AGENT = "pim-hub-media/1"
RETRIED_STATUSES = frozenset({408, 425, 429})
# Declared types that say nothing about the content; the bytes decide.
GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})


class DownloadFailed(Exception):
    """The peer did not deliver; ``retryable`` when another attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Downloaded:
    blob: Blob
    declared_type: str
    url: str  # after redirects


def pinned(url: str, policy: OutboundPolicy) -> tuple[str, str, str]:
    """``(url with the checked address, Host header, TLS server name)``; raises UnsafeTarget
    (refused) or DownloadFailed (DNS)."""
    try:
        target = policy.pin(url)
    except ConnectionError as error:
        raise DownloadFailed(str(error), retryable=True) from None
    return target.url, target.host_header, target.server_name


def download(url: str, *, max_bytes: int, timeout: float,
             policy: OutboundPolicy | None = None) -> Downloaded:
    """GET ``url`` into a temporary blob. Raises UnsafeTarget, UnsupportedMedia,
    MediaTooLarge (all permanent) or DownloadFailed."""
    policy = policy or media_policy()
    deadline = time.monotonic() + timeout
    # trust_env=False: a proxy from the environment would bypass the address checks.
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                      headers={"user-agent": USER_AGENT}) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target, host, server_name = pinned(url, policy)
            extensions = {"sni_hostname": server_name} if target.startswith("https") else {}
            try:
                with client.stream("GET", target, headers={"host": host},
                                   extensions=extensions) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    return _receive(response, url, max_bytes=max_bytes, deadline=deadline)
            except httpx.TimeoutException as error:
                raise DownloadFailed(f"timeout ({type(error).__name__}) after {timeout:g}s",
                                     retryable=True) from None
            except httpx.HTTPError as error:
                raise DownloadFailed(f"{type(error).__name__}: {error}", retryable=True) \
                    from None
    raise DownloadFailed(f"more than {MAX_REDIRECTS} redirects", retryable=False)


def _receive(response: httpx.Response, url: str, *, max_bytes: int,
             deadline: float) -> Downloaded:
    status = response.status_code
    if status >= 300:
        retryable = status >= 500 or status in RETRIED_STATUSES
        raise DownloadFailed(f"{url} answered HTTP {status}", retryable=retryable)
    declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared not in GENERIC_TYPES and declared not in ALLOWED_TYPES:
        raise UnsupportedMedia(f"{url} is {declared}, not a JPEG, PNG, WebP, GIF or PDF file")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise MediaTooLarge(f"{url} is {length} bytes, above the limit of {max_bytes} "
                            "(PIM_MEDIA_MAX_BYTES)")
    blob = receive(_until(response.iter_bytes(), deadline, url), max_bytes=max_bytes,
                   name=url)
    return Downloaded(blob, declared, url)


def _until(chunks: Iterator[bytes], deadline: float, url: str) -> Iterator[bytes]:
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise DownloadFailed(f"{url} took longer than the download timeout", retryable=True)
        yield chunk
