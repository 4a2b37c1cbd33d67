"""Outbound address policy: webhooks never reach the hub's own network by default.

Subscription URLs come from people outside the hub, so a URL naming (or resolving to) a
loopback, private, link-local, multicast, reserved or cloud-metadata address is refused,
unless ``PIM_WEBHOOK_ALLOW_HOSTS`` (hosts or CIDRs, comma-separated) lists it. Each send
resolves the hostname again, checks every address, and connects to the address it checked,
so a DNS answer that changes between the check and the connection (rebinding) cannot slip
an internal address in.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

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
    """A webhook URL that the outbound policy refuses."""


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


def current_allowlist() -> Allowlist:
    return Allowlist.from_setting(get_settings().webhook_allow_hosts)


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


@dataclass(frozen=True)
class Target:
    """Where to connect: the checked address, plus the name for Host, SNI and certificates."""

    url: str  # the subscription URL with its host replaced by the checked address
    host_header: str
    server_name: str


def split_url(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(f"webhook URL must be http or https, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise UnsafeTarget("webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("webhook URL must not carry credentials")
    return parts


def resolve(host: str, port: int) -> list[IPAddress]:
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
        seen[ipaddress.ip_address(info[4][0].split("%", 1)[0])] = None
    return list(seen)


def check_addresses(host: str, addresses: list[IPAddress], allowlist: Allowlist) -> None:
    if allowlist.allows_host(host):
        return
    for address in addresses:
        reason = refusal_reason(address)
        if reason and not allowlist.allows_address(address):
            raise UnsafeTarget(
                f"webhook host {host} resolves to {address}, {reason}; "
                "add it to PIM_WEBHOOK_ALLOW_HOSTS to allow it"
            )


def validate_url(url: str) -> str:
    """Refuse a subscription URL that is not http(s) or that points inside the network."""
    parts = split_url(url)
    try:
        addresses = resolve(parts.hostname, parts.port or 443)
    except ConnectionError as error:
        raise UnsafeTarget(f"webhook URL host does not resolve: {error}") from error
    check_addresses(parts.hostname, addresses, current_allowlist())
    return url


def pin_target(url: str) -> Target:
    """Resolve and check the URL's host now, right before connecting, and pin the address.

    Raises :class:`UnsafeTarget` (never retried) or ``ConnectionError`` (DNS failure,
    retried)."""
    parts = split_url(url)
    default_port = 443 if parts.scheme == "https" else 80
    addresses = resolve(parts.hostname, parts.port or default_port)
    check_addresses(parts.hostname, addresses, current_allowlist())
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = literal + (f":{parts.port}" if parts.port else "")
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return Target(urlunsplit(parts._replace(netloc=netloc)), host_header, parts.hostname)
