"""Address policy, Retry-After and the retry schedule, without a network."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from email.utils import format_datetime

import pytest

from pim.config import reset_settings
from pim.db import utcnow
from pim.net import Allowlist, OutboundPolicy, UnsafeTarget, refusal_reason
from pim.webhooks.delivery import retry_after_seconds, retry_delay


def ip(text):
    return ipaddress.ip_address(text)


def check_addresses(host, addresses, allowlist):
    OutboundPolicy("webhook", "PIM_WEBHOOK_ALLOW_HOSTS", allowlist).check(host, addresses)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "172.16.5.5", "192.168.1.1",
                                     "169.254.169.254", "224.0.0.1", "240.0.0.1", "0.0.0.0",
                                     "100.64.0.1", "::1", "fe80::1", "fd00:ec2::254",
                                     "ff02::1", "::ffff:127.0.0.1"])
def test_internal_addresses_are_refused(address):
    assert refusal_reason(ip(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_public_addresses_pass(address):
    assert refusal_reason(ip(address)) is None


def test_allowlist_takes_hosts_and_cidrs():
    allow = Allowlist.from_setting("127.0.0.1, 10.0.0.0/8, hooks.internal")
    check_addresses("anything", [ip("10.9.9.9")], allow)
    check_addresses("hooks.internal", [ip("192.168.0.1")], allow)
    with pytest.raises(UnsafeTarget):
        check_addresses("other", [ip("10.9.9.9"), ip("192.168.0.1")], allow)


def test_metadata_address_needs_its_own_entry_even_inside_an_allowlisted_range():
    with pytest.raises(UnsafeTarget):
        check_addresses("x", [ip("169.254.169.254")], Allowlist.from_setting("169.254.0.0/16"))
    check_addresses("x", [ip("169.254.169.254")], Allowlist.from_setting("169.254.169.254"))


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("7") == 7
    in_a_minute = format_datetime(utcnow() + timedelta(seconds=60), usegmt=True)
    assert 55 <= retry_after_seconds(in_a_minute) <= 61
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("99999999") == 86_400


def test_retry_delay_follows_the_schedule_with_jitter_and_yields_to_retry_after(monkeypatch):
    monkeypatch.setenv("PIM_WEBHOOK_RETRY_SCHEDULE", "5,300")
    reset_settings()
    try:
        assert 5 <= retry_delay(1, None) <= 5.5
        assert 300 <= retry_delay(2, None) <= 330
        assert retry_delay(3, None) is None  # schedule exhausted
        assert retry_delay(1, 120) == 120
    finally:
        reset_settings()
