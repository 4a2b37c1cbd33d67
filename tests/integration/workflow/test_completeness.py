"""Completeness rows follow the catalog: projection through the hub, inline refresh of
small edits, the dirty queue for big writes, and the summary."""

import pytest
from sqlalchemy import select

from pim.workflow import hooks
from pim.workflow.completeness import (
    completeness_summary,
    pending_refresh_count,
    recompute_all,
    refresh_dirty_completeness,
)
from pim.workflow.loading import load_products_by_sku
from pim.workflow.models import Completeness
from tests.integration.workflow.factories import (
    complete_speaker,
    incomplete_speaker,
    one,
    product_id,
    shirt_colour,
    shirt_model,
    shirt_variant,
    write,
)


def rows(session, sku, channel="webshop-uk"):
    return {r.locale: r for r in session.scalars(select(Completeness).where(
        Completeness.product_id == product_id(session, sku),
        Completeness.channel_code == channel))}


def test_a_variant_is_projected_with_its_models_values(catalog):
    from pim.catalog.product_models import write_product_models
    from pim.catalog.products import WritePolicy

    with catalog() as s, s.begin():
        results = write_product_models(s, [shirt_model(), shirt_colour("SHIRT-RED", "SHIRT")],
                                       actor="t", source="t", policy=WritePolicy("system"))
        assert all(r.ok for r in results), results
        write(s, shirt_variant("SHIRT-RED-M", "SHIRT-RED"))
    with catalog() as s:
        product = load_products_by_sku(s, ["SHIRT-RED-M"])["SHIRT-RED-M"]
    assert [a.sku for a in product.ancestors] == ["SHIRT-RED", "SHIRT"]
    assert product.family == "apparel"
    assert product.record.stock == {"warehouse_uk": 2}


def test_a_complete_product_passes_and_an_incomplete_one_points_at_its_attributes(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), incomplete_speaker("EL-2"))
    with catalog() as s:
        good, bad = rows(s, "EL-1")["en_GB"], rows(s, "EL-2")["en_GB"]
    assert good.passed and good.percent == 100
    assert not bad.passed and bad.percent < 100
    assert {(e["attribute"], e["locale"]) for e in bad.errors} >= {
        ("description", "en_GB"), ("image", None)}


def test_editing_one_product_refreshes_its_completeness_in_the_same_transaction(catalog):
    with catalog() as s, s.begin():
        write(s, incomplete_speaker("EL-2"))
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-2"))
        assert rows(s, "EL-2")["en_GB"].passed  # visible before commit, same transaction


def test_an_edit_touches_only_the_edited_products_rows(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), complete_speaker("EL-3"))
    with catalog() as s:
        before = rows(s, "EL-3")["en_GB"].computed_at
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1", brand=one("Sonara")))
    with catalog() as s:
        assert rows(s, "EL-3")["en_GB"].computed_at == before


def test_an_edit_that_changes_no_completeness_leaves_the_rows_as_they_were(catalog):
    with catalog() as s, s.begin():
        write(s, incomplete_speaker("EL-2"))
    with catalog() as s:
        before = {locale: (r.computed_at, r.errors) for locale, r in rows(s, "EL-2").items()}
    renamed = incomplete_speaker("EL-2")
    renamed.values["brand"] = one("Sonara")  # a new brand is still a brand
    with catalog() as s, s.begin():
        write(s, renamed, complete_speaker("EL-3"))
    with catalog() as s:
        after = {locale: (r.computed_at, r.errors) for locale, r in rows(s, "EL-2").items()}
        assert rows(s, "EL-3")["en_GB"].passed
    assert after == before


def test_a_product_outside_a_channels_assortment_has_no_rows_there(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    with catalog() as s:
        assert rows(s, "EL-1", "distributor-eu") == {}  # audio is not in the b2b tree


def test_big_writes_queue_their_products_for_the_batched_refresh(catalog, monkeypatch):
    monkeypatch.setattr(hooks, "INLINE_COMPLETENESS_LIMIT", 1)
    monkeypatch.setattr("pim.workflow.jobs.enqueue_completeness_refresh", lambda: None)
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), incomplete_speaker("EL-2"))
    with catalog() as s:
        assert pending_refresh_count(s) == 2 and rows(s, "EL-1") == {}
    assert refresh_dirty_completeness(catalog) == 2
    with catalog() as s:
        assert pending_refresh_count(s) == 0 and rows(s, "EL-1")["en_GB"].passed


def test_a_full_recompute_rebuilds_every_row(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), incomplete_speaker("EL-2"))
        s.execute(Completeness.__table__.delete())
    assert recompute_all(catalog) == 2
    with catalog() as s:
        summary = {(r["channel"], r["locale"]): r for r in completeness_summary(s)}
    assert summary[("webshop-uk", "en_GB")] == {
        "channel": "webshop-uk", "locale": "en_GB", "products": 2, "complete": 1,
        "average_percent": summary[("webshop-uk", "en_GB")]["average_percent"], "failing": 1}


def test_an_akeneo_requirement_on_the_sku_counts_as_present(catalog):
    from pim.catalog.models import Family

    with catalog() as s, s.begin():
        family = s.get(Family, "electronics")
        family.requirements = {**family.requirements,
                               "webshop-uk": ["sku", *family.requirements["webshop-uk"]]}
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"))
    with catalog() as s:
        assert rows(s, "EL-1")["en_GB"].passed


@pytest.mark.slow
def test_a_parallel_recompute_has_each_worker_write_its_batches(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), incomplete_speaker("EL-2"), complete_speaker("EL-3"))
        s.execute(Completeness.__table__.delete())
    seen = []
    assert recompute_all(catalog, batch_size=1, workers=2, progress=seen.append) == 3
    assert seen == [1, 2, 3]
    with catalog() as s:
        assert rows(s, "EL-1")["en_GB"].passed and rows(s, "EL-3")["en_GB"].passed
        bad = rows(s, "EL-2")["en_GB"]
        assert not bad.passed and ("image", None) in {
            (e["attribute"], e["locale"]) for e in bad.errors}
