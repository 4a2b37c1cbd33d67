"""Listener registries and the one place that wires them (``pim.wiring``)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pim import listeners
from pim.listeners import Listeners, ListenersNotConnected
from tests.conftest import ROOT


def test_a_registry_calls_its_listeners_in_order_and_returns_their_answers():
    registry: Listeners[[int], int] = Listeners("test.numbers")
    registry.connect(lambda n: n + 1)
    registry.connect(lambda n: n * 10)
    assert registry(4) == [5, 40]


def test_connecting_the_same_listener_twice_keeps_it_once():
    registry: Listeners[[], str] = Listeners("test.once")

    def answer() -> str:
        return "heard"

    registry.connect(answer)
    registry.connect(answer)
    assert registry() == ["heard"]


def test_announcing_before_the_wiring_ran_fails_loudly(monkeypatch):
    monkeypatch.setattr(listeners, "_connected", False)
    with pytest.raises(ListenersNotConnected, match="connect_listeners"):
        Listeners("test.unwired")()


def test_the_wiring_connects_every_reaction_once(monkeypatch):
    from pim.catalog import listeners as catalog
    from pim.publishing import events
    from pim.wiring import connect_listeners

    connect_listeners()
    before = {registry.name: repr(registry) for registry in (
        catalog.products_changed, catalog.channel_codes, catalog.structure_rows,
        catalog.import_hooks, events.event_recorded)}
    monkeypatch.setattr(listeners, "_connected", False)  # as if a second entry point ran it
    connect_listeners()
    after = {registry.name: repr(registry) for registry in (
        catalog.products_changed, catalog.channel_codes, catalog.structure_rows,
        catalog.import_hooks, events.event_recorded)}
    assert after == before
    assert "pim.workflow.hooks.products_changed" in after["catalog.products_changed"]
    assert "record_publishing_event" in after["publishing.event_recorded"]


def test_a_process_that_skips_the_wiring_cannot_write_a_product():
    """A new entry point that forgets ``connect_listeners()`` is told so at its first
    write, instead of leaving completeness behind (a fresh interpreter: no test set-up)."""
    script = (
        "from pim.catalog.listeners import ProductsChanged, products_changed\n"
        "try:\n"
        "    products_changed(None, ProductsChanged([1]))\n"
        "except Exception as error:\n"
        "    print(type(error).__name__)\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "ListenersNotConnected"


def test_every_job_kind_of_the_hub_is_known_once_wired():
    from pim.jobs.registry import registered_kinds
    from pim.wiring import connect_listeners

    connect_listeners()
    assert {"import", "import_catalog", "completeness.refresh", "completeness.recompute",
            "export", "release.publish", "webhooks.deliver", "media_download"} <= set(
        registered_kinds())
