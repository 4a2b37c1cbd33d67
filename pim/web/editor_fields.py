"""The editor's fields: which attributes a product shows, at which level each value lives,
what an input holds, and turning a posted form back into value data.

One attribute is one field on the page, for the locale and channel the page shows: a
localizable attribute's value in that locale, a scopable one's in that channel (its
``ValueKey``). Inputs are named ``v.<attribute>`` (and ``v.<attribute>.<part>`` for the
parts of a measurement or a price), so a form holds each attribute once.

A posted field is sent to the catalog only when it differs from what the page showed at
the version the person read (``form_of`` of that version's data, compared as text): an
untouched field is never written, so the save carries exactly what the person changed and
a merge can tell their changes from someone else's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pim.records import AttributeSpec, CatalogContext, ProductRecord, ValueKey, get_value

FormValue = str | list[str]
Form = dict[str, FormValue]  # part ("" for the value itself, "amount", "GBP") -> text

PREFIX = "v."
TYPE_INPUTS = {
    "text": "text", "textarea": "richtext", "number": "number", "measurement": "measurement",
    "price": "price", "boolean": "boolean", "date": "date", "select": "select",
    "multiselect": "multiselect", "media": "media", "reference": "reference",
    "identifier": "identifier",
}


def label_of(labels: Mapping[str, str], locale: str, fallback: str) -> str:
    return labels.get(locale) or labels.get("en_GB") or next(iter(labels.values()), fallback)


@dataclass(slots=True)
class Level:
    """A level of the product's tree: a product model or the product itself."""

    code: str
    kind: str  # "product_model" or "product"
    record: ProductRecord

    @property
    def url(self) -> str:
        if self.kind == "product":
            return f"/products/{self.code}"
        return f"/product-models/{self.code}"


@dataclass(slots=True)
class EditorField:
    spec: AttributeSpec
    label: str
    key: ValueKey
    data: Any  # the value this level holds, None when it holds none
    form: Form  # what the inputs show
    shown_form: Form  # what they showed at the version the person read (unchanged test)
    owner: Level | None = None  # the level that owns the value when it is not this one
    inherited: Any = None  # the owner's data
    read_only: str | None = None  # why: "erp", "inherited", "role"
    error: str | None = None
    issues: list[str] = field(default_factory=list)  # the channel's complaints about it
    options: list[tuple[str, str]] = field(default_factory=list)
    units: list[tuple[str, str]] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    tiers: list[dict[str, Any]] = field(default_factory=list)
    thumbnail: str | None = None
    rich_html: Any = None  # a read-only rich text, sanitized again for display

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def input(self) -> str:
        return TYPE_INPUTS[self.spec.type]

    @property
    def name(self) -> str:
        return PREFIX + self.spec.code

    @property
    def id(self) -> str:
        return "f-" + self.spec.code

    @property
    def value(self) -> FormValue:
        return self.form.get("", "")

    def part(self, name: str) -> str:
        found = self.form.get(name, "")
        return found if isinstance(found, str) else ""

    @property
    def selected(self) -> list[str]:
        found = self.form.get("", [])
        return found if isinstance(found, list) else [found] if found else []

    @property
    def editable(self) -> bool:
        return self.read_only is None


def owning_depths(levels: list[Level], context: CatalogContext) -> dict[str, int]:
    """At which depth of the tree (0: the root model) each attribute of a family variant
    lives: the root model owns what no variant level names; the level below it owns the
    first axes and level attributes, and so on (Akeneo's model). Empty for a product
    without a model (it owns everything)."""
    variant = context.family_variants.get(levels[0].record.family_variant or "")
    if variant is None:
        return {}
    depths: dict[str, int] = {}
    for index, axes in enumerate(variant.axes):
        for code in axes:
            depths[code] = index + 1
    for index, names in enumerate(variant.level_attributes):
        for code in names:
            depths[code] = index + 1
    return depths


def family_attribute_codes(levels: list[Level], context: CatalogContext) -> list[str]:
    family = next((level.record.family for level in reversed(levels) if level.record.family),
                  None)
    spec = context.families.get(family or "")
    codes = list(spec.attributes) if spec else []
    # Values outside the family (kept from before a family change) are shown too.
    for level in levels:
        codes += [code for code in level.record.values if code not in codes]
    return [code for code in codes if code in context.attributes]


def value_key(spec: AttributeSpec, locale: str, channel: str | None) -> ValueKey:
    return ValueKey(spec.code, locale if spec.localizable else None,
                    channel if spec.scopable else None)


def build_fields(levels: list[Level], context: CatalogContext, *, locale: str,
                 channel: str | None, may_write: bool) -> list[EditorField]:
    """The fields of the last level of ``levels`` (root model first, the level shown last).

    A value owned by a level above (by the family variant) is shown as inherited, read-only,
    with a link to that level; attributes owned by levels below a model are not shown on
    the model's page. A value this level holds itself is always shown as its own."""
    this = levels[-1]
    depth = len(levels) - 1
    depths = owning_depths(levels, context)
    fields = []
    for code in family_attribute_codes(levels, context):
        spec = context.attributes[code]
        key = value_key(spec, locale, channel)
        data = get_value(this.record.values, key)
        owned_at = depths.get(code, 0) if depths else depth
        if this.kind == "product":
            owned_at = min(owned_at, depth)
        elif owned_at > depth and data is None:
            continue  # a variant's attribute: not the model's to show
        owner = levels[owned_at] if data is None and owned_at < depth else None
        inherited = get_value(owner.record.values, key) if owner is not None else None
        form = form_of(spec, inherited if owner is not None else data)
        field_ = EditorField(
            spec=spec, label=label_of(spec.labels, locale, code), key=key, data=data,
            form=form, shown_form=form, owner=owner, inherited=inherited)
        if spec.owner == "erp":
            field_.read_only = "erp"
        elif owner is not None:
            field_.read_only = "inherited"
        elif not may_write:
            field_.read_only = "role"
        _input_choices(field_, context, locale, data)
        fields.append(field_)
    return fields


def _input_choices(field_: EditorField, context: CatalogContext, locale: str, data: Any) -> None:
    spec = field_.spec
    if spec.type in ("select", "multiselect"):
        field_.options = [(code, label_of(labels, locale, code))
                          for code, labels in spec.options.items()]
    elif spec.type == "measurement":
        family = context.unit_families.get(spec.unit_family or "")
        if family is not None:
            field_.units = [(code, family.symbols.get(code) or code) for code in family.units]
    elif spec.type == "price":
        field_.currencies = list(context.currencies)
        field_.tiers = [entry for entry in (data or []) if _is_tier(entry)]
        for entry in data or []:
            currency = entry.get("currency") if isinstance(entry, dict) else None
            if currency and currency not in field_.currencies:
                field_.currencies.append(currency)


def _is_tier(entry: Any) -> bool:
    return isinstance(entry, dict) and (entry.get("min_quantity") or 1) > 1


def form_of(spec: AttributeSpec, data: Any) -> Form:
    """What the inputs of ``spec`` show for ``data`` (the stored, canonical value)."""
    kind = spec.type
    if kind == "measurement":
        if isinstance(data, dict):
            return {"amount": str(data.get("amount") or ""),
                    "unit": str(data.get("unit") or spec.default_unit or "")}
        return {"amount": "", "unit": spec.default_unit or ""}
    if kind == "price":
        base = {entry.get("currency"): str(entry.get("amount") or "")
                for entry in (data if isinstance(data, list) else [])
                if isinstance(entry, dict) and not _is_tier(entry)}
        return {currency: amount for currency, amount in base.items() if currency}
    if kind == "multiselect":
        return {"": [str(code) for code in data] if isinstance(data, list) else []}
    if kind == "boolean":
        return {"": "" if data is None else "true" if data else "false"}
    return {"": "" if data is None else str(data)}


def posted_form(spec: AttributeSpec, posted: Mapping[str, list[str]],
                currencies: list[str]) -> Form | None:
    """The inputs of ``spec`` as posted; None when the form did not carry the field."""
    name = PREFIX + spec.code
    kind = spec.type
    if kind == "measurement":
        if name + ".amount" not in posted:
            return None
        return {"amount": _one(posted, name + ".amount").strip(),
                "unit": _one(posted, name + ".unit").strip()}
    if kind == "price":
        found = {c: _one(posted, f"{name}.{c}").strip() for c in currencies
                 if f"{name}.{c}" in posted}
        if not found and name + ".present" not in posted:
            return None
        return {currency: amount for currency, amount in found.items() if amount}
    if kind == "multiselect":
        if name + ".present" not in posted and name not in posted:
            return None
        return {"": [code for code in posted.get(name, []) if code]}
    if name not in posted:
        return None
    text = _one(posted, name)
    return {"": text if kind == "textarea" else text.strip()}


def _one(posted: Mapping[str, list[str]], name: str) -> str:
    values = posted.get(name) or [""]
    return values[-1]


def same_form(spec: AttributeSpec, a: Form, b: Form) -> bool:
    """Whether two forms of ``spec`` say the same (a price's empty currencies and a
    measurement's unit without an amount count as nothing; a multiselect's options in any
    order: the checkboxes post them in the options' order, the order the catalog stores
    them in, but a value stored before it kept that order may still hold another)."""
    if spec.type == "multiselect":
        return sorted(a.get("", [])) == sorted(b.get("", []))
    if spec.type == "price":
        return {k: v for k, v in a.items() if v} == {k: v for k, v in b.items() if v}
    if spec.type == "measurement" and not a.get("amount") and not b.get("amount"):
        return True
    if spec.type == "textarea":
        return _html_equal(a.get("", ""), b.get("", ""))
    return a == b


def _html_equal(a: Any, b: Any) -> bool:
    """Rich text compared as the person sees it: an emptied editor leaves a bare paragraph
    or line break behind."""
    empty = ("", "<p></p>", "<br>", "<p><br></p>")
    a = a.strip() if isinstance(a, str) else a
    b = b.strip() if isinstance(b, str) else b
    return a == b or (a in empty and b in empty)


def data_of(spec: AttributeSpec, form: Form, tiers: list[dict[str, Any]]) -> Any:
    """The value data a form stands for (None clears the value), still unchecked: the
    catalog validates it as it validates the API's."""
    kind = spec.type
    if kind == "measurement":
        amount = form.get("amount") or ""
        if not amount:
            return None
        return {"amount": amount, "unit": form.get("unit") or spec.default_unit}
    if kind == "price":
        entries: list[dict[str, Any]] = [{"amount": amount, "currency": currency}
                                         for currency, amount in form.items() if amount]
        entries += tiers
        return entries or None
    if kind == "multiselect":
        chosen = form.get("", [])
        return list(chosen) if chosen else None
    text = form.get("", "")
    if not isinstance(text, str):
        return None
    if kind == "boolean":
        return {"true": True, "false": False}.get(text)
    if kind == "textarea" and _html_equal(text, ""):
        return None
    return text if text != "" else None
