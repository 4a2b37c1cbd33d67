"""An Akeneo PIM CSV export (the files of an installer fixture or an export profile) read
whole, in the order the hub must apply it: locales, currencies, channels, attribute groups,
attributes, options, categories, association types, families, family variants, product
models (parents before children) and products.

Akeneo's types map onto the hub's in ``structure.AKENEO_ATTRIBUTE_TYPES``; measurement
families and unit codes pass through unchanged, since the hub's standard unit families use
Akeneo's codes ("Weight": KILOGRAM, GRAM, ...). Media paths resolve against ``media_root``;
a missing file is a warning and the value is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from importers.errors import ImportFileError
from importers.profile import MappingProfile
from importers.source import ImportRecord, ImportSource
from importers.structure import extend_context
from pim.records import CatalogContext, ProductRecord, StructureRecord

STRUCTURE_ORDER = (
    ("locales.csv", "locale"),
    ("currencies.csv", "currency"),
    ("channels.csv", "channel"),
    ("attribute_groups.csv", "attribute_group"),
    ("attributes.csv", "attribute"),
    ("attribute_options.csv", "attribute_option"),
    ("categories.csv", "category"),
    ("association_types.csv", "association_type"),
    ("families.csv", "family"),
    ("family_variants.csv", "family_variant"),
)
AKENEO_CSV = MappingProfile(delimiter=";", encoding="utf-8")


def iter_akeneo_catalog(
    directory: str | Path,
    *,
    media_root: str | Path | None = None,
    context: CatalogContext | None = None,
) -> Iterator[ImportRecord]:
    """Every record of the export, structure first. ``context`` (default: empty) is
    extended as structure is read, so products are converted with the export's own types;
    pass the hub's context to also check against what the hub already holds."""
    directory = Path(directory)
    if not (directory / "products.csv").is_file() and not (directory / "attributes.csv").is_file():
        raise ImportFileError("not an Akeneo export: no products.csv or attributes.csv",
                              path=str(directory))
    context = context if context is not None else CatalogContext()
    media = Path(media_root) if media_root else None
    channels = _read_channels(directory, context)
    active_locales = {loc for channel in channels.values() for loc in channel.get("locales", [])}
    for file_name, kind in STRUCTURE_ORDER:
        path = directory / file_name
        if not path.is_file():
            continue
        for item in _open(path, kind, context, channels, media).records():
            if isinstance(item, StructureRecord):
                if kind == "locale" and "enabled" not in item.data:
                    # Akeneo activates exactly the locales its channels use.
                    item.data["enabled"] = item.code in active_locales
                extend_context(context, item)
            yield item
    seen: dict[str, int] = {}
    model_codes: dict[str, str] = {}  # casefolded -> as written
    models = directory / "product_models.csv"
    if models.is_file():
        for item in _parents_first(_open(models, "product_model", context, channels, media,
                                         seen).records()):
            if isinstance(item, ProductRecord):
                model_codes[item.sku.casefold()] = item.sku
            yield item
    products = directory / "products.csv"
    if products.is_file():
        for item in _open(products, "product", context, channels, media, seen).records():
            if isinstance(item, ProductRecord) and item.parent:
                # Akeneo codes are case-insensitive: the demo's variants name
                # "Model-running-shoes-l" for the model "model-running-shoes-l".
                item.parent = model_codes.get(item.parent.casefold(), item.parent)
            yield item


def _open(path, kind, context, channels, media, seen=None) -> ImportSource:
    return ImportSource(path, context=context, channels=set(channels), profile=AKENEO_CSV,
                        media_root=media, kind=kind, seen_skus=seen)


def _read_channels(directory: Path, context: CatalogContext) -> dict[str, dict]:
    """Channel codes decide ``<attr>-<scope>`` columns, so they are read before anything."""
    path = directory / "channels.csv"
    if not path.is_file():
        return {}
    channels = {}
    for item in _open(path, "channel", context, set(), None).records():
        if isinstance(item, StructureRecord):
            channels[item.code] = item.data
    return channels


def _parents_first(items: Iterator[ImportRecord]) -> Iterator[ImportRecord]:
    """Product models reordered so a parent always comes before its children (Akeneo models
    nest two levels; deeper chains are handled too). Errors keep their place up front."""
    models: list[ProductRecord] = []
    for item in items:
        if isinstance(item, ProductRecord):
            models.append(item)
        else:
            yield item
    by_code = {model.sku.casefold(): model for model in models}
    for model in models:
        if model.parent and model.parent.casefold() in by_code:
            model.parent = by_code[model.parent.casefold()].sku
    emitted: set[str] = set()

    def emit(model: ProductRecord, chain: tuple[str, ...] = ()):
        if model.sku in emitted:
            return
        parent = by_code.get((model.parent or "").casefold())
        if parent is not None and parent.sku not in chain:
            yield from emit(parent, (*chain, model.sku))
        emitted.add(model.sku)
        yield model

    for model in models:
        yield from emit(model)
