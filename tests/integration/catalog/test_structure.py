"""Structure services: clear refusals and consistent trees."""

import pytest
from sqlalchemy import select

from pim.catalog.models import Category
from pim.catalog.structure import apply_structure, delete_structure, load_context
from pim.errors import Conflict, Invalid
from tests.factories import electronics, write


@pytest.fixture
def catalog(demo_structure, session):
    return session


def test_attribute_codes_must_be_lowercase_identifiers(catalog):
    with pytest.raises(Invalid) as error:
        apply_structure(catalog, "attribute", "Bad-Code", {"type": "text"})
    assert "code" in str(error.value)


def test_an_attribute_cannot_change_its_type(catalog):
    with pytest.raises(Conflict):
        apply_structure(catalog, "attribute", "brand", {"type": "number"})


def test_a_measurement_needs_a_known_unit_family(catalog):
    with pytest.raises(Invalid, match="unit family"):
        apply_structure(catalog, "attribute", "depth", {"type": "measurement",
                                                        "unit_family": "Nope"})


def test_applying_the_same_structure_twice_reports_no_change(catalog):
    assert apply_structure(catalog, "category", "garden", {"parent": "master"}) is True
    assert apply_structure(catalog, "category", "garden", {"parent": "master"}) is False


def test_moving_a_category_moves_its_descendants_paths(catalog):
    apply_structure(catalog, "category", "headphones", {"parent": "audio"})
    apply_structure(catalog, "category", "audio", {"parent": "b2b"})
    catalog.flush()
    rows = {c.code: c for c in catalog.scalars(select(Category))}
    assert rows["headphones"].path.startswith(rows["b2b"].path)
    assert load_context(catalog).category_path("headphones") == ["b2b", "audio", "headphones"]


def test_a_category_cannot_move_under_its_own_descendant(catalog):
    with pytest.raises(Invalid, match="cycle"):
        apply_structure(catalog, "category", "electronics", {"parent": "audio"})


def test_a_family_in_use_cannot_be_deleted(catalog):
    write(catalog, electronics())
    with pytest.raises(Conflict, match="used by 1"):
        delete_structure(catalog, "family", "electronics")


def test_family_requirements_must_name_existing_attributes(catalog):
    with pytest.raises(Invalid, match="ghost"):
        apply_structure(catalog, "family", "tools", {"attributes": ["name"],
                                                     "requirements": {"webshop-uk": ["ghost"]}})
