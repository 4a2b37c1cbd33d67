"""Publishing the ready products of a whole catalog (issue #18 item 8): only the channel's
assortment is considered, and refusals are counted by reason with a bounded list."""

from __future__ import annotations

from pim.db import session_scope
from pim.records import ProductRecord
from tests.integration.workflow.factories import complete_speaker, incomplete_speaker, write

API = "/api/v1"
SHOP = "webshop-uk"


def test_ready_considers_only_the_assortment_and_bounds_its_refusals(client, world,
                                                                     monkeypatch):
    import pim.publishing.snapshots as snapshots

    monkeypatch.setattr(snapshots, "MAX_LISTED_REFUSALS", 2)
    with session_scope() as session:
        write(session, complete_speaker("SPK-OK"),
              *[incomplete_speaker(f"SPK-BAD-{n}") for n in range(4)],
              # spare parts are outside the UK webshop's assortment (families)
              *[ProductRecord(sku=f"PART-{n}", family="spare_parts") for n in range(5)])

    response = client.post(f"{API}/channels/{SHOP}/publish", json={"ready": True},
                           headers=world.auth("admin"))

    assert response.status_code == 200, response.text
    report = response.json()
    refused_skus = [r["sku"] for r in report["refused"]]
    assert not any(sku.startswith("PART-") for sku in refused_skus)
    assert len(refused_skus) == 2
    assert report["refused_total"] == sum(report["refused_by_reason"].values())
    assert report["refused_total"] >= 4  # the four incomplete speakers at least
    assert "SPK-OK" in {p["sku"] for p in report["published"]}
    assert f"{report['refused_total']} refused" in report["summary"]


def test_named_skus_outside_the_assortment_are_still_refused_each(client, world):
    with session_scope() as session:
        write(session, ProductRecord(sku="PART-X", family="spare_parts"))

    report = client.post(f"{API}/channels/{SHOP}/publish",
                         json={"skus": ["PART-X"], "ready": True},
                         headers=world.auth("admin")).json()

    assert [(r["sku"], r["reason"]) for r in report["refused"]] == [
        ("PART-X", "not in the channel's assortment")]
