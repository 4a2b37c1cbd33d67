"""Media downloads keep to the outbound address policy the webhooks use, with their own
allowlist (PIM_MEDIA_ALLOW_HOSTS)."""

from __future__ import annotations

import pytest

from pim.media.fetch import pinned
from pim.net import Allowlist, OutboundPolicy, UnsafeTarget


def media(allow: str) -> OutboundPolicy:
    return OutboundPolicy("media", "PIM_MEDIA_ALLOW_HOSTS", Allowlist.from_setting(allow))


NOTHING = media("")


@pytest.mark.parametrize("url", [
    "http://10.1.2.3/a.png", "http://192.168.0.10/a.png", "http://127.0.0.1:8080/a.png",
    "http://[::1]/a.png", "http://169.254.169.254/latest/meta-data", "http://0.0.0.0/a.png",
])
def test_internal_addresses_are_refused_without_an_allowlist(url):
    with pytest.raises(UnsafeTarget, match="PIM_MEDIA_ALLOW_HOSTS"):
        pinned(url, NOTHING)


def test_an_allowlisted_address_is_pinned_with_its_host_header():
    url, host, server_name = pinned("http://127.0.0.1:8080/a.png?v=1",
                                    media("127.0.0.1"))
    assert (url, host, server_name) == ("http://127.0.0.1:8080/a.png?v=1", "127.0.0.1:8080",
                                        "127.0.0.1")


def test_a_broad_allowlist_does_not_open_the_metadata_address():
    with pytest.raises(UnsafeTarget, match="metadata"):
        pinned("http://169.254.169.254/", media("169.254.0.0/16"))


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.com/a.png", "http or https"), ("file:///etc/passwd", "http or https"),
    ("http://user:pw@example.com/a.png", "credentials"), ("http:///a.png", "no host"),
])
def test_only_plain_http_urls_are_fetched(url, reason):
    with pytest.raises(UnsafeTarget, match=reason):
        pinned(url, NOTHING)
