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


@pytest.fixture
def demo_structure(db):
    with session_factory(db)() as s:
        make_catalog(s)
        s.commit()


def product(db, sku):
    from pim.catalog.read import get_product

    with session_factory(db)() as s:
        return get_product(s, sku)


def test_the_shopify_template_imports_as_shopify_told_from_its_header(
        cli, db, demo_structure, reference_dir, tmp_path):
    report_path = tmp_path / "report.json"
    result = cli("import", reference_dir / "shopify" / "product_template.csv",
                 "--report", report_path)

    assert result.exit_code == 0, result.output
    assert "read as Shopify CSV in utf-8" in result.output
    report = json.loads(report_path.read_text())
    assert report["read_as"]["layout"] == "shopify"
    assert (report["models_created"], report["created"]) == (2, 4)
    # What the demo catalog lacks is named: colours and sizes it has no option for.
    assert {e["message"] for e in report["errors"]} >= {"'Blue' is not an option of colour"}
    variant = product(db, "SRT_COT_111")
    assert variant["parent"] == "example-shirt"
    values = {code: entries[0]["data"] for code, entries in variant["values"].items()}
    assert values["name"] == "Example T-Shirt" and values["brand"] == "Acme"
    assert values["description"].startswith("<p>This t-shirt")
    assert (values["colour"], values["size"]) == ("green", "s")
    assert variant["values"]["name"][0]["locale"] == "en_GB"


def test_the_magento_sample_imports_whole(cli, db, demo_structure, reference_dir, tmp_path):
    report_path = tmp_path / "report.json"
    result = cli("import", reference_dir / "magento" / "catalog_product.csv",
                 "--report", report_path)

    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    assert (report["created"], report["refused"], report["error_count"]) == (6, 0, 0)
    strap = product(db, "24-WG085")
    assert strap["values"]["price"][0]["data"] == [{"amount": "14.00", "currency": "EUR"}]


def test_format_names_the_layout_when_the_header_does_not_tell(
        cli, db, demo_structure, tmp_path):
    # A Magento file trimmed to a few columns: without attribute_set_code or store_view_code
    # its header reads as the column convention, where product_type is no attribute.
    path = tmp_path / "magento.csv"
    path.write_text("sku,product_type,name,price\nMUG-1,simple,Mug,9.50\n")
    told = cli("import", path, "--dry-run")
    assert "read as column-convention CSV" in told.output and "1 refused" in told.output
    result = cli("import", path, "--format", "magento")
    assert result.exit_code == 0, result.output
    assert "read as Magento CSV" in result.output
    assert product(db, "MUG-1")["values"]["name"][0]["data"] == "Mug"


def test_a_polish_windows_1250_file_imports_right_and_says_how_it_was_read(
        cli, db, demo_structure, tmp_path):
    path = tmp_path / "polskie.csv"
    path.write_bytes(("sku;family;name-en_GB;brand\n"
                      "PL-1;electronics;Żółta łódź wiosłowa z drewna;Łucznik\n"
                      "PL-2;electronics;Głośnik przenośny, wodoodporny;Źródło\n")
                     .encode("cp1250"))
    report_path = tmp_path / "report.json"
    result = cli("import", path, "--report", report_path)

    assert result.exit_code == 0, result.output
    assert product(db, "PL-1")["values"]["name"][0]["data"] == "Żółta łódź wiosłowa z drewna"
    assert product(db, "PL-2")["values"]["brand"][0]["data"] == "Źródło"
    encoding = json.loads(report_path.read_text())["read_as"]["encoding"]
    assert (encoding["encoding"], encoding["found_by"]) == ("cp1250", "detected")
    assert 0.5 < encoding["confidence"] <= 1
    assert "in cp1250 (detected, confidence" in result.output
