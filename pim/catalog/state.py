"""A product's state as plain data: canonical ordering, field-level diffs, search text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from pim.history.diff import empty_state
from pim.records import CatalogContext, ProductRecord, Values

if TYPE_CHECKING:
    from pim.catalog.values import CheckedValues



def _entry_order(entry: dict[str, Any]) -> tuple[str, str]:
    return entry.get("locale") or "", entry.get("scope") or ""


@dataclass(slots=True)
class CreatedProduct:
    """A product as ``write_products`` creates it from one record, made away from the
    database (the import worker): its state without the values (``head``), then the values
    and the state encoded as the JSON columns store them. (A creation's history entry
    stores no diff: see ``pim.history.diff.creation_diff``.)"""

    head: dict[str, Any]
    values_json: str
    state_json: str


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
    return CreatedProduct(head, values_json, json_text(whole))


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
