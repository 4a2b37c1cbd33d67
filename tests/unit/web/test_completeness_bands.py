"""One completeness band rule (``pim.search.band_of``) for the search's facet and filters and
every meter the web UI draws: the edges of each band."""

from __future__ import annotations

import pytest

from pim.search import band_filters, band_of
from pim.web.grid import BANDS
from pim.web.pages import environment

EDGES = [(0, "low"), (49.9, "low"), (50, "mid"), (79.9, "mid"), (80, "high"), (99, "high"),
         (99.9, "high"), (100, "complete")]


@pytest.mark.parametrize(("percent", "band"), EDGES)
def test_a_percentage_is_in_the_band_whose_floor_it_reaches(percent, band):
    assert band_of(percent) == band


@pytest.mark.parametrize(("percent", "band"), EDGES)
def test_the_band_filters_select_exactly_that_band(percent, band):
    for code in BANDS:
        filters = band_filters(code)
        above = float(filters.get("completeness_above", "-inf"))
        below = float(filters.get("completeness_below", "inf"))
        assert (above <= percent < below) is (code == band), (code, percent)


@pytest.mark.parametrize(("percent", "band"), EDGES)
def test_meters_are_coloured_by_the_band(percent, band):
    macros = environment().get_template("_macros.html").module
    html = str(macros.completeness_bar(percent, "Webshop en_GB"))
    assert f'class="meter meter-{band}"' in html


def test_the_grid_names_the_bands_by_their_floors():
    assert {code: label for code, (label, _) in BANDS.items()} == {
        "complete": "Complete", "high": "80–99 %", "mid": "50–79 %", "low": "Below 50 %"}
