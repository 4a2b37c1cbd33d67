"""The write path's fast state helpers agree with their plain definitions."""

import copy
import random

from pim.catalog.state import merged_values, normalise_values
from pim.history.diff import diff_states, flatten_state
from pim.records import ValueKey, set_value

LOCALES = [None, "en_GB", "de_DE"]
SCOPES = [None, "webshop-uk"]
DATA = ["a", "b", "12.50", ["x", "y"], {"amount": "1", "unit": "KILOGRAM"}, True]


def reference_diff(old, new):
    """The definition: flatten both states and compare every field."""
    before, after = flatten_state(old), flatten_state(new)
    return [{"field": f, "old": before.get(f), "new": after.get(f)}
            for f in sorted(before.keys() | after.keys()) if before.get(f) != after.get(f)]


def random_values(rng):
    values = {}
    for code in rng.sample(["brand", "name", "price", "weight", "features"], rng.randint(0, 5)):
        entries = []
        for locale in rng.sample(LOCALES, rng.randint(1, 3)):
            entries.append({"locale": locale, "scope": rng.choice(SCOPES),
                            "data": rng.choice(DATA)})
        values[code] = entries
    return values


def random_state(rng):
    return {"sku": "EL-1", "family": rng.choice([None, "electronics", "apparel"]),
            "parent": rng.choice([None, "M-1"]), "enabled": rng.choice([True, False]),
            "categories": rng.choice([[], ["audio"], ["audio", "tv"]]),
            "values": normalise_values(random_values(rng)),
            "associations": rng.choice([{}, {"upsell": [{"sku": "EL-2", "quantity": None}]}])}


def test_diff_states_equals_the_field_by_field_comparison_of_flattened_states():
    rng = random.Random(11)
    for _ in range(2000):
        old = random_state(rng)
        new = random_state(rng) if rng.random() < 0.5 else copy.deepcopy(old)
        if rng.random() < 0.5:  # an update touching one value
            new["values"] = normalise_values(merged_values(
                new["values"], {"brand": [{"locale": None, "scope": None, "data": "z"}]}))
        assert diff_states(old, new) == reference_diff(old, new)


def test_merged_values_equal_set_value_on_a_copy_and_leave_the_stored_values_alone():
    rng = random.Random(5)
    for _ in range(2000):
        stored = random_values(rng)
        frozen = copy.deepcopy(stored)
        clean = {}
        for code, entries in random_values(rng).items():
            seen, unique = set(), []
            for entry in entries:  # validation never lets a (locale, scope) through twice
                if (entry["locale"], entry["scope"]) not in seen:
                    seen.add((entry["locale"], entry["scope"]))
                    unique.append({**entry, "data": rng.choice([None, *DATA])})
            clean[code] = unique
        expected = copy.deepcopy(stored)
        for code, entries in clean.items():
            for entry in entries:
                set_value(expected, ValueKey(code, entry["locale"], entry["scope"]),
                          entry["data"])
        assert merged_values(stored, clean) == expected
        assert stored == frozen
