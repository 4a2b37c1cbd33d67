"""An import while editors write the same products (each on its own connection): the
import's batches wait for, merge over or report what changed under them, the job
completes, and every write acknowledged on either side is kept and in history."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError

from pim.catalog.importing import apply_import
from pim.catalog.listeners import products_changed
from pim.catalog.models import Locale, Product
from pim.catalog.products import WritePolicy, write_products
from pim.db import lost_a_race, session_factory, session_scope
from pim.history.models import HistoryEntry
from pim.jobs.embedded import EmbeddedRunner
from pim.jobs.models import Job
from pim.records import ProductRecord
from pim.search import SearchQuery, search
from tests.factories import electronics, one, write

PRODUCTS = 300
NEW_PRICE = one([{"amount": "59.99", "currency": "GBP"}])  # an ERP-owned value


@pytest.fixture
def factory(demo_structure):
    with session_scope() as session:
        write(session, *[electronics(f"EL-{i}") for i in range(PRODUCTS)])
    return session_factory(demo_structure)


def test_an_import_completes_while_editors_change_and_create_its_products(factory):
    stop = threading.Event()
    acknowledged: dict[str, list[tuple[int, str]]] = {}
    failures: list[BaseException] = []

    def editor(seed: int) -> None:
        chance = random.Random(seed)
        n = 0
        try:
            while not stop.is_set():
                n += 1
                # An edit of a product the import updates, and now and then a product the
                # import is about to create.
                sku = (f"EL-{chance.randrange(PRODUCTS)}" if n % 5 else
                       f"NEW-{chance.randrange(PRODUCTS)}")
                text = f"editor {seed} edit {n}"
                record = ProductRecord(sku, family="electronics",
                                       values={"name": one(text, "en_GB")})
                try:
                    with session_scope() as session:
                        [result] = write_products(session, [record], actor=f"editor{seed}",
                                                  source="api")
                except DBAPIError as error:  # a creation the import made first: not acked
                    assert lost_a_race(error), error
                    continue
                if result.ok and result.status != "unchanged":
                    acknowledged.setdefault(sku, []).append((result.version, text))
        except BaseException as error:
            failures.append(error)

    editors = [threading.Thread(target=editor, args=(seed,)) for seed in range(3)]
    for thread in editors:
        thread.start()
    try:
        records = [electronics(f"EL-{i}", price=NEW_PRICE) for i in range(PRODUCTS)]
        records += [electronics(f"NEW-{i}") for i in range(PRODUCTS)]
        for row, record in enumerate(records, start=2):
            record.row = row
        report = apply_import(factory, records, source="import:race", actor="importer",
                              policy=WritePolicy("import"), batch_size=50)
    finally:
        stop.set()
        for thread in editors:
            thread.join()
    assert not failures, failures
    assert report.rows == 2 * PRODUCTS
    assert report.created + report.updated + report.unchanged + report.refused == report.rows
    # NEW-* an editor created first are updates; nothing is refused, nothing unchanged.
    assert report.refused == 0 and report.error_count == 0, report.errors[:3]
    assert report.created + report.updated == 2 * PRODUCTS
    with session_scope() as session:
        versions = dict(session.execute(select(Product.sku, Product.version)).all())
        counts = dict(session.execute(
            select(HistoryEntry.code, func.count()).where(HistoryEntry.entity == "product")
            .group_by(HistoryEntry.code)).all())
        states = {(code, version): state for code, version, state in session.execute(
            select(HistoryEntry.code, HistoryEntry.version, HistoryEntry.state))}
        values = dict(session.execute(select(Product.sku, Product.values)).all())
    assert versions == counts  # version = number of history entries, for every product
    for sku, writes in acknowledged.items():
        for version, text in writes:
            assert states[(sku, version)]["values"]["name"][0]["data"] == text
    # The import's own change is in every product it updated.
    assert all(values[f"EL-{i}"]["price"] == NEW_PRICE for i in range(PRODUCTS))


def test_a_batch_written_again_after_losing_a_race_is_indexed_for_search(demo_structure):
    # The batch's first attempt announces its products (search marks them dirty and records
    # its index job in the batch's savepoint), then loses a race: a duplicate key, as a
    # writer creating the same row at the same moment would cause. The savepoint is rolled
    # back, the job row with it; the second attempt must record the job again.
    attempts = []

    def lose_the_first_attempt(session, change):
        attempts.append(len(change.product_ids))
        if len(attempts) == 1:
            session.execute(insert(Locale).values(code="en_GB", enabled=True))

    records = [electronics(f"RACE-{i}", name=one(f"Zephyrine lamp {i}", "en_GB"))
               for i in range(20)]
    products_changed.connect(lose_the_first_attempt)
    try:
        report = apply_import(session_factory(demo_structure), records, source="import:race",
                              actor="importer", batch_size=50)
    finally:
        products_changed.disconnect(lose_the_first_attempt)
    assert attempts == [20, 20] and report.created == 20
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == "search.index", Job.status == "queued")) == 1

    EmbeddedRunner(workers=1, poll_interval=0.05).run_until_idle()  # pim worker --burst

    with session_scope() as session:
        found = search(session, SearchQuery(text="zephyrine", limit=100))
        dirty = session.scalar(select(func.count()).select_from(Product)
                               .where(Product.search_dirty.is_(True)))
    assert sorted(hit.sku for hit in found.items) == sorted(r.sku for r in records)
    assert dirty == 0
