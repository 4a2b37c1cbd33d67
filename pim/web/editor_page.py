"""What the editor page shows, built from the services: the product and its models, the
fields by attribute group, completeness per channel and locale, the channel preview beside
the last published snapshot, the review status per channel with its blockers, and where
ERP-owned values come from.

``editor_view`` composes one read of each slice (publishing's preview carries the product,
its models, the catalog context and every channel's check; workflow gives statuses; erp
the sources; catalog the attribute groups) into plain data the templates render.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy.orm import Session

from channels.assortment import in_assortment
from pim.catalog.read import get_product_model
from pim.catalog.structure import attribute_groups_with, shared_context
from pim.catalog.values import sanitize_html
from pim.erp.state import erp_sources_of
from pim.publishing.preview import (
    ChannelPreview,
    LocalePreview,
    ProductPreview,
    load_previewed,
    preview_product,
    price_with_tax,
)
from pim.records import CatalogContext, ProductRecord
from pim.web.editor_fields import EditorField, Level, build_fields, label_of
from pim.web.editor_media import media_thumbnail_url
from pim.web.editor_save import SaveOutcome
from pim.workflow.channels import list_channels
from pim.workflow.completeness import ProjectionSetup
from pim.workflow.loading import LoadedProduct
from pim.workflow.model_completeness import model_completeness
from pim.workflow.transitions import workflow_status

UNGROUPED = "other"


@dataclass(slots=True)
class Group:
    code: str
    label: str
    fields: list[EditorField] = field(default_factory=list)


@dataclass(slots=True)
class EditorView:
    sku: str
    kind: str  # "product" or "product_model"
    version: int
    levels: list[Level]
    locale: str
    channel: str | None
    locales: list[str]
    channels: list[dict[str, Any]]  # code, label, in_assortment (for the switcher)
    groups: list[Group]
    title: str
    family: str | None
    enabled: bool
    completeness: list[dict[str, Any]]
    preview: dict[str, Any] | None
    workflow: list[dict[str, Any]]
    erp_sources: list[dict[str, Any]]
    outcome: SaveOutcome | None = None
    context: CatalogContext | None = None  # the catalog structure the view was built with
    # A model's page: its variants' completeness per channel and locale (model_rows)
    model_completeness: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fields(self) -> list[EditorField]:
        return [f for group in self.groups for f in group.fields]

    @property
    def path(self) -> str:
        return self.levels[-1].url

    @property
    def family_label(self) -> str | None:
        """The family's label in the page's locale (its code when it has none)."""
        spec = self.context.families.get(self.family) if self.context and self.family else None
        return label_of(spec.labels, self.locale, spec.code) if spec else self.family

    @property
    def review_rows(self) -> list[dict[str, Any]]:
        """The review panel's rows: the channels carrying the product, and any that does not
        but still holds a status for it (published before it left the assortment)."""
        return [row for row in self.workflow
                if row["in_assortment"] or row["status"] != "draft"]

    @property
    def not_carried_by(self) -> list[str]:
        """The labels of the channels that neither carry the product nor hold a status."""
        return [row["label"] for row in self.workflow
                if not row["in_assortment"] and row["status"] == "draft"]

    def url(self, **change: str | None) -> str:
        query = {"locale": self.locale, "channel": self.channel, **change}
        return f"{self.path}?" + urlencode({k: v for k, v in query.items() if v})


def product_levels(product: LoadedProduct) -> list[Level]:
    return ([Level(a.sku, "product_model", a) for a in reversed(product.ancestors)]
            + [Level(product.sku, "product", product.record)])


def choose(setup: ProjectionSetup, product: LoadedProduct, locale: str | None,
           channel: str | None) -> tuple[str, str | None]:
    """The locale and channel the page shows: the asked ones when they exist, else the
    first channel that carries the product and its first locale."""
    runtimes = list(setup.runtimes.values())
    if channel not in setup.runtimes:
        carried = [r for r in runtimes if in_assortment(
            product.record, product.ancestors, r.definition, setup.context,
            r.exclusive_elsewhere)]
        channel = (carried or runtimes)[0].code if runtimes else None
    locales = setup.context.locales
    if locale not in locales:
        found = setup.runtimes.get(channel) if channel else None
        locale = found.definition.locales[0] if found else (locales[0] if locales else "en_GB")
    return locale or "en_GB", channel


@dataclass(slots=True)
class EditorForm:
    """The product's fields as its page shows them now, at ``version``: what a save
    compares the posted form with. Read without projecting the product into any channel;
    ``loaded`` lets the page drawn next reuse the read."""

    loaded: tuple[ProjectionSetup, LoadedProduct]
    locale: str
    channel: str | None
    fields: list[EditorField]
    version: int


def editor_form(session: Session, sku: str, *, locale: str | None, channel: str | None,
                may_write: bool) -> EditorForm:
    setup, product = loaded = load_previewed(session, sku, shared_context(session))
    locale, channel = choose(setup, product, locale, channel)
    fields = build_fields(product_levels(product), setup.context, locale=locale,
                          channel=channel, may_write=may_write)
    return EditorForm(loaded, locale, channel, fields, product.record.version or 0)


def editor_view(session: Session, sku: str, *, locale: str | None, channel: str | None,
                may_write: bool, outcome: SaveOutcome | None = None,
                loaded: tuple[ProjectionSetup, LoadedProduct] | None = None,
                context: CatalogContext | None = None) -> EditorView:
    """The page of ``sku``: from ``loaded`` (what ``editor_form`` read) when given, else read
    now, with ``context`` (the catalog structure a caller read in this request) or the
    shared one."""
    setup, product = loaded or load_previewed(session, sku,
                                              context or shared_context(session))
    preview = preview_product(session, sku, (setup, product))
    context = preview.context
    locale, channel = choose(setup, product, locale, channel)
    levels = product_levels(product)
    fields = build_fields(levels, context, locale=locale, channel=channel, may_write=may_write)
    shown = preview.channel(channel) if channel else None
    here = shown.locale(locale) if shown else None
    for field_ in fields:
        if field_.spec.type == "media":
            field_.thumbnail = media_thumbnail_url(session, str(field_.value or ""))
        elif field_.spec.type == "textarea" and not field_.editable and field_.value:
            field_.rich_html = Markup(sanitize_html(str(field_.value)))
        if here is not None:
            field_.issues = [e.message for e in here.check.errors if e.attribute == field_.code]
    if outcome is not None:
        apply_outcome(fields, outcome)
    record = preview.product.record
    family = preview.product.family
    title_attribute = (context.families[family].label_attribute
                       if family in context.families else None) or "name"
    title = next((str(f.value) for f in fields if f.code == title_attribute and f.value), sku)
    return EditorView(
        sku=sku, kind="product", version=record.version or 0, levels=levels, locale=locale,
        channel=channel, locales=list(context.locales),
        channels=[{"code": c.code, "label": c.definition.label, "in_assortment": c.in_assortment}
                  for c in preview.channels],
        groups=grouped(session, fields, locale, context), title=title, family=family,
        enabled=record.enabled is not False,
        completeness=completeness_rows(preview, sku),
        preview=channel_preview(shown, locale) if shown else None,
        workflow=workflow_rows(session, sku, preview), erp_sources=erp_sources_of(session, sku),
        outcome=outcome, context=context)


def model_levels(session: Session, code: str) -> list[Level]:
    """A product model and the models above it, root first."""
    levels: list[Level] = []
    seen: set[str] = set()
    current: str | None = code
    while current and current not in seen:
        seen.add(current)
        model = get_product_model(session, current)
        record = ProductRecord(sku=model["code"], kind="product_model", family=model["family"],
                               family_variant=model["family_variant"], parent=model["parent"],
                               categories=list(model["categories"]), values=model["values"],
                               version=model["version"])
        levels.insert(0, Level(model["code"], "product_model", record))
        current = model["parent"]
    return levels


def model_view(session: Session, code: str, *, locale: str | None, channel: str | None,
               may_write: bool, outcome: SaveOutcome | None = None) -> EditorView:
    """A product model's page: its own values (those its level owns) and what it inherits,
    on the editor's template, with its variants' completeness summed up; preview and
    review belong to its variants. The channel shown is the asked one, else the first that
    carries the model's family."""
    levels = model_levels(session, code)
    context = shared_context(session)
    family = next((lv.record.family for lv in reversed(levels) if lv.record.family), None)
    # The channels' own rule (families, category roots, SKU lists), as the variants' pages
    # judge it: the model with its ancestors, nearest first.
    model, ancestors = levels[-1].record, [lv.record for lv in reversed(levels[:-1])]
    channels: list[dict[str, Any]] = [
        {"code": c.code, "label": c.label,
         "in_assortment": in_assortment(model, ancestors, c, context)}
        for c in list_channels(session)]
    if locale not in context.locales:
        locale = context.locales[0] if context.locales else "en_GB"
    if channel not in [c["code"] for c in channels]:
        carried = [c for c in channels if c["in_assortment"]] or channels
        channel = carried[0]["code"] if carried else None
    fields = build_fields(levels, context, locale=locale, channel=channel, may_write=may_write)
    for field_ in fields:
        if field_.spec.type == "media":
            field_.thumbnail = media_thumbnail_url(session, str(field_.value or ""))
        elif field_.spec.type == "textarea" and not field_.editable and field_.value:
            field_.rich_html = Markup(sanitize_html(str(field_.value)))
    if outcome is not None:
        apply_outcome(fields, outcome)
    record = levels[-1].record
    title_attribute = (context.families[family].label_attribute
                       if family in context.families else None) or "name"
    title = next((str(f.value) for f in fields if f.code == title_attribute and f.value), code)
    return EditorView(
        sku=code, kind="product_model", version=record.version or 0, levels=levels,
        locale=locale, channel=channel, locales=list(context.locales),
        channels=channels, groups=grouped(session, fields, locale, context), title=title,
        family=family, enabled=True, completeness=[], preview=None, workflow=[],
        erp_sources=[], outcome=outcome, context=context,
        model_completeness=model_rows(session, code, levels[-1].url, {f.code for f in fields}))


def model_rows(session: Session, code: str, path: str, shown: set[str]) -> list[dict[str, Any]]:
    """The model's variants' completeness per channel and locale, each failing attribute
    linked where it can be fixed: this page when it shows the attribute (the model owns or
    inherits it), else the first variant failing it."""
    rows = []
    for summary in model_completeness(session, code):
        query = {"locale": summary.locale, "channel": summary.channel}
        problems = []
        for problem in summary.problems:
            link = None
            if problem.attribute:
                page = path if problem.attribute in shown else f"/products/{problem.first_sku}"
                link = f"{page}?{urlencode(query)}#f-{problem.attribute}"
            message = problem.message
            if problem.attribute and message.startswith(problem.attribute + " "):
                message = message[len(problem.attribute) + 1:]
            problems.append({"attribute": problem.attribute, "field": problem.field,
                             "message": message, "variants": problem.variants,
                             "missing": problem.missing, "link": link,
                             "here": problem.attribute in shown})
        rows.append({"channel": summary.channel, "label": summary.label,
                     "locale": summary.locale, "variants": summary.variants,
                     "passed": summary.passed, "percent": summary.percent,
                     "problems": problems, "link": f"{path}?{urlencode(query)}"})
    return rows


def apply_outcome(fields: list[EditorField], outcome: SaveOutcome) -> None:
    """What was typed goes back into the inputs, with the message of each refused field."""
    for field_ in fields:
        typed = outcome.typed.get(field_.code)
        if typed is not None and field_.editable:
            field_.form = typed
        if field_.code in outcome.errors:
            field_.error = outcome.errors[field_.code]


def grouped(session: Session, fields: list[EditorField], locale: str,
            context: CatalogContext) -> list[Group]:
    """Fields by attribute group: groups in their sort order, ties in the order of their
    first attribute in the family."""
    known = {g["code"]: g for g in attribute_groups_with(session, context)}
    groups: dict[str, Group] = {}
    first: dict[str, int] = {}
    for position, field_ in enumerate(fields):
        code = field_.spec.group or UNGROUPED
        if code not in groups:
            spec = known.get(code)
            label = (label_of(spec["labels"], locale, code.title()) if spec
                     else code.replace("_", " ").title())
            groups[code], first[code] = Group(code, label), position
        groups[code].fields.append(field_)
    order = {code: (known[code]["sort_order"] if code in known else 0, first[code])
             for code in groups}
    return sorted(groups.values(), key=lambda g: order[g.code])


def completeness_rows(preview: ProductPreview, sku: str) -> list[dict[str, Any]]:
    """Per channel that carries the product, per locale: the percentage and each missing or
    invalid field, with the link that opens its locale and channel and focuses it."""
    rows = []
    for channel in preview.channels:
        if not channel.in_assortment:
            continue
        for item in channel.locales:
            check = item.check
            problems = []
            for error in check.errors:
                link = None
                if error.attribute:
                    query = urlencode({"locale": error.locale or item.locale,
                                       "channel": channel.code})
                    link = f"/products/{sku}?{query}#f-{error.attribute}"
                message = error.message
                if error.attribute and message.startswith(error.attribute + " "):
                    # The link names the attribute: "brand is required", not "brand brand is
                    # required".
                    message = message[len(error.attribute) + 1:]
                problems.append({"message": message, "attribute": error.attribute,
                                 "field": error.field, "link": link,
                                 "missing": error.keyword == "required"})
            rows.append({"channel": channel.code, "label": channel.definition.label,
                         "locale": item.locale, "percent": check.percent,
                         "required": check.required, "present": check.present,
                         "passed": check.passed, "problems": problems})
    return rows


def workflow_rows(session: Session, sku: str, preview: ProductPreview) -> list[dict[str, Any]]:
    """The review status per channel, with what would stop it from being published."""
    by_code = {c.code: c for c in preview.channels}
    rows = []
    for status in workflow_status(session, sku, product_id=preview.product.id,
                                  channels=list(by_code)):
        channel = by_code.get(status["channel"])
        blockers = []
        if channel is not None and not channel.in_assortment:
            blockers.append("not in this channel's assortment")
        elif channel is not None:
            for item in channel.locales:
                if not item.check.passed:
                    blockers.append(f"{item.locale}: {len(item.check.errors)} "
                                    f"problem{'s' if len(item.check.errors) != 1 else ''}")
        rows.append({**status, "label": channel.definition.label if channel else status["channel"],
                     "in_assortment": bool(channel and channel.in_assortment),
                     "blockers": blockers})
    return rows


def channel_preview(channel: ChannelPreview, locale: str) -> dict[str, Any]:
    """The selected channel's variant now beside its last snapshot, field by field."""
    if not channel.in_assortment:
        return {"code": channel.code, "label": channel.definition.label, "carried": False,
                "locale": locale, "locales": []}
    item: LocalePreview | None = channel.locale(locale) or (
        channel.locales[0] if channel.locales else None)
    if item is None:
        return {"code": channel.code, "label": channel.definition.label, "carried": False,
                "locale": locale, "locales": []}
    now = flatten(item.fields)
    snapshot = item.snapshot
    published = flatten(snapshot.fields) if snapshot and not snapshot.withdrawn else {}
    changed = set(item.changed)
    rows = []
    for path in sorted(set(now) | set(published), key=_field_order):
        top = path.split(".")[0]
        rows.append({"field": path, "now": now.get(path), "published": published.get(path),
                     "changed": snapshot is not None and (path in changed or top in changed
                                                          or any(c.startswith(path + ".")
                                                                 for c in changed)),
                     "image": top == "images"})
    return {"code": channel.code, "label": channel.definition.label, "carried": True,
            "locale": item.locale, "locales": [p.locale for p in channel.locales],
            "rows": rows, "snapshot": snapshot, "differences": len(item.changed),
            "price": price_with_tax(item.fields.get("price"), channel.definition),
            "availability": item.fields.get("availability"),
            "quantity": item.fields.get("quantity"),
            "images": [str(u) for u in item.fields.get("images") or []],
            "currency": channel.definition.currency}


_FIRST = ("id", "sku", "parent_sku", "title", "description", "price", "sale_price",
          "availability", "quantity", "images")


def _field_order(path: str) -> tuple[int, str]:
    top = path.split(".")[0]
    return (_FIRST.index(top) if top in _FIRST else len(_FIRST), path)


def flatten(fields: dict[str, Any]) -> dict[str, str]:
    """Output fields as dotted paths and display text: ``attributes.colour`` -> "Black",
    money as "12.50 GBP", lists one item per line."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if isinstance(value, dict) and name in ("attributes", "axes", "associations"):
            for key, inner in value.items():
                out[f"{name}.{key}"] = display(inner)
        else:
            out[name] = display(value)
    return out


def display(value: Any) -> str:
    if isinstance(value, dict) and "amount" in value:
        unit = value.get("currency") or value.get("unit") or ""
        tier = f" from {value['min_quantity']}" if value.get("min_quantity") else ""
        return f"{value['amount']} {unit}{tier}".strip()
    if isinstance(value, dict) and "sku" in value:  # an association
        quantity = value.get("quantity")
        return f"{value['sku']} × {quantity}" if quantity else str(value["sku"])
    if isinstance(value, list):
        return "\n".join(display(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)
