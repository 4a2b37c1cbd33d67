"""The channel conflict report over current catalog data."""

from pim.publishing.conflicts import channel_conflicts, conflicts_out
from tests.integration.workflow.factories import complete_speaker, one, write


def test_a_price_below_the_minimum_advertised_price_is_reported(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1", price="10.00",
                                  map_price=one([{"amount": "20.00", "currency": "GBP"}])))
    with catalog() as s:
        report = conflicts_out(channel_conflicts(s, ["webshop-uk"]))
    (violation,) = report["map_violations"]
    assert (violation["sku"], violation["price"], violation["map_price"]) == (
        "EL-1", "10.00", "20.00")


def test_a_product_within_its_map_has_no_conflict(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1", price="30.00",
                                  map_price=one([{"amount": "20.00", "currency": "GBP"}])))
    with catalog() as s:
        assert not channel_conflicts(s, ["webshop-uk"])
