"""A product's state as plain data: canonical ordering, field-level diffs, search text."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pim.records import CatalogContext, Values, iter_values

_TAGS = re.compile(r"<[^>]+>")
SEARCHABLE_TYPES = {"text", "textarea", "identifier", "select", "multiselect", "reference"}


def _entry_order(entry: dict[str, Any]) -> tuple[str, str]:
    return entry.get("locale") or "", entry.get("scope") or ""


def normalise_values(values: Values) -> Values:
    """Sorted attributes, entries sorted by (locale, scope): equal values compare equal.

    Lists of one entry are kept, not copied: states share what they do not change."""
    return {
        code: sorted(entries, key=_entry_order) if len(entries) > 1 else entries
        for code, entries in sorted(values.items())
        if entries
    }


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


def search_text_of(state: dict[str, Any], context: CatalogContext) -> str:
    words: list[str] = [state["sku"]]
    attributes = context.attributes
    for code, entries in (state.get("values") or {}).items():
        spec = attributes.get(code)
        if spec is None or spec.type not in SEARCHABLE_TYPES:
            continue
        options = spec.options if spec.type in ("select", "multiselect") else None
        for entry in entries:
            data = entry.get("data")
            if data is None:
                continue
            items = data if isinstance(data, list) else [data]
            for item in items:
                if options is not None:
                    labels = options.get(item, {})
                    locale = entry.get("locale")
                    words.append(labels.get(locale or "", "") or " ".join(labels.values())
                                 or item)
                elif isinstance(item, str) and "<" not in item:
                    words.append(item)
                else:
                    words.append(_TAGS.sub(" ", str(item)))
    return " ".join(w for w in words if w)[:20000]
