"""Property tests (issue #18, "done when"): value validation and the CSV/XLSX row readers,
driven with arbitrary text and numbers, return values or row errors and never raise
anything else; what they return can always be stored (orjson encodes it)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers import open_source
from importers.errors import ImportFileError
from importers.product_rows import ProductRowReader
from pim.catalog.values import MAX_INTEGER_DIGITS, ValueChecks, validate_values
from pim.records import AttributeSpec, ProductRecord, RowError
from tests.unit.importers.conftest import CHANNELS, make_context

SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck))


def _context():
    context = make_context()
    extra = [
        AttributeSpec("serial", "text", validation={"regex": "(a+)+$", "max_length": 40}),
        AttributeSpec("gtin", "identifier", validation={"format": "gtin"}),
        AttributeSpec("rating", "number", validation={"decimals": 1, "min": "0", "max": "5"}),
        AttributeSpec("launch", "date", validation={"date_min": "2000-01-01"}),
        AttributeSpec("tiers", "price", validation={"negative_allowed": False}),
    ]
    context.attributes.update({spec.code: spec for spec in extra})
    return context


CONTEXT = _context()
CHECKS = ValueChecks(CONTEXT)

number_texts = st.from_regex(
    r"\A[-+]?[0-9]{0,40}(\.[0-9]{0,30})?([eE][-+]?[0-9]{1,25})?\Z", fullmatch=True)
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40), st.floats(),
    st.decimals(allow_nan=True, allow_infinity=True), number_texts)
scalars = st.one_of(st.none(), st.booleans(), st.text(max_size=60), numbers)
json_like = st.recursive(
    scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["amount", "currency", "unit", "min_quantity", "x"]),
                        inner, max_size=4)),
    max_leaves=12)
prices = st.lists(st.fixed_dictionaries(
    {"amount": numbers, "currency": st.sampled_from(["EUR", "USD", "eur", "XXX"])},
    optional={"min_quantity": st.one_of(st.integers(), numbers)}), max_size=3)
measurements = st.fixed_dictionaries({"amount": numbers,
                                      "unit": st.sampled_from(["GRAM", "KILOGRAM", "x"])})
data_of = st.one_of(json_like, prices, measurements, numbers, st.text())
coordinates = st.one_of(st.none(), st.sampled_from(["en_US", "de_DE", "webshop"]),
                        st.text(max_size=5))


def _stored_without_expansion(clean) -> None:
    encoded = orjson.dumps(clean)  # storable: no Decimal, no nesting orjson refuses
    assert len(encoded) < 100_000  # no number was expanded into its digits


@SETTINGS
@given(attribute=st.sampled_from(sorted(CONTEXT.attributes)), data=data_of,
       locale=coordinates, scope=coordinates)
def test_validate_values_returns_values_or_problems_for_any_input(attribute, data, locale,
                                                                  scope):
    values = {attribute: [{"locale": locale, "scope": scope, "data": data}]}

    clean, problems = validate_values(values, CONTEXT, channels=CHANNELS, checks=CHECKS)

    assert all(problem.attribute == attribute for problem in problems)
    _stored_without_expansion(clean)


@SETTINGS
@given(amount=numbers)
def test_a_stored_amount_is_within_the_documented_precision(amount):
    values = {"weight": [{"locale": None, "scope": None,
                          "data": {"amount": amount, "unit": "GRAM"}}]}

    clean, _ = validate_values(values, CONTEXT, channels=CHANNELS, checks=CHECKS)

    if clean.get("weight"):
        stored = clean["weight"][0]["data"]["amount"]
        integer_part = stored.lstrip("-").split(".")[0]
        assert len(integer_part) <= MAX_INTEGER_DIGITS and Decimal(stored).is_finite()


HEADER = ["sku", "family", "categories", "enabled", "name", "title-en_US", "weight",
          "weight-unit", "price-EUR", "color", "tags", "organic", "release_date", "image",
          "ean", "stock_level", "replaces", "gtin", "rating", "serial", "parent"]
cells = st.one_of(st.text(max_size=30), number_texts,
                  st.sampled_from(["", "1", "true", "2020-01-01", "1e999999999", "-0",
                                   "12,50 EUR", "red,sale", "../../x", "²"]))
rows = st.lists(st.lists(cells, min_size=0, max_size=len(HEADER) + 2), min_size=1,
                max_size=6)


def _check_items(items) -> None:
    for item in items:
        assert isinstance(item, ProductRecord | RowError), item
        if isinstance(item, ProductRecord):
            validate_values(item.values, CONTEXT, channels=CHANNELS, checks=CHECKS)


@SETTINGS
@given(rows=rows)
def test_the_row_reader_yields_records_or_row_errors_for_any_cells(rows):
    reader = ProductRowReader(HEADER, 1, context=CONTEXT, channels=CHANNELS)

    _check_items(list(reader.records((number, cells) for number, cells in
                                     enumerate(rows, start=2))))


@settings(SETTINGS, max_examples=40)
@given(rows=rows)
def test_the_csv_reader_yields_records_or_row_errors_for_any_text(rows, tmp_path_factory):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("csv") / "products.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")

    try:
        source = open_source(path, context=CONTEXT, channels=CHANNELS)
    except ImportFileError:
        return  # the file as a whole is refused with its reason (say, nothing in it)
    _check_items(list(source.records()))


# openpyxl cannot write these (XML 1.0 forbids them): no workbook holds them.
xlsx_text = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30)
xlsx_cells = st.one_of(xlsx_text, st.integers(min_value=-(10**30), max_value=10**30),
                       st.floats(allow_nan=False, allow_infinity=False), st.booleans())


@settings(SETTINGS, max_examples=25)
@given(rows=st.lists(st.lists(xlsx_cells, max_size=len(HEADER)), min_size=1, max_size=4))
def test_the_xlsx_reader_yields_records_or_row_errors_for_any_cells(rows, tmp_path_factory):
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    path = tmp_path_factory.mktemp("xlsx") / "products.xlsx"
    workbook.save(path)

    try:
        source = open_source(path, context=CONTEXT, channels=CHANNELS)
    except ImportFileError:
        return
    _check_items(list(source.records()))
