"""The CLI on both engines: imports, the Akeneo demo catalog, product get/history."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from pim.catalog.models import Product, ProductModel
from pim.cli import main
from pim.db import session_factory
from tests.factories import make_catalog


@pytest.fixture
def cli(db):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def counts(db):
    with session_factory(db)() as s:
        products = s.scalar(select(func.count()).select_from(Product))
        models = s.scalar(select(func.count()).select_from(ProductModel))
        variants = s.scalar(select(func.count()).where(Product.parent_id.is_not(None)))
    return products, models, variants


def test_the_akeneo_demo_catalog_loads_whole_and_reports_only_missing_media(
        cli, db, reference_dir, tmp_path):
    report_path = tmp_path / "report.json"
    result = cli("import-catalog", reference_dir / "akeneo-icecat", "--report", report_path)
    assert result.exit_code == 0, result.output
    assert counts(db) == (1239, 81, 240), result.output
    report = json.loads(report_path.read_text())
    assert report["error_count"] == 0 and report["conflict_count"] == 0
    assert report["warning_count"] > 0
    assert all("media file" in w["message"] for w in report["warnings"])


def test_importing_the_akeneo_catalog_twice_changes_nothing(cli, db, reference_dir):
    cli("import-catalog", reference_dir / "akeneo-icecat")
    result = cli("import-catalog", reference_dir / "akeneo-icecat")
    assert "0 created, 0 updated, 1239 unchanged" in result.output


def test_import_reports_bad_rows_and_imports_the_good_ones(cli, db, tmp_path):
    with session_factory(db)() as s:
        make_catalog(s)
        s.commit()
    csv = tmp_path / "products.csv"
    csv.write_text("sku,family,name-en_GB,ean,brand\n"
                   "EL-1,electronics,Speaker,5012345678900,Voltia\n"
                   "EL-2,electronics,Radio,5012345678901,Voltia\n"
                   "EL-3,electronics,Lamp,,Voltia\n", encoding="utf-8")
    result = cli("import", csv)
    assert result.exit_code == 0
    assert "2 created" in result.output and "1 refused" in result.output
    assert "row 3" in result.output and "ean" in result.output
    assert counts(db)[0] == 2


def test_import_with_abort_imports_nothing_and_exits_non_zero(cli, db, tmp_path):
    with session_factory(db)() as s:
        make_catalog(s)
        s.commit()
    csv = tmp_path / "products.csv"
    csv.write_text("sku,family,ean\nEL-1,electronics,5012345678900\n"
                   "EL-2,electronics,123\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(csv), "--on-error", "abort"])
    assert result.exit_code != 0
    assert counts(db)[0] == 0


def test_product_get_prints_json_and_exits_1_when_missing(cli, db, tmp_path):
    with session_factory(db)() as s:
        make_catalog(s)
        s.commit()
    csv = tmp_path / "p.csv"
    csv.write_text("sku,family,brand\nEL-1,electronics,Voltia\n", encoding="utf-8")
    cli("import", csv)
    result = cli("product", "get", "EL-1")
    assert json.loads(result.output)["values"]["brand"][0]["data"] == "Voltia"
    missing = CliRunner().invoke(main, ["product", "get", "NOPE"])
    assert missing.exit_code == 1


def test_product_history_prints_one_line_per_version(cli, db, tmp_path):
    with session_factory(db)() as s:
        make_catalog(s)
        s.commit()
    for brand in ("Voltia", "Sonara"):
        csv = tmp_path / "p.csv"
        csv.write_text(f"sku,family,part_number\nEL-1,electronics,{brand}-1\n", encoding="utf-8")
        cli("import", csv)
    lines = cli("product", "history", "EL-1").output.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("v2") and "import:" in lines[1] and "values.part_number" in lines[1]
