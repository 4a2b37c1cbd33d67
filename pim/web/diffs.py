"""A version's diff as a person reads it: grouped by attribute (its label, not its code),
one row per locale and channel, values shown as values (an option's label, "12.50 GBP",
"1.2 kg", Yes/No), set-like values (categories, multiselects, associations) as what was
added and removed, and long texts as a word diff.

Pure presentation over ``pim.history``'s diff (``{"field", "old", "new"}``, field names as
``values.<attribute>[-<locale>][-<channel>]``) and the catalog's structure
(``CatalogContext``); it reads nothing."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from pim.records import AttributeSpec, CatalogContext

LABEL_LOCALE = "en_GB"  # the UI's language: labels in it first, then any, then the code
SHORT_TEXT = 40  # texts longer than this (either side) are shown as a word diff
MAX_TEXT = 4000  # characters of each side a word diff reads (bounded work per field)
MAX_SHOWN = 300  # characters of a value shown as it is
_TAGS = re.compile(r"<[^>]+>")
_LOCALE = re.compile(r"^[a-z]{2,3}_[A-Z]{2}$")
_FIELD_LABELS = {"sku": "SKU", "family": "Family", "family_variant": "Family variant",
                 "parent": "Parent model", "enabled": "Enabled", "categories": "Categories"}


@dataclass(slots=True)
class ChangeRow:
    """One changed value: ``old``/``new`` as display text, or ``added``/``removed`` for a
    set, or ``words`` (``(kind, text)``, kind in same/del/ins) for a long text."""

    locale: str | None = None
    scope: str | None = None
    old: str = ""
    new: str = ""
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    words: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class ChangeGroup:
    """The changes of one attribute, field or association type."""

    key: str  # the attribute code, field name or "associations.<type>"
    label: str
    rows: list[ChangeRow] = field(default_factory=list)


def label_of(labels: dict[str, str] | None, code: str) -> str:
    labels = labels or {}
    return labels.get(LABEL_LOCALE) or next((v for v in labels.values() if v), None) or code


def readable_diff(changes: list[dict[str, Any]], context: CatalogContext) -> list[ChangeGroup]:
    """``changes`` grouped by what they changed, fields first, then attributes in the
    catalog's order, then associations."""
    groups: dict[str, ChangeGroup] = {}
    for change in changes:
        name = str(change.get("field", ""))
        old, new = change.get("old"), change.get("new")
        if name.startswith("values."):
            code, locale, scope = split_value_field(name[len("values."):], context)
            spec = context.attributes.get(code)
            group = groups.setdefault(code, ChangeGroup(
                code, label_of(spec.labels, code) if spec else code))
            group.rows.append(_value_row(old, new, spec, context, locale, scope))
        elif name.startswith("associations."):
            type_code = name[len("associations."):]
            group = groups.setdefault(name, ChangeGroup(name, f"Associations: {type_code}"))
            group.rows.append(_set_row(_links(old), _links(new)))
        else:
            group = groups.setdefault(name, ChangeGroup(name, _FIELD_LABELS.get(name, name)))
            if name == "categories":
                group.rows.append(_set_row(
                    [label_of(_category_labels(context, c), c) for c in old or []],
                    [label_of(_category_labels(context, c), c) for c in new or []]))
            elif name == "family":
                group.rows.append(ChangeRow(old=_family(old, context), new=_family(new, context)))
            else:
                group.rows.append(ChangeRow(old=_plain(old), new=_plain(new)))
    order = {code: n for n, code in enumerate(context.attributes)}
    fields = list(_FIELD_LABELS)

    def rank(group: ChangeGroup) -> tuple[int, int, str]:
        if group.key in _FIELD_LABELS:
            return (0, fields.index(group.key), "")
        if group.key.startswith("associations."):
            return (2, 0, group.key)
        return (1, order.get(group.key, len(order)), group.key)

    result = sorted(groups.values(), key=rank)
    for group in result:
        group.rows.sort(key=lambda r: (r.locale or "", r.scope or ""))
    return result


def split_value_field(rest: str, context: CatalogContext) -> tuple[str, str | None, str | None]:
    """``name-en_GB-webshop-uk`` -> ("name", "en_GB", "webshop-uk"). Attribute codes hold no
    "-" and locales none, channel codes may: the attribute's flags say which parts there are
    (for an attribute since deleted, a part shaped like a locale is one)."""
    code, _, rest = rest.partition("-")
    if not rest:
        return code, None, None
    spec = context.attributes.get(code)
    first, _, remainder = rest.partition("-")
    if spec is not None:
        if spec.localizable:
            return code, first, remainder or None
        return code, None, rest
    if first in context.locales or _LOCALE.match(first):
        return code, first, remainder or None
    return code, None, rest


def _value_row(old: Any, new: Any, spec: AttributeSpec | None, context: CatalogContext,
               locale: str | None, scope: str | None) -> ChangeRow:
    kind = spec.type if spec else None
    if kind == "multiselect" or (isinstance(old, list) and isinstance(new, list)
                                 and kind not in ("price",)):
        row = _set_row([show_value(v, spec, context) for v in old or []],
                       [show_value(v, spec, context) for v in new or []])
    elif isinstance(old, str) and isinstance(new, str) and kind in (None, "text", "textarea") \
            and max(len(old), len(new)) > SHORT_TEXT:
        row = ChangeRow(words=word_diff(_text(old), _text(new)))
    else:
        row = ChangeRow(old=show_value(old, spec, context), new=show_value(new, spec, context))
    row.locale, row.scope = locale, scope
    return row


def _set_row(old: list[str], new: list[str]) -> ChangeRow:
    before, after = set(old), set(new)
    return ChangeRow(added=[v for v in new if v not in before],
                     removed=[v for v in old if v not in after])


def show_value(value: Any, spec: AttributeSpec | None, context: CatalogContext) -> str:
    """A stored value as text a person reads."""
    if value is None or value == "" or value == []:
        return ""
    kind = spec.type if spec else None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if kind in ("select", "multiselect") and isinstance(value, str) and spec is not None:
        return label_of(spec.options.get(value), value)
    if isinstance(value, dict) and "amount" in value and "unit" in value:
        unit = str(value["unit"])
        symbol = ""
        if spec is not None and spec.unit_family in context.unit_families:
            symbol = context.unit_families[spec.unit_family].symbols.get(unit, "")
        return f"{value['amount']} {symbol or unit}"
    if isinstance(value, list) and all(isinstance(p, dict) and "currency" in p for p in value):
        return ", ".join(f"{p.get('amount')} {p.get('currency')}" for p in value)
    if isinstance(value, str):
        return _cut(_text(value) if kind == "textarea" else value)
    if isinstance(value, int | float):
        return str(value)
    return _cut(orjson.dumps(value).decode())


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Words kept, deleted and inserted, in reading order (whitespace kept with its word)."""
    a = re.findall(r"\S+\s*", old[:MAX_TEXT])
    b = re.findall(r"\S+\s*", new[:MAX_TEXT])
    parts: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            parts.append(("ins", "".join(b[j1:j2])))
    return parts


def _text(value: str) -> str:
    """Rich text as what a reader sees (tags out, entities decoded)."""
    return html.unescape(_TAGS.sub(" ", value)).replace("\u00a0", " ").strip() \
        if "<" in value or "&" in value else value


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 1] + "…"


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return _cut(value if isinstance(value, str) else orjson.dumps(value).decode())


def _family(code: Any, context: CatalogContext) -> str:
    if not code:
        return ""
    family = context.families.get(code)
    return label_of(family.labels, code) if family else str(code)


def _category_labels(context: CatalogContext, code: str) -> dict[str, str]:
    category = context.categories.get(code)
    return category.labels if category else {}


def _links(links: Any) -> list[str]:
    shown = []
    for link in links or []:
        if isinstance(link, dict):
            quantity = link.get("quantity")
            shown.append(f"{link.get('sku')}" + (f" × {quantity}" if quantity else ""))
        else:
            shown.append(str(link))
    return shown
