"""HTTP for connectors: bounded timeouts, retries with backoff, bounded responses, and
messages that never carry a credential.

Every request a connector makes goes through :class:`ErpHttp`. A network error (connection
refused or reset, a timeout) or an answer that says "try later" (HTTP 429, 502, 503, 504) is
retried ``retries`` times after ``backoff(attempt)`` seconds (0.5, 1, 2, 4, ... capped at 8,
or the server's ``Retry-After`` up to 30); then the pull stops with :class:`ErpUnavailable`.
Any other 4xx/5xx answer is not retried. A body larger than ``max_response_bytes`` is
refused while it streams in, so a runaway endpoint cannot fill memory. Redirects are not
followed: credentials go only to the configured host.
"""

from __future__ import annotations

import functools
import logging
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from importers.erp.errors import ErpAuthError, ErpProtocolError, ErpUnavailable

log = logging.getLogger("importers.erp")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 30.0
USER_AGENT = "pim-hub-erp/1"
_CREDENTIAL_PATTERNS = (
    re.compile(r"(?i)\b(Bearer|Session|Basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(password|passwd|token|secret|api[_-]?key)(\"?\s*[:=]\s*\"?)[^\s\",&}]+"),
    re.compile(r"(?<=://)[^/@\s]+@"),  # user:password@ in URLs
)


class Redactor:
    """Removes credentials from text: the secrets it was given, wherever they appear, and
    anything shaped like a credential (``Bearer ...``, ``password=...``, ``user:pw@``)."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 3 and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: object) -> str:
        cleaned = str(text)
        for secret in self._secrets:
            cleaned = cleaned.replace(secret, "***")
        for pattern in _CREDENTIAL_PATTERNS:
            cleaned = pattern.sub(_masked, cleaned)
        return cleaned


def _masked(match: re.Match[str]) -> str:
    text = match.group(0)
    if text.endswith("@"):
        return "***@"
    if match.re is _CREDENTIAL_PATTERNS[1]:
        return f"{match.group(1)}{match.group(2)}***"
    return f"{match.group(1)} ***"


def where(url: str) -> str:
    """A URL as messages show it: scheme, host and path; no credentials, no query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one reads the CA bundle (~0.1 s),
    which a pull every few minutes would otherwise pay each time."""
    return ssl.create_default_context()


def backoff(attempt: int) -> float:
    """Seconds before retry ``attempt`` (1-based): 0.5, 1, 2, 4, 8, 8, ..."""
    return min(MAX_BACKOFF, 0.5 * 2 ** (attempt - 1))


@dataclass(slots=True)
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes
    url: str


class ErpHttp:
    """One connection pool to one ERP for the length of a pull."""

    def __init__(self, *, timeout: float, retries: int, max_response_bytes: int,
                 redactor: Redactor | None = None, headers: Mapping[str, str] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None):
        self.retries = retries
        self.max_response_bytes = max_response_bytes
        self.redact = redactor or Redactor()
        self._sleep = sleep
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=False, transport=transport,
            verify=_tls_context(),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json",
                     **(headers or {})})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ErpHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, url: str, *, what: str, json_body: Any = None,
                content: bytes | None = None, params: Mapping[str, Any] | None = None,
                headers: Mapping[str, str] | None = None) -> Reply:
        """Send with retries; returns any answer that is not retried (the caller judges
        its status), or raises :class:`ErpUnavailable` once the retries are spent.
        ``what`` names the request in messages ("Tryton login", "page 3")."""
        attempt = 0
        while True:
            attempt += 1
            try:
                reply = self._send_once(method, url, json_body=json_body, content=content,
                                        params=params, headers=headers)
            except httpx.DecodingError as error:
                raise ErpProtocolError(self.redact(
                    f"{what}: {where(url)} sent a body that cannot be decoded: {error}")) from None
            except httpx.TransportError as error:
                reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                delay = backoff(attempt)
            else:
                if reply.status not in RETRY_STATUSES:
                    return reply
                reason = f"HTTP {reply.status}"
                delay = _retry_after(reply.headers) or backoff(attempt)
            if attempt > self.retries:
                tries = f"{attempt} attempts" if attempt > 1 else "1 attempt"
                raise ErpUnavailable(self.redact(
                    f"{what}: {where(url)} did not answer ({reason}) after {tries}"))
            log.warning("%s", self.redact(f"{what}: {where(url)}: {reason}; retry {attempt} of "
                                          f"{self.retries} in {delay:g} s"))
            self._sleep(delay)

    def _send_once(self, method: str, url: str, *, json_body: Any, content: bytes | None,
                   params: Mapping[str, Any] | None,
                   headers: Mapping[str, str] | None) -> Reply:
        request = self._client.build_request(method, url, json=json_body, content=content,
                                             params=params, headers=headers)
        response = self._client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_response_bytes:
                raise self._too_large(url)
            chunks, size = [], 0
            # Counted as decoded: a compressed body is bounded by what it inflates to.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise self._too_large(url)
                chunks.append(chunk)
        finally:
            response.close()
        return Reply(response.status_code, response.headers, b"".join(chunks),
                     str(response.url))

    def _too_large(self, url: str) -> ErpProtocolError:
        return ErpProtocolError(
            f"{where(url)}: the answer is larger than {self.max_response_bytes} bytes "
            "(max_response_bytes)")

    def refused(self, reply: Reply, what: str) -> ErpAuthError | ErpProtocolError:
        """The error for an answer that is not a success and not retried."""
        if reply.status in (401, 403):
            return ErpAuthError(self.redact(
                f"{what}: {where(reply.url)} refused the credentials (HTTP {reply.status})"))
        snippet = self.redact(reply.body[:200].decode("utf-8", "replace").strip())
        detail = f": {snippet}" if snippet and not snippet.lstrip().startswith("<") else ""
        return ErpProtocolError(f"{what}: {where(reply.url)} answered HTTP {reply.status}{detail}")


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after", "")
    if value.strip().isdigit():
        return min(MAX_RETRY_AFTER, float(value))
    return None
