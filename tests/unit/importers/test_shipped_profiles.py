"""The example mapping profiles shipped in importers/profiles load, and the README shows the
one it names as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers import ImportFileError, load_profile
from importers.profile import profile_path, shipped_profiles

README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.mark.parametrize("name", ["supplier-de", "shopify-uk", "magento-de"])
def test_a_shipped_profile_loads_by_its_name(name):
    profile = load_profile(name)
    assert profile.name == name
    assert profile_path(name) == shipped_profiles()[name]


def test_the_readme_shows_the_supplier_profile_as_shipped():
    shipped = shipped_profiles()["supplier-de"].read_text(encoding="utf-8")
    assert f"```yaml\n{shipped}```" in README.read_text(encoding="utf-8")


def test_an_unknown_profile_names_the_shipped_ones():
    with pytest.raises(ImportFileError, match="supplier-de, shopify-uk|magento-de"):
        load_profile("no-such-profile")
