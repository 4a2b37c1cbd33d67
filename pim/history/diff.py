"""History's diffs: a product's state compared field by field.

A state is the plain-data picture of a product that history keeps (``sku``, ``family``,
``parent``, ``enabled``, ``categories``, ``values``, ``associations``); a diff is one
``{"field", "old", "new"}`` per changed field, value (``values.name-en_GB``) or association
type. The catalog builds states when it writes; history stores them and derives a creation's
diff from its state.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pim.records import iter_values


def empty_state(sku: str) -> dict[str, Any]:
    """The state of a product not stored yet."""
    return {"sku": sku, "family": None, "parent": None, "enabled": True, "categories": [],
            "values": {}, "associations": {}}


def creation_diff(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The diff of a product's creation: everything ``state`` sets (the SKU alone for an
    empty product). History derives it from the state instead of storing it."""
    return diff_states(empty_state(state["sku"]), state) or [
        {"field": "sku", "old": None, "new": state["sku"]}]


def flatten_state(state: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name in ("family", "parent", "enabled", "categories"):
        flat[name] = state.get(name)
    for key, data in iter_values(state.get("values") or {}):
        flat[f"values.{key}"] = data
    for type_code, links in (state.get("associations") or {}).items():
        flat[f"associations.{type_code}"] = links
    return flat


def diff_states(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-level diff: one entry per changed field, value or association type.

    The same as comparing ``flatten_state`` of both sides field by field, but an attribute
    (or association type) whose entries are equal as a whole is never flattened: an update
    touching one value of a product compares the rest at C speed."""
    diff = []
    for name in ("family", "parent", "enabled", "categories"):
        a, b = old.get(name), new.get(name)
        if a != b:
            diff.append({"field": name, "old": a, "new": b})
    before, after = old.get("values") or {}, new.get("values") or {}
    if before != after:
        for code in before.keys() | after.keys():
            a_entries, b_entries = before.get(code), after.get(code)
            if a_entries == b_entries:
                continue
            if not a_entries:  # a new attribute (every value of a created product)
                if not b_entries:
                    continue
                if len(b_entries) == 1:  # the usual case: no flattening needed
                    entry = b_entries[0]
                    b = entry.get("data")
                    if b is not None:
                        diff.append({"field": _value_field(code, entry.get("locale"),
                                                           entry.get("scope")),
                                     "old": None, "new": b})
                    continue
                for field, b in _flatten_entries(code, b_entries).items():
                    if b is not None:
                        diff.append({"field": field, "old": None, "new": b})
                continue
            b_flat = _flatten_entries(code, b_entries)
            a_flat = _flatten_entries(code, a_entries)
            for field in a_flat.keys() | b_flat.keys():
                a, b = a_flat.get(field), b_flat.get(field)
                if a != b:
                    diff.append({"field": field, "old": a, "new": b})
    before, after = old.get("associations") or {}, new.get("associations") or {}
    if before != after:
        for type_code in before.keys() | after.keys():
            a, b = before.get(type_code), after.get(type_code)
            if a != b:
                diff.append({"field": f"associations.{type_code}", "old": a, "new": b})
    if len(diff) > 1:
        diff.sort(key=_field_name)
    return diff


def _field_name(change: dict[str, Any]) -> str:
    return change["field"]


def _flatten_entries(code: str, entries: list | None) -> dict[str, Any]:
    """``flatten_state``'s keys for one attribute ("values.name-en_GB"), without ValueKeys."""
    return {_value_field(code, entry.get("locale"), entry.get("scope")): entry.get("data")
            for entry in entries or ()}


def _value_field(code: str, locale: str | None, scope: str | None) -> str:
    """A value's field name in a diff ("values.name-en_GB")."""
    try:
        return _known_value_field(code, locale, scope)
    except TypeError:  # a stored locale or scope that is not text: named, never remembered
        return _build_value_field(code, locale, scope)


def _build_value_field(code: str, locale: Any, scope: Any) -> str:
    field = f"values.{code}"
    if locale:
        field += f"-{locale}"
    if scope:
        field += f"-{scope}"
    return field


# The same few thousand field names at most (attributes x locales x channels): built once.
_known_value_field = lru_cache(maxsize=4096, typed=True)(_build_value_field)
