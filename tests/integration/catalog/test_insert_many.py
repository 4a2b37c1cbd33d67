"""Rows written straight on the DBAPI cursor are the rows Core's executemany writes."""

from orjson import Fragment
from sqlalchemy import Text, cast, insert, select

from pim.catalog.models import Product
from pim.db import insert_many, json_dumps, utcnow
from pim.history.models import HistoryEntry


def product_rows(prefix, now, encoded):
    values = {"name": [{"locale": "de_DE", "scope": None, "data": "Größe ✓"}],
              "price": [{"locale": None, "scope": None,
                         "data": [{"amount": "12.50", "currency": "GBP"}]}]}
    return [{"sku": f"{prefix}-{i}", "family_code": None, "parent_id": None,
             "enabled": i % 2 == 0, "values": Fragment(json_dumps(values)) if encoded else values,
             "version": 1, "updated_at": now, "updated_by": "tester", "search_dirty": True,
             "created_at": now} for i in range(3)]


def stored(session, *columns):
    return [tuple(row) for row in session.execute(select(*columns).order_by(columns[0]))]


def test_products_and_history_rows_are_stored_as_core_stores_them(session):
    now = utcnow()
    session.execute(insert(Product.__table__), product_rows("A", now, encoded=False))
    insert_many(session, Product.__table__, product_rows("B", now, encoded=True),
                same_in_every_row=("version", "created_at", "updated_at", "updated_by",
                                   "search_dirty"))
    history = [{"entity": "product", "code": sku, "version": 1, "changed_at": now,
                "changed_by": None, "source": "import:test",
                "diff": [{"field": "values.brand", "old": None, "new": "Voltia"}],
                "state": {"sku": sku, "enabled": False}} for sku in ("A-0", "B-0")]
    session.execute(insert(HistoryEntry.__table__), history[:1])
    insert_many(session, HistoryEntry.__table__, history[1:],
                same_in_every_row=("entity", "changed_at", "changed_by", "source"))
    session.flush()
    columns = [Product.sku, Product.enabled, cast(Product.values, Text), Product.version,
               Product.created_at, Product.updated_at, Product.updated_by,
               Product.search_dirty]
    rows = stored(session, *columns)
    assert [row[1:] for row in rows[:3]] == [row[1:] for row in rows[3:]]
    entries = stored(session, HistoryEntry.code, HistoryEntry.version,
                     HistoryEntry.changed_at, HistoryEntry.changed_by, HistoryEntry.source,
                     cast(HistoryEntry.diff, Text), cast(HistoryEntry.state, Text))
    assert entries[0][1:6] == entries[1][1:6]
    assert entries[0][6].replace("A-0", "B-0") == entries[1][6]
    assert session.scalar(select(Product.created_at).where(Product.sku == "B-1")) == now


def test_marking_products_dirty_again_renews_their_markers(session):
    from datetime import timedelta

    from pim.workflow.completeness import mark_completeness_dirty
    from pim.workflow.models import CompletenessDirty

    session.execute(insert(Product.__table__), product_rows("A", utcnow(), encoded=False))
    ids = list(session.scalars(select(Product.id).order_by(Product.id)))
    earlier = utcnow() - timedelta(minutes=5)
    session.execute(insert(CompletenessDirty.__table__),
                    [{"product_id": ids[0], "marked_at": earlier}])
    mark_completeness_dirty(session, [ids[1], ids[0], ids[1]])
    markers = dict(session.execute(select(CompletenessDirty.product_id,
                                          CompletenessDirty.marked_at)).all())
    assert set(markers) == {ids[0], ids[1]}
    assert markers[ids[0]] == markers[ids[1]] > earlier
