"""Channels that arrive as structure rows (Akeneo's channels.csv: code, labels, locales,
currencies, category tree) become full channel definitions with the generic schema; the
families' per-channel requirements then supply their completeness."""

from __future__ import annotations

from sqlalchemy.orm import Session

from channels.definition import ChannelDefinition
from pim.errors import Invalid
from pim.records import StructureRecord
from pim.workflow.channels import apply_channel


def definition_from_structure(record: StructureRecord) -> ChannelDefinition:
    data = record.data
    locales = list(data.get("locales") or [])
    currencies = list(data.get("currencies") or [])
    if not locales or not currencies:
        raise Invalid(f"channel {record.code}: needs at least one locale and one currency")
    labels = data.get("labels") or {}
    country = locales[0].split("_")[-1].upper()
    code = record.code
    return ChannelDefinition.model_validate({
        "code": code,
        "label": labels.get("en_US") or labels.get("en_GB") or next(iter(labels.values()), code),
        "kind": data.get("kind") or "storefront",
        "locales": locales,
        "currency": currencies[0],
        "tax": {"jurisdiction": country if len(country) == 2 else "GB", "vat_rate": "0",
                "prices_include_tax": False},
        "assortment": {"category_roots": [data["category_tree"]]}
        if data.get("category_tree") else {},
        "mapping": {"title": "name", "description": "description",
                    "images": ["image", "picture"], "gtin": "ean", "brand": "brand"},
        "pricing": {"price": "price"},
        "schema": "generic.json",
    })


def apply_imported_channel(session: Session, record: StructureRecord) -> bool | None:
    """A channel row of an import (connected to the catalog's ``listeners.structure_rows`` in
    ``pim.wiring``): applied, and whether it changed the channel; None for rows of any
    other kind, which are not the workflow's."""
    if record.kind != "channel":
        return None
    try:
        definition = definition_from_structure(record)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise Invalid(f"channel {record.code}: {error}") from None
    return apply_channel(session, definition)
