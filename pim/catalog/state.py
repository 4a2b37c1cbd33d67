"""A product's state as plain data: canonical ordering, field-level diffs, search text."""

from __future__ import annotations

import re
from typing import Any

from pim.records import CatalogContext, Values, iter_values

_TAGS = re.compile(r"<[^>]+>")
SEARCHABLE_TYPES = {"text", "textarea", "identifier", "select", "multiselect", "reference"}


def normalise_values(values: Values) -> Values:
    """Sorted attributes, entries sorted by (locale, scope): equal values compare equal."""
    return {
        code: sorted(entries, key=lambda e: (e.get("locale") or "", e.get("scope") or ""))
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
    """Field-level diff: one entry per changed field, value or association type."""
    before, after = flatten_state(old), flatten_state(new)
    diff = []
    for field in sorted(before.keys() | after.keys()):
        a, b = before.get(field), after.get(field)
        if a != b:
            diff.append({"field": field, "old": a, "new": b})
    return diff


def search_text_of(state: dict[str, Any], context: CatalogContext) -> str:
    words: list[str] = [state["sku"]]
    for key, data in iter_values(state.get("values") or {}):
        spec = context.attributes.get(key.attribute)
        if spec is None or spec.type not in SEARCHABLE_TYPES or data is None:
            continue
        items = data if isinstance(data, list) else [data]
        for item in items:
            if spec.type in ("select", "multiselect"):
                labels = spec.options.get(item, {})
                words.append(labels.get(key.locale or "", "") or " ".join(labels.values()) or item)
            else:
                words.append(_TAGS.sub(" ", str(item)))
    return " ".join(w for w in words if w)[:20000]
