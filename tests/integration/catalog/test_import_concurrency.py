"""An import while editors write the same products (each on its own connection): the
import's batches wait for, merge over or report what changed under them, the job
completes, and every write acknowledged on either side is kept and in history."""

from __future__ import annotations

import random
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from pim.catalog.importing import apply_import
from pim.catalog.models import Product
from pim.catalog.products import WritePolicy, write_products
from pim.db import lost_a_race, session_factory, session_scope
from pim.history.models import HistoryEntry
from pim.records import ProductRecord
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
