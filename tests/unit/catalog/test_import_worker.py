"""What the import worker sends: JSON text exactly as the JSON columns would store it."""

from decimal import Decimal

import pytest

from pim.catalog.state import json_text
from pim.catalog.values import VALUES_NOT_SENT, CheckedValues
from pim.db import json_dumps


@pytest.mark.parametrize("value", [
    {"name": [{"locale": "de_DE", "scope": None, "data": "Größe · 10\u00a0cm \U0001f600"}]},
    [{"field": "values.price", "old": None,
      "new": [{"amount": "12.50", "currency": "GBP", "min_quantity": 10}]}],
    {"sku": "A", "enabled": False, "categories": [], "associations": {}, "n": Decimal("1.5")},
])
def test_the_workers_json_text_is_what_the_engines_serializer_writes(value):
    assert json_text(value) == json_dumps(value)


def test_checked_values_sent_as_json_are_decoded_when_first_read():
    checked = CheckedValues("electronics", None, [], values_json=json_text(
        {"brand": [{"locale": None, "scope": None, "data": "Voltia"}]}))
    assert checked.values == {"brand": [{"locale": None, "scope": None, "data": "Voltia"}]}
    assert checked.values is checked.values


def test_values_not_sent_cannot_be_filled_by_mistake():
    with pytest.raises(TypeError):
        VALUES_NOT_SENT["brand"] = []  # type: ignore[index]
