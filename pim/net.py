"""Outbound address policy: what the hub's own requests may connect to.

Webhook subscription URLs and media URLs in import files come from people outside the hub,
so a URL naming (or resolving to) a loopback, private, link-local, multicast, reserved or
cloud-metadata address is refused unless the policy's allowlist (``PIM_WEBHOOK_ALLOW_HOSTS``
for webhooks, ``PIM_MEDIA_ALLOW_HOSTS`` for media; hosts or CIDRs, comma-separated) lists
it. Each request resolves the host again right before connecting, checks every address,
and connects to the address it checked (``OutboundPolicy.pin``), so a DNS answer that
changes between the check and the connection (rebinding) cannot slip an internal address in.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from pim.config import get_settings
from pim.errors import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud instance metadata: refused even when a broad allowlisted CIDR covers them; only an
# entry naming the exact address unlocks one.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class UnsafeTarget(Invalid):
    """A URL the outbound policy refuses (never worth a retry)."""


@dataclass(frozen=True)
class Allowlist:
    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def from_setting(cls, text: str) -> Allowlist:
        hosts, networks = set(), []
        for entry in (e.strip().lower() for e in text.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.strip("[]"))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.lower() in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        if address in METADATA_ADDRESSES:
            return any(n.num_addresses == 1 and address in n for n in self.networks)
        return any(address in n for n in self.networks)


def refusal_reason(address: IPAddress) -> str | None:
    """Why an address is not a public destination, or None when it is one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    checks = (
        (address in METADATA_ADDRESSES, "a cloud metadata address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (not address.is_global, "not a public address"),
    )
    return next((reason for refused, reason in checks if refused), None)


def resolve(host: str, port: int) -> list[IPAddress]:
    """The addresses of ``host`` (itself when it is a literal address); ``ConnectionError``
    when the name does not resolve."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ConnectionError(f"cannot resolve {host}: {error.strerror}") from error
    seen: dict[IPAddress, None] = {}
    for info in infos:
        seen[ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])] = None
    return list(seen)


@dataclass(frozen=True)
class Target:
    """Where to connect: the checked address, plus the name for Host, SNI and certificates."""

    url: str  # the URL with its host replaced by the checked address
    host_header: str
    server_name: str


@dataclass(frozen=True)
class OutboundPolicy:
    """The address policy of one kind of outbound request. ``what`` names the URL in
    refusals ("webhook", "media"); ``setting`` is the variable that unlocks an address."""

    what: str
    setting: str
    allowlist: Allowlist

    def split(self, url: str) -> SplitResult:
        """The URL's parts, refused unless it is http(s) with a host and no credentials."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UnsafeTarget(f"{self.what} URL must be http or https, not "
                               f"{parts.scheme or 'none'!r}")
        if not parts.hostname:
            raise UnsafeTarget(f"{self.what} URL has no host")
        if parts.username or parts.password:
            raise UnsafeTarget(f"{self.what} URL must not carry credentials")
        return parts

    def check(self, host: str, addresses: list[IPAddress]) -> None:
        """Refuse when any address ``host`` resolves to is not public and not allowlisted."""
        if self.allowlist.allows_host(host):
            return
        for address in addresses:
            reason = refusal_reason(address)
            if reason and not self.allowlist.allows_address(address):
                raise UnsafeTarget(f"{self.what} host {host} resolves to {address}, {reason}; "
                                   f"add it to {self.setting} to allow it")

    def validate(self, url: str) -> str:
        """Refuse a URL given to be used later (a subscription): resolved and checked now,
        and again by ``pin`` at each request."""
        parts = self.split(url)
        try:
            addresses = resolve(parts.hostname or "", self._port(parts))
        except ConnectionError as error:
            raise UnsafeTarget(f"{self.what} URL host does not resolve: {error}") from error
        self.check(parts.hostname or "", addresses)
        return url

    def pin(self, url: str) -> Target:
        """Resolve and check the URL's host now, right before connecting, and pin the
        address. Raises :class:`UnsafeTarget` (refused) or ``ConnectionError`` (DNS)."""
        parts = self.split(url)
        host = parts.hostname or ""
        addresses = resolve(host, self._port(parts))
        self.check(host, addresses)
        address = addresses[0]
        literal = f"[{address}]" if address.version == 6 else str(address)
        netloc = literal + (f":{parts.port}" if parts.port else "")
        return Target(urlunsplit(parts._replace(netloc=netloc)),
                      parts.netloc.rsplit("@", 1)[-1], host)

    def _port(self, parts: SplitResult) -> int:
        try:
            return parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as error:  # not a number, or out of range
            raise UnsafeTarget(f"{self.what} URL has a bad port: {error}") from None


def webhook_policy() -> OutboundPolicy:
    return OutboundPolicy("webhook", "PIM_WEBHOOK_ALLOW_HOSTS",
                          Allowlist.from_setting(get_settings().webhook_allow_hosts))


def media_policy() -> OutboundPolicy:
    return OutboundPolicy("media", "PIM_MEDIA_ALLOW_HOSTS",
                          Allowlist.from_setting(get_settings().media_allow_hosts))
