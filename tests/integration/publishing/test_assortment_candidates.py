"""Publishing the ready products loads only the candidates SQL finds for the channel's
assortment: never fewer than the assortment rule (``in_assortment``) carries, and none of
the products a family or category filter rules out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import pim.publishing.assortment as assortment_module
from channels.assortment import in_assortment
from channels.definition import Assortment
from pim.catalog.models import Product
from pim.catalog.product_models import write_product_models
from pim.catalog.products import WritePolicy
from pim.catalog.structure import load_context
from pim.publishing.assortment import candidate_id_batches
from pim.publishing.snapshots import publish
from pim.records import ProductRecord
from pim.workflow.loading import load_channel_runtimes, load_products
from tests.integration.workflow.factories import (
    ADMIN,
    complete_speaker,
    shirt_colour,
    shirt_model,
    shirt_variant,
    write,
)

ASSORTMENTS = {
    "families and a root": Assortment(category_roots=("master",),
                                      families=("apparel", "electronics")),
    "one family": Assortment(families=("electronics",)),
    "one root": Assortment(category_roots=("b2b",)),
    "a branch, not a root": Assortment(category_roots=("clothing",)),
    "included beside a filter": Assortment(families=("apparel",),
                                           include_skus=("SPK-NOCAT", "LOOSE")),
    "exclusive and excluded": Assortment(families=("spare_parts",), exclusive_skus=("SHIRT",),
                                         exclude_skus=("PART-2",)),
    "a root nothing is in": Assortment(category_roots=("nowhere",)),
    "no filter": Assortment(exclude_skus=("SPK-1",)),
}


def uncategorised(model: ProductRecord) -> ProductRecord:
    model.categories = []
    return model


@pytest.fixture
def mixed(catalog):
    """Products in and out of each tree and family, variants whose only category and
    family are their models', one with a category of its own, one with none at all."""
    loose_red_m = shirt_variant("LOOSE-RED-M", "LOOSE-RED")
    loose_red_m.categories = ["clothing_women"]
    with catalog() as s, s.begin():
        write_product_models(s, [
            shirt_model("SHIRT"), shirt_colour("SHIRT-RED", "SHIRT"),
            uncategorised(shirt_model("LOOSE")), shirt_colour("LOOSE-RED", "LOOSE"),
            uncategorised(shirt_model("NOWHERE")), shirt_colour("NOWHERE-RED", "NOWHERE"),
        ], actor="t", source="t", policy=WritePolicy("system"))
        write(s, complete_speaker("SPK-1"),
              ProductRecord(sku="SPK-NOCAT", family="electronics"),
              ProductRecord(sku="PART-1", family="spare_parts", categories=["pumps"]),
              ProductRecord(sku="PART-2", family="spare_parts", categories=["valves"]),
              ProductRecord(sku="EL-B2B", family="electronics", categories=["electrical"]),
              ProductRecord(sku="NOFAMILY", categories=["audio"]),
              shirt_variant("SHIRT-RED-M", "SHIRT-RED"), loose_red_m,
              shirt_variant("NOWHERE-RED-M", "NOWHERE-RED"))
    return catalog


def carried_and_candidates(factory, assortment: Assortment) -> tuple[set[str], set[str]]:
    with factory() as s:
        channel = load_channel_runtimes(s, ["webshop-uk"])["webshop-uk"].definition
        channel = channel.model_copy(update={"assortment": assortment})
        context = load_context(s)
        everything = load_products(s, list(s.scalars(select(Product.id))))
        carried = {p.sku for p in everything
                   if in_assortment(p.record, p.ancestors, channel, context)}
        ids = [i for batch in candidate_id_batches(s, assortment, batch_size=3) for i in batch]
        candidates = set(s.scalars(select(Product.sku).where(Product.id.in_(ids))))
        assert ids == sorted(set(ids))  # each once, in id order, across batches
    return carried, candidates


@pytest.mark.parametrize("name", ASSORTMENTS)
@pytest.mark.parametrize("listed_models", [5000, 0])
def test_the_candidates_hold_every_product_the_assortment_carries(
        mixed, monkeypatch, name, listed_models):
    monkeypatch.setattr(assortment_module, "MAX_LISTED_MODELS", listed_models)

    carried, candidates = carried_and_candidates(mixed, ASSORTMENTS[name])

    assert carried <= candidates, carried - candidates


def test_a_family_and_root_filter_leaves_the_other_products_out(mixed):
    carried, candidates = carried_and_candidates(mixed, ASSORTMENTS["families and a root"])

    assert carried == candidates == {"SPK-1", "SHIRT-RED-M", "LOOSE-RED-M"}


def test_a_root_filter_finds_variants_through_their_models_categories(mixed):
    carried, candidates = carried_and_candidates(mixed, Assortment(category_roots=("master",)))

    assert carried == candidates == {"SPK-1", "NOFAMILY", "SHIRT-RED-M", "LOOSE-RED-M"}


def test_publishing_the_ready_products_loads_the_candidates_only(mixed, monkeypatch):
    import pim.publishing.snapshots as snapshots

    loaded: list[str] = []
    loading = snapshots.load_products

    def counting(session, ids, models=None):
        products = loading(session, ids, models)
        loaded.extend(p.sku for p in products)
        return products

    monkeypatch.setattr(snapshots, "load_products", counting)
    with mixed() as s, s.begin():
        report = publish(s, "distributor-eu", ready=True, actor=ADMIN)

    assert sorted(loaded) == ["EL-B2B", "PART-1", "PART-2"]
    considered = ({p["sku"] for p in report.published} | set(report.unchanged)
                  | {r.sku for r in report.refused})
    assert considered == {"EL-B2B", "PART-1", "PART-2"}
