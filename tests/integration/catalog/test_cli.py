"""The CLI on both engines: imports, the Akeneo demo catalog, product get/history."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from pim.catalog.models import Product, ProductModel
from pim.cli import main
from pim.db import session_factory


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


@pytest.mark.slow
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


@pytest.mark.slow
def test_importing_the_akeneo_catalog_twice_changes_nothing(cli, db, reference_dir):
    cli("import-catalog", reference_dir / "akeneo-icecat")
    result = cli("import-catalog", reference_dir / "akeneo-icecat")
    assert "0 created, 0 updated, 1239 unchanged" in result.output


def test_reimporting_a_multiselect_in_another_order_changes_nothing(cli, db, demo_structure,
                                                                  tmp_path):
    from pim.history.models import HistoryEntry

    csv = tmp_path / "products.csv"
    for features in ("usb_c,wifi,bluetooth", "bluetooth,usb_c,wifi"):
        csv.write_text("sku,family,name-en_GB,ean,brand,features\n"
                       f'EL-1,electronics,Speaker,5012345678900,Voltia,"{features}"\n',
                       encoding="utf-8")
        result = cli("import", csv)
        assert result.exit_code == 0, result.output
    assert "1 unchanged" in result.output and "0 updated" in result.output
    with session_factory(db)() as s:
        product = s.scalar(select(Product).where(Product.sku == "EL-1"))
        assert product.values["features"][0]["data"] == ["bluetooth", "wifi", "usb_c"]
        assert s.scalar(select(func.count()).select_from(HistoryEntry)) == 1


def test_import_reports_bad_rows_and_imports_the_good_ones(cli, db, demo_structure, tmp_path):
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


def test_import_with_abort_imports_nothing_and_exits_non_zero(cli, db, demo_structure, tmp_path):
    csv = tmp_path / "products.csv"
    csv.write_text("sku,family,ean\nEL-1,electronics,5012345678900\n"
                   "EL-2,electronics,123\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["import", str(csv), "--on-error", "abort"])
    assert result.exit_code != 0
    assert counts(db)[0] == 0


def test_product_get_prints_json_and_exits_1_when_missing(cli, db, demo_structure, tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("sku,family,brand\nEL-1,electronics,Voltia\n", encoding="utf-8")
    cli("import", csv)
    result = cli("product", "get", "EL-1")
    assert json.loads(result.output)["values"]["brand"][0]["data"] == "Voltia"
    missing = CliRunner().invoke(main, ["product", "get", "NOPE"])
    assert missing.exit_code == 1


def test_product_history_prints_one_line_per_version(cli, db, demo_structure, tmp_path):
    for brand in ("Voltia", "Sonara"):
        csv = tmp_path / "p.csv"
        csv.write_text(f"sku,family,part_number\nEL-1,electronics,{brand}-1\n", encoding="utf-8")
        cli("import", csv)
    lines = cli("product", "history", "EL-1").output.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("v2") and "import:" in lines[1] and "values.part_number" in lines[1]


def product(db, sku):
    from pim.catalog.read import get_product

    with session_factory(db)() as s:
        return get_product(s, sku)


def test_the_shopify_template_imports_as_shopify_told_from_its_header(
        cli, db, demo_structure, reference_dir, tmp_path):
    report_path = tmp_path / "report.json"
    # A profile naming only the family variant of the products with options: Shopify has no
    # families, and a new product model needs one. The layout is told from the header.
    profile = tmp_path / "shopify.yaml"
    profile.write_text("family_variant: apparel_colour_size\n", encoding="utf-8")
    result = cli("import", reference_dir / "shopify" / "product_template.csv",
                 "--profile", profile, "--report", report_path)

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


def empty_file(tmp):
    (tmp / "empty.csv").write_text("")
    return tmp / "empty.csv"


def bad_row(tmp):
    (tmp / "p.csv").write_text("sku,family,ean\nEL-1,electronics,123\n")
    return tmp / "p.csv"


def unknown_kind(tmp):
    (tmp / "export.csv").write_text("code,x\na,b\n")
    return tmp / "export.csv"


def zip_bomb(tmp):
    import zipfile

    with zipfile.ZipFile(tmp / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    return tmp / "bomb.xlsx"


# failure -> (file maker, options, what the one line says)
ORDINARY_FAILURES = {
    "an empty file": (empty_file, (), "the file is empty"),
    "a bad row under --on-error abort": (bad_row, ("--on-error", "abort"),
                                         "nothing imported; report: "),
    "a file of unknown kind": (unknown_kind, (), "cannot tell what the file holds"),
    "a zip bomb": (zip_bomb, (), "zip bomb"),
}


@pytest.mark.parametrize("failure", list(ORDINARY_FAILURES))
def test_an_ordinary_failure_prints_one_clear_line_and_no_traceback(
        db, demo_structure, tmp_path, failure):
    from pim.jobs.models import Job

    make_file, options, reason = ORDINARY_FAILURES[failure]
    path = make_file(tmp_path)
    result = CliRunner().invoke(main, ["import", str(path), *options])

    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: import "), result.output
    assert reason in lines[0]
    assert "Traceback" not in result.output and "attempt" not in result.output
    with session_factory(db)() as s:
        job = s.scalar(select(Job).where(Job.kind == "import"))
    assert (job.status, job.attempts) == ("failed", 1)  # a permanent error: never retried
    assert "attempt" not in job.error and "Traceback" not in job.error


def test_debug_shows_the_traceback_the_log_always_holds(db, demo_structure, tmp_path):
    from pim.cli import log_path

    path = tmp_path / "empty.csv"
    path.write_text("")
    quiet = CliRunner().invoke(main, ["import", str(path)])
    assert "Traceback" not in quiet.output
    assert "Traceback" in log_path().read_text()  # the log under PIM_VAR_DIR

    loud = CliRunner().invoke(main, ["--debug", "import", str(path)])
    assert "Traceback" in loud.output and "the file is empty" in loud.output


def test_the_import_summary_is_printed_once(cli, db, demo_structure, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("sku,family,name-en_GB\nEL-1,electronics,Speaker\n")
    result = cli("import", path)
    assert result.output.count("1 created") == 1, result.output


def test_an_import_job_reports_rows_against_a_total(cli, db, demo_structure, tmp_path):
    from pim.jobs.models import Job

    path = tmp_path / "p.csv"
    path.write_text("sku,family,name-en_GB\n" + "".join(
        f"EL-{n},electronics,Speaker {n}\n" for n in range(30)))
    cli("import", path)
    with session_factory(db)() as s:
        job = s.scalar(select(Job).where(Job.kind == "import"))
    assert (job.progress_done, job.progress_total) == (30, 30)


def test_the_shipped_supplier_profile_imports_its_price_list(cli, db, demo_structure, tmp_path):
    path = tmp_path / "preisliste.csv"
    path.write_text("Preisliste Frühjahr;;;;;;;;;\n;;;;;;;;;\n"
                    "Artikelnummer;Bezeichnung;Beschreibung;EAN;Hersteller;Preis EUR;"
                    "Gewicht g;Zustand;Garantie (Jahre);Lieferbar ab;Interne Notiz\n"
                    "DE-1;Lautsprecher;<p>Laut.</p>;5012345678900;Voltia;49,90;1250;Neu;2;"
                    "01.03.2025;nicht zeigen\n", encoding="utf-8")
    result = cli("import", path, "--profile", "supplier-de")

    assert result.exit_code == 0 and "1 created" in result.output, result.output
    values = product(db, "DE-1")["values"]
    assert values["name"] == [{"locale": "de_DE", "scope": None, "data": "Lautsprecher"}]
    assert values["price"][0]["data"] == [{"amount": "49.90", "currency": "EUR"}]
    assert values["weight"][0]["data"] == {"amount": "1.25", "unit": "KILOGRAM"}
    assert values["condition"][0]["data"] == "new"
    assert values["warranty_years"][0]["data"] == "2"
    assert values["release_date"][0]["data"] == "2025-03-01"


def test_the_shipped_shopify_profile_reads_pounds_and_the_uk_warehouse(
        cli, db, demo_structure, reference_dir):
    from pim.catalog.models import Stock

    result = cli("import", reference_dir / "shopify" / "product_template.csv",
                 "--profile", "shopify-uk")
    assert "prices in GBP" in result.output, result.output
    assert product(db, "SRT_COT_111")["parent"] == "example-shirt"
    hat = product(db, "HAT_GRY_275")
    assert hat["values"]["price"][0]["data"][0]["currency"] == "GBP"
    with session_factory(db)() as s:
        assert {stock.source for stock in s.scalars(select(Stock))} == {"warehouse_uk"}


def test_a_shopify_row_holding_a_nul_byte_is_a_row_error_not_a_failed_import(
        cli, db, demo_structure, tmp_path):
    from importers.sniff import SAMPLE_BYTES

    path = tmp_path / "shopify.csv"
    # Past the sample sniffed (a NUL there says: a binary file), after blank lines.
    blank = SAMPLE_BYTES
    path.write_bytes(b"Handle,Title,Vendor,Variant SKU,Variant Barcode,Variant Price\n"
                     b"speaker,Speaker,Voltia,EL-1,5012345678900,10\n" + b"\n" * blank +
                     b"radio,Ra\x00dio,Voltia,EL-2,5012345678901,10\n")
    result = cli("import", path)
    assert result.exit_code == 0, result.output
    row = 3 + blank
    assert f"error: row {row}: line {row} holds a NUL byte" in result.output
    assert product(db, "EL-1")["sku"] == "EL-1"


def test_a_workbook_inflating_beyond_the_configured_limit_is_refused(
        cli, db, demo_structure, tmp_path, monkeypatch):
    from openpyxl import Workbook

    from pim.config import reset_settings

    path = tmp_path / "products.xlsx"
    book = Workbook()
    book.active.append(["sku", "family"])
    book.active.append(["EL-1", "electronics"])
    book.save(path)
    monkeypatch.setenv("PIM_XLSX_MAX_UNCOMPRESSED_BYTES", "1000")
    reset_settings()
    try:
        result = CliRunner().invoke(main, ["import", str(path)])
    finally:
        monkeypatch.delenv("PIM_XLSX_MAX_UNCOMPRESSED_BYTES")
        reset_settings()
    assert result.exit_code == 1
    assert "PIM_XLSX_MAX_UNCOMPRESSED_BYTES" in result.output and counts(db)[0] == 0
