"""Feeds stream published snapshots only, grouped by parent, with deltas and ETags;
feed keys are stored hashed and can be revoked."""

import json
import time

import pytest
from sqlalchemy import select

from exporters.base import ExportFormat
from exporters.ndjson import MEDIA_TYPE, write_ndjson
from pim.publishing.feedkeys import authenticate_feed_key, create_feed_key, revoke_feed_key
from pim.publishing.feeds import feed_state, stream_feed
from pim.publishing.models import FeedKey, FeedVersion, Snapshot
from pim.publishing.snapshots import publish, withdraw
from tests.integration.workflow.factories import (
    ADMIN,
    complete_speaker,
    incomplete_speaker,
    one,
    write,
)


@pytest.fixture(autouse=True)
def ndjson_format(monkeypatch):
    """The hub's side of feeds does not depend on which exporters are registered yet."""
    import exporters

    formats = dict(getattr(exporters, "FORMATS", {}))
    formats["ndjson"] = ExportFormat("ndjson", "NDJSON", MEDIA_TYPE, "ndjson", write_ndjson)
    monkeypatch.setattr(exporters, "FORMATS", formats, raising=False)


def feed_lines(channel="webshop-uk", **options):
    media_type, chunks = stream_feed(channel, "ndjson", **options)
    assert media_type == MEDIA_TYPE
    return [json.loads(line) for line in b"".join(chunks).splitlines()]


def test_a_feed_serves_published_snapshots_never_drafts(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), complete_speaker("EL-3"))
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)
    with catalog() as s, s.begin():  # an unpublished edit stays out of the feed
        write(s, complete_speaker("EL-1", brand=one("Draft brand")))
    lines = feed_lines()
    assert [(line["sku"], line["brand"]) for line in lines] == [("EL-1", "Voltia")]


def test_variants_of_one_parent_come_together_in_sku_order(catalog):
    with catalog() as s, s.begin():
        for sku, parent in (("A-2", "M-1"), ("B-1", None), ("A-1", "M-1"), ("Z-1", "M-0")):
            s.add(Snapshot(channel_code="webshop-uk", locale="en_GB", sku=sku, parent_sku=parent,
                           version=1, product_version=1, payload={"sku": sku}, sha256="x" * 64))
    assert [line["sku"] for line in feed_lines()] == ["B-1", "Z-1", "A-1", "A-2"]


def test_a_delta_lists_changes_since_a_time_and_the_withdrawn_skus(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), complete_speaker("EL-3"), complete_speaker("EL-4"))
        publish(s, "webshop-uk", ["EL-1", "EL-3", "EL-4"], ready=True, actor=ADMIN)
    with catalog() as s:
        since = max(s.scalars(select(Snapshot.published_at)))
    time.sleep(0.01)
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-3", brand=one("Sonara")))
        publish(s, "webshop-uk", ["EL-3"], ready=True, actor=ADMIN)
        withdraw(s, "webshop-uk", ["EL-4"], actor=ADMIN)
    lines = feed_lines(since=since)
    assert lines == [{"sku": "EL-4", "deleted": True}, lines[1]]
    assert (lines[1]["sku"], lines[1]["brand"]) == ("EL-3", "Sonara")


def test_the_etag_moves_when_the_feed_changes_and_only_then(catalog):
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), incomplete_speaker("EL-2"))
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)
    first = feed_state("webshop-uk", format="ndjson")
    with catalog() as s, s.begin():
        publish(s, "webshop-uk", ["EL-1"], ready=True, actor=ADMIN)  # identical: no snapshot
    assert feed_state("webshop-uk", format="ndjson") == first
    with catalog() as s, s.begin():
        withdraw(s, "webshop-uk", ["EL-1"], actor=ADMIN)
    later = feed_state("webshop-uk", format="ndjson")
    assert later.etag != first.etag and later.last_modified >= first.last_modified


def test_a_feed_key_is_stored_as_a_hash_and_authenticates(catalog):
    with catalog() as s, s.begin():
        plaintext, row = create_feed_key(s, ["webshop-uk"], "Acme")
    with catalog() as s:
        stored = s.scalar(select(FeedKey))
        assert plaintext not in (stored.key_hash, stored.prefix) and plaintext.startswith(
            stored.prefix)
        assert authenticate_feed_key(s, plaintext, "webshop-uk").id == row.id
        assert authenticate_feed_key(s, plaintext, "distributor-eu") is None
        assert authenticate_feed_key(s, plaintext[:-1] + "x") is None


def test_a_revoked_feed_key_no_longer_authenticates(catalog):
    with catalog() as s, s.begin():
        plaintext, row = create_feed_key(s, ["webshop-uk"], "Acme")
    with catalog() as s, s.begin():
        revoke_feed_key(s, row.id)
    with catalog() as s:
        assert authenticate_feed_key(s, plaintext) is None


def published_snapshot(channel: str, sku: str, locale: str = "en_GB", **payload) -> Snapshot:
    return Snapshot(channel_code=channel, locale=locale, sku=sku, version=1, product_version=1,
                    payload={"id": sku, "sku": sku, **payload}, sha256="x" * 64)


def test_a_google_rss_feed_links_the_channel_website(catalog, monkeypatch):
    from lxml import etree

    from pim.config import reset_settings

    monkeypatch.setenv("PIM_BASE_URL", "https://pim.example.com/")
    reset_settings()
    with catalog() as s, s.begin():
        s.add(published_snapshot("google-retail", "EL-1", title="Speaker"))
        s.add(published_snapshot("distributor-eu", "EL-1", title="Speaker"))

    def channel_link(channel: str) -> str:
        _, chunks = stream_feed(channel, "google_merchant_rss")
        return etree.fromstring(b"".join(chunks)).findtext("channel/link")

    # The origin of the channel's product pages; the hub's base URL for a channel without.
    assert channel_link("google-retail") == "https://shop.example"
    assert channel_link("distributor-eu") == "https://pim.example.com"


def test_a_shopify_feed_writes_a_two_level_model_as_one_product(catalog):
    """Colour sub-models of one shirt, and a product whose SKU sorts between them, still
    give one Shopify handle: snapshots are grouped by the root model."""
    import csv
    import io

    from pim.catalog.product_models import write_product_models
    from pim.catalog.products import WritePolicy
    from tests.integration.workflow.factories import shirt_colour, shirt_model, shirt_variant

    with catalog() as s, s.begin():
        results = write_product_models(
            s, [shirt_model("SHIRT"), shirt_colour("SHIRT-BLUE", "SHIRT", "navy"),
                shirt_colour("SHIRT-RED", "SHIRT", "red")],
            actor="t", source="t", policy=WritePolicy("system"))
        assert all(r.ok for r in results), results
        write(s, shirt_variant("SHIRT-BLUE-M", "SHIRT-BLUE"),
              shirt_variant("SHIRT-RED-M", "SHIRT-RED"),
              shirt_variant("SHIRT-RED-S", "SHIRT-RED", "s"))
        report = publish(s, "shopify-store", ["SHIRT-BLUE-M", "SHIRT-RED-M", "SHIRT-RED-S"],
                         ready=True, actor=ADMIN)
        assert not report.refused, report.refused
        s.add(published_snapshot("shopify-store", "SHIRT-BLUE-X"))  # sorts between colours
    _, chunks = stream_feed("shopify-store", "shopify_csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    variant_rows = [(row["Handle"], row["Variant SKU"], row["Option1 Value"],
                     row["Option2 Value"]) for row in rows if row["Variant SKU"]]
    assert variant_rows[:3] == [("shirt", "SHIRT-BLUE-M", "Navy", "M"),
                                ("shirt", "SHIRT-RED-M", "Red", "M"),
                                ("shirt", "SHIRT-RED-S", "Red", "S")]
    assert rows[0]["Option1 Name"] == "Colour" and rows[0]["Option2 Name"] == "Size"


BMECAT = {"b": "http://www.bmecat.org/bmecat/2005fd"}


def bmecat_feed(schema, **options):
    from lxml import etree

    _, chunks = stream_feed("magento-store", "bmecat", **options)
    root = etree.fromstring(b"".join(chunks))
    assert schema.validate(root), schema.error_log
    major, minor = root.findtext(".//b:CATALOG_VERSION", namespaces=BMECAT).split(".")
    return root, int(major) * 1000 + int(minor)


def test_bmecat_versions_count_publications_and_deltas_chain(catalog, reference_dir):
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(reference_dir / "bmecat" / "bmecat_2005.xsd")))
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-1"), complete_speaker("EL-3"))
        publish(s, "magento-store", ["EL-1", "EL-3"], ready=True, actor=ADMIN)
    _, held = bmecat_feed(schema)
    with catalog() as s:
        since = max(s.scalars(select(Snapshot.published_at)))
    time.sleep(0.01)
    with catalog() as s, s.begin():
        write(s, complete_speaker("EL-3", brand=one("Sonara")))
        publish(s, "magento-store", ["EL-3"], ready=True, actor=ADMIN)
        publish(s, "magento-store", ["EL-3"], ready=True, actor=ADMIN)  # no change: no count
    with catalog() as s, s.begin():
        withdraw(s, "magento-store", ["EL-1"], actor=ADMIN)

    delta, version = bmecat_feed(schema, since=since)

    update = delta.find("b:T_UPDATE_PRODUCTS", BMECAT)
    assert (held, int(update.get("prev_version")), version) == (1, 1, 3)
    assert [(p.get("mode"), p.findtext("b:SUPPLIER_PID", namespaces=BMECAT))
            for p in update.findall("b:PRODUCT", BMECAT)] == [("delete", "EL-1"),
                                                               ("update", "EL-3")]
    assert bmecat_feed(schema)[1] == 3  # the full catalog is at the same version
    with catalog() as s:  # each locale of the channel counts its own publications
        assert {(v.locale, v.version) for v in s.scalars(select(FeedVersion))} == {
            ("de_DE", 3), ("en_GB", 3)}


def test_a_delta_knows_which_products_left_the_channel_whole(catalog):
    import csv
    import io

    with catalog() as s, s.begin():
        for sku, parent in (("MUG-RED", "MUG"), ("MUG-BLUE", "MUG"), ("CAP-RED", "CAP"),
                            ("CAP-BLUE", "CAP"), ("LONE", None)):
            s.add(Snapshot(channel_code="magento-store", locale="en_GB", sku=sku,
                           parent_sku=parent, version=1, product_version=1,
                           payload={"id": sku, "sku": sku}, sha256="x" * 64))
    with catalog() as s:
        since = max(s.scalars(select(Snapshot.published_at)))
    time.sleep(0.01)
    with catalog() as s, s.begin():
        # MUG leaves whole, CAP keeps a variant, LONE (no model) leaves.
        withdraw(s, "magento-store", ["MUG-RED", "MUG-BLUE", "CAP-RED", "LONE"], actor=ADMIN)

    _, chunks = stream_feed("magento-store", "magento_csv", locale="en_GB", since=since)
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))

    assert [(row["sku"], row["product_online"]) for row in rows] == [
        ("CAP-RED", "2"), ("LONE", "2"), ("MUG-BLUE", "2"), ("MUG-RED", "2"), ("MUG", "2")]


def test_an_akeneo_export_imports_back_as_the_published_products(catalog, db, tmp_path):
    """pim export --format akeneo, then pim import of that file into a catalog without the
    products: the same models and products come back, with the values they were
    published with (not an edit made after)."""
    from click.testing import CliRunner
    from sqlalchemy import delete

    from pim.catalog.models import Product, ProductModel
    from pim.catalog.product_models import write_product_models
    from pim.catalog.products import WritePolicy
    from pim.catalog.read import get_product, get_product_model
    from pim.cli import main
    from pim.history.models import HistoryEntry
    from tests.integration.workflow.factories import shirt_colour, shirt_model, shirt_variant

    skus = ["SHIRT-RED-M", "SHIRT-RED-S", "SHIRT-NAVY-M"]
    with catalog() as s, s.begin():
        write_product_models(s, [shirt_model("SHIRT"), shirt_colour("SHIRT-RED", "SHIRT"),
                                 shirt_colour("SHIRT-NAVY", "SHIRT", "navy")],
                             actor="t", source="t", policy=WritePolicy("system"))
        write(s, shirt_variant("SHIRT-RED-M", "SHIRT-RED"),
              shirt_variant("SHIRT-RED-S", "SHIRT-RED", "s"),
              shirt_variant("SHIRT-NAVY-M", "SHIRT-NAVY"))
        assert not publish(s, "shopify-store", skus, ready=True, actor=ADMIN).refused
    with catalog() as s:
        published = {sku: get_product(s, sku) for sku in skus}
        models = {code: get_product_model(s, code)
                  for code in ("SHIRT", "SHIRT-RED", "SHIRT-NAVY")}
    with catalog() as s, s.begin():  # an edit after publishing stays out of the export
        write(s, shirt_variant("SHIRT-RED-M", "SHIRT-RED", "l"))
    path = tmp_path / "products.ndjson"
    runner = CliRunner()
    exported = runner.invoke(main, ["export", "shopify-store", "--format", "akeneo",
                                    "-o", str(path)], catch_exceptions=False)
    assert "3 products" in exported.output, exported.output
    with catalog() as s, s.begin():  # a catalog with the structure but not the products
        s.execute(delete(Product))
        s.execute(delete(ProductModel).where(ProductModel.parent_id.is_not(None)))
        s.execute(delete(ProductModel))
        s.execute(delete(HistoryEntry))

    imported = runner.invoke(main, ["import", str(path)], catch_exceptions=False)

    assert imported.exit_code == 0, imported.output
    assert "3 created" in imported.output and "3 product models created" in imported.output
    assert "read as Akeneo NDJSON in utf-8 (json)" in imported.output
    with catalog() as s:
        for sku, before in published.items():
            after = get_product(s, sku)
            for field in ("family", "parent", "categories", "enabled", "values"):
                assert after[field] == before[field], (sku, field)
        for code, before in models.items():
            after = get_product_model(s, code)
            for field in ("family", "family_variant", "parent", "categories", "values"):
                assert after[field] == before[field], (code, field)
