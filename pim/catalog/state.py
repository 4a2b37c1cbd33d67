"""A product's state as plain data: canonical ordering, field-level diffs, search text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

from pim.records import CatalogContext, ProductRecord, Values, iter_values

if TYPE_CHECKING:
    from pim.catalog.values import CheckedValues

_TAGS = re.compile(r"<[^>]+>")
SEARCHABLE_TYPES = {"text", "textarea", "identifier", "select", "multiselect", "reference"}


def _entry_order(entry: dict[str, Any]) -> tuple[str, str]:
    return entry.get("locale") or "", entry.get("scope") or ""


def empty_state(sku: str) -> dict[str, Any]:
    """The state of a product not stored yet."""
    return {"sku": sku, "family": None, "parent": None, "enabled": True, "categories": [],
            "values": {}, "associations": {}}


def creation_diff(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The diff of a product's creation: everything ``state`` sets (the SKU alone for an
    empty product). History derives it from the state instead of storing it."""
    return diff_states(empty_state(state["sku"]), state) or [
        {"field": "sku", "old": None, "new": state["sku"]}]


@dataclass(slots=True)
class CreatedProduct:
    """A product as ``write_products`` creates it from one record, made away from the
    database (the import worker): its state without the values (``head``), then the values
    and the state encoded as the JSON columns store them, and its search text. (A
    creation's history entry stores no diff: see ``creation_diff``.)"""

    head: dict[str, Any]
    values_json: str
    state_json: str
    search_text: str


def created_product(record: ProductRecord, checked: CheckedValues,
                    context: CatalogContext) -> CreatedProduct | None:
    """The product ``record`` creates if its SKU is not stored, from its ``checked`` values,
    as ``write_products`` would make it (when the policy writes a new product's values
    whole); None when that needs the database (a parent, associations) or the record is
    refused (``write_products`` says why). Made by the import worker, or by the importing
    process for the records the worker did not make."""
    if checked.problems or record.parent or record.associations is not None:
        return None
    if record.family is not None and record.family not in context.families:
        return None
    if record.categories and not all(code in context.categories for code in record.categories):
        return None
    state = created_state(record, checked.values)
    values_json = json_text(state["values"])
    head, whole = {}, {}
    for name, part in state.items():
        if name == "values":
            whole[name] = orjson.Fragment(values_json)  # encoded once, in place
        else:
            head[name] = whole[name] = part
    return CreatedProduct(head, values_json, json_text(whole), search_text_of(state, context))


def json_text(value: Any) -> str:
    """``value`` as the JSON columns store it (``pim.db.json_dumps``, which the writer checks
    its engine uses; importing it here would load SQLAlchemy into the import worker)."""
    return orjson.dumps(value, default=str).decode()


def created_state(record: ProductRecord, clean: Values) -> dict[str, Any]:
    """The state ``write_products`` gives the product ``record`` creates, for a record
    naming no parent and no associations (they are looked up in the database), whose
    ``clean`` values (checked, none refused) are written whole."""
    state = empty_state(record.sku)
    if record.family is not None:
        state["family"] = record.family
    if record.enabled is not None:
        state["enabled"] = record.enabled
    if record.categories is not None:
        state["categories"] = sorted(set(record.categories))
    # normalise_values(merged_values({}, clean)) without the merge: nothing is stored yet.
    values = {}
    for code in sorted(clean):
        entries = clean[code]
        if len(entries) == 1:
            if entries[0]["data"] is not None:
                values[code] = entries
            continue
        kept = [entry for entry in entries if entry["data"] is not None]
        if kept:
            values[code] = sorted(kept, key=_entry_order) if len(kept) > 1 else kept
    state["values"] = values
    return state


def merged_values(stored: Values, clean: Values) -> Values:
    """``stored`` with ``clean`` set over it (``data: None`` clears), as ``set_value`` would
    do on a deep copy; lists that change are copied, ``stored`` is left as it was."""
    values = dict(stored)
    for code, entries in clean.items():
        current = values.get(code)
        if not current:
            merged = entries  # fresh from validation: kept as is unless something clears
            for entry in entries:
                if entry["data"] is None:
                    merged = [entry for entry in entries if entry["data"] is not None]
                    break
        else:
            merged = list(current)
            for entry in entries:
                locale, scope, data = entry["locale"], entry["scope"], entry["data"]
                for i, present in enumerate(merged):
                    if present.get("locale") == locale and present.get("scope") == scope:
                        if data is None:
                            del merged[i]
                        else:
                            merged[i] = {**present, "data": data}
                        break
                else:
                    if data is not None:
                        merged.append(entry)
        if merged:
            values[code] = merged
        else:
            values.pop(code, None)
    return values


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
        if spec is None:
            continue
        kind = spec.type
        if kind == "select" or kind == "multiselect":
            options = spec.options
            for entry in entries:
                data = entry.get("data")
                if data is None:
                    continue
                locale = entry.get("locale") or ""
                for item in data if isinstance(data, list) else (data,):
                    labels = options.get(item, {})
                    words.append(labels.get(locale, "") or " ".join(labels.values()) or item)
        elif kind in SEARCHABLE_TYPES:
            for entry in entries:
                data = entry.get("data")
                if data is None:
                    continue
                for item in data if isinstance(data, list) else (data,):
                    if isinstance(item, str) and "<" not in item:
                        words.append(item)
                    else:
                        words.append(_TAGS.sub(" ", str(item)))
    return " ".join(w for w in words if w)[:20000]
