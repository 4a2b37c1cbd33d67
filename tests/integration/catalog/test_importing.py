"""Applying import records: batches, ownership, idempotency, skip and abort, dry runs."""

import gc

import pytest
from sqlalchemy import func, select

from pim.catalog.importing import ImportAborted, apply_import
from pim.catalog.models import Product
from pim.catalog.read import get_product
from pim.history.models import HistoryEntry
from pim.records import ProductRecord, RowError, StructureRecord
from tests.factories import electronics, one


def count(factory, model=Product):
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def run(factory, records, **kw):
    kw.setdefault("source", "import:test")
    return apply_import(factory, records, actor="importer", **kw)


def test_products_are_written_in_batches_and_counted(factory):
    records = [electronics(f"EL-{i}") for i in range(25)]
    report = run(factory, records, batch_size=10)
    assert (report.rows, report.created, report.error_count) == (25, 25, 0)
    assert count(factory) == 25


def test_running_the_same_import_twice_changes_nothing_and_writes_no_history(factory):
    records = [electronics(f"EL-{i}") for i in range(5)]
    run(factory, records)
    history_before = count(factory, HistoryEntry)
    report = run(factory, [electronics(f"EL-{i}") for i in range(5)])
    assert (report.unchanged, report.created, report.updated) == (5, 0, 0)
    assert count(factory, HistoryEntry) == history_before


def test_the_collector_thresholds_are_restored_after_an_import_even_an_aborted_one(factory):
    before = gc.get_threshold()
    run(factory, [electronics("EL-1")])
    assert gc.get_threshold() == before
    with pytest.raises(ImportAborted):
        run(factory, [RowError(2, "ragged row"), electronics("EL-2")], on_error="abort")
    assert gc.get_threshold() == before


def test_history_source_names_the_import(factory):
    run(factory, [electronics("EL-1")], source="import:job42")
    with factory() as s:
        assert s.scalar(select(HistoryEntry.source)) == "import:job42"


def test_bad_rows_are_reported_and_good_rows_still_imported_under_skip(factory):
    bad = electronics("EL-2", ean=one("123"))
    bad.row = 3
    report = run(factory, [electronics("EL-1"), bad, RowError(4, "ragged row"),
                           electronics("EL-3")])
    assert report.created == 2 and report.refused == 1 and report.error_count == 2
    assert {"row": 3, "column": "ean", "sku": "EL-2"}.items() <= report.errors[0].items()
    assert count(factory) == 2


def test_abort_writes_nothing_at_all(factory):
    records = [electronics(f"EL-{i}") for i in range(30)] + [RowError(32, "bad cell")]
    with pytest.raises(ImportAborted, match="row 32"):
        run(factory, records, on_error="abort", batch_size=10)
    assert count(factory) == 0


def test_a_dry_run_reports_everything_and_writes_nothing(factory):
    report = run(factory, [electronics("EL-1"), electronics("EL-2")], dry_run=True)
    assert report.created == 2 and "would import" in report.summary()
    assert count(factory) == 0


def test_pim_owned_values_survive_an_import_and_the_conflict_is_listed(factory):
    run(factory, [electronics("EL-1")])
    report = run(factory, [ProductRecord("EL-1", values={"brand": one("Other")})])
    with factory() as s:
        assert get_product(s, "EL-1")["values"]["brand"][0]["data"] == "Voltia"
    assert report.conflict_count == 1 and report.conflicts[0]["attribute"] == "brand"


def test_structure_rows_are_applied_before_the_products_that_need_them(factory):
    records = [
        StructureRecord("attribute", "voltage_rating", {"type": "text"}, row=2),
        StructureRecord("family", "lamps", {"attributes": ["name", "voltage_rating"]}, row=3),
        ProductRecord("LAMP-1", family="lamps", values={"voltage_rating": one("230V")}, row=4),
    ]
    report = run(factory, records)
    assert report.structure_changed == 2 and report.created == 1


def test_a_bad_structure_row_is_a_row_error_not_a_crash(factory):
    report = run(factory, [StructureRecord("attribute", "Bad Code", {"type": "text"}, row=7)])
    assert report.errors[0]["row"] == 7 and report.error_count == 1


def test_a_dry_run_of_several_big_batches_reports_everything_and_writes_nothing(factory):
    # Batches over 50 products defer completeness to a job after commit: the rollback at
    # the end of a dry run must cancel it quietly.
    records = [electronics(f"EL-{i}") for i in range(130)]
    report = run(factory, records, dry_run=True, batch_size=60)
    assert (report.rows, report.created, report.error_count) == (130, 130, 0)
    assert count(factory) == 0


def test_an_abort_after_the_first_big_batch_writes_nothing(factory):
    records = [electronics(f"EL-{i}") for i in range(130)] + [RowError(133, "bad cell")]
    with pytest.raises(ImportAborted, match="row 133"):
        run(factory, records, on_error="abort", batch_size=60)
    assert count(factory) == 0


def test_a_savepoint_inside_a_dry_run_neither_enqueues_nor_breaks_anything(factory):
    # A structure row is applied in a savepoint after a big batch deferred its completeness
    # to a job: the savepoint's release is no commit, so no job is enqueued, ever.
    from pim.jobs.models import Job

    records = [electronics(f"EL-{i}") for i in range(60)]
    records.append(StructureRecord("attribute", "voltage_rating", {"type": "text"}, row=70))
    records += [electronics(f"EL-{i}") for i in range(60, 120)]
    jobs_before = count(factory, Job)
    report = run(factory, records, dry_run=True, batch_size=60)
    assert (report.created, report.structure_changed) == (120, 1)
    assert count(factory) == 0 and count(factory, Job) == jobs_before


def test_an_import_that_grows_the_catalog_refreshes_the_planner_statistics(factory):
    from sqlalchemy import text

    run(factory, [electronics(f"EL-{i}") for i in range(1200)], batch_size=600)
    with factory() as s:
        if s.get_bind().dialect.name == "sqlite":
            analyzed = s.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'products'"))
        else:
            # ANALYZE sets the row estimate at once (-1 until a table is analyzed).
            analyzed = s.scalar(text("SELECT reltuples >= 1000 FROM pg_class "
                                     "WHERE relname = 'products'"))
    assert analyzed


def test_a_small_import_into_a_big_catalog_does_not_analyze(factory):
    from pim.catalog.importing import analyze_if_grown

    run(factory, [electronics(f"EL-{i}") for i in range(30)])
    with factory() as s:
        assert analyze_if_grown(s, 2) is False
        assert analyze_if_grown(s, 30) is True
