"""The channel definition: what a channel sells, in which locales and currency, and how a
product's attributes become the channel's output fields.

Channels are data. A definition is loaded from a YAML or JSON file (the shipped presets live
in ``channels/presets/``) and validated by the pydantic models below, so a typo in a preset
fails at load time with the field that is wrong rather than as a strange projection later.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from channels.renditions import Rendition
from pim.records import VARIANT_FIELDS

PRESETS_DIR = Path(__file__).parent / "presets"
SCHEMAS_DIR = Path(__file__).parent.parent / "schemas"

ChannelKind = Literal["storefront", "distributor", "retailer", "marketplace"]
FeedFormat = Literal[
    "ndjson",
    "csv",
    "xlsx",
    "google_merchant_rss",
    "google_merchant_tsv",
    "bmecat",
    "shopify_csv",
    "magento_csv",
    "akeneo",
]

# Output fields the projection computes itself; a mapping may not claim them, because a
# second source for, say, `availability` would silently disagree with the stock rule.
COMPUTED_FIELDS = frozenset(
    {
        "id",
        "sku",
        "parent_sku",
        "link",
        "image_renditions",
        "price",
        "sale_price",
        "map_price",
        "tier_prices",
        "availability",
        "quantity",
        "categories",
        "axes",
        "attributes",
        "associations",
        "enabled",
        "updated_at",
    }
)
MAPPABLE_FIELDS = frozenset(VARIANT_FIELDS) - COMPUTED_FIELDS


def _decimal(pattern: str, **number_bounds: Any) -> dict[str, Any]:
    """The JSON Schema of a Decimal field: a JSON number, or the decimal's exact text, which
    is how the API answers it (pydantic's own schema would allow any string)."""
    return {"anyOf": [{"type": "number", **number_bounds},
                      {"type": "string", "pattern": pattern}]}


DECIMAL = r"^-?[0-9]+(\.[0-9]+)?$"
NON_NEGATIVE_DECIMAL = r"^[0-9]+(\.[0-9]+)?$"
PERCENT = r"^(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaxSettings(_Strict):
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    vat_rate: Decimal = Field(ge=0, le=100, description="Percent, e.g. \"20\".",
                              json_schema_extra=_decimal(PERCENT, minimum=0, maximum=100))
    prices_include_tax: bool = True


class Assortment(_Strict):
    """Which products a channel carries. Empty lists mean "no restriction"."""

    category_roots: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    include_skus: tuple[str, ...] = ()
    exclude_skus: tuple[str, ...] = ()
    exclusive_skus: tuple[str, ...] = ()  # sold in this channel and no other


class FieldSource(_Strict):
    """Where an output field reads from. ``locale``/``scope`` pin a value other than the
    channel's own (e.g. reuse another channel's scoped short description)."""

    attribute: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    locale: str | None = None
    scope: str | None = None


class ChannelMapping(_Strict):
    """Output field -> source(s), plus extra attributes carried under ``attributes``.

    In the data file the mapping is flat: ``{title: name, gtin: ean, attributes: [colour]}``.
    A field may list several sources: ``images`` collects them all (main image first), any
    other field takes the first one that has a value.
    """

    fields: dict[str, Annotated[tuple[FieldSource, ...], Field(min_length=1)]] = Field(
        default_factory=dict,
        json_schema_extra={"propertyNames": {"enum": list[Any](sorted(MAPPABLE_FIELDS))}})
    attributes: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_flat_form(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or "fields" in raw:
            return raw
        extra = raw.get("attributes", ())
        fields = {}
        for name, source in raw.items():
            if name == "attributes":
                continue
            sources = source if isinstance(source, list) else [source]
            fields[name] = [{"attribute": s} if isinstance(s, str) else s for s in sources]
        return {"fields": fields, "attributes": extra}

    @field_validator("fields")
    @classmethod
    def _only_mappable_fields(cls, fields: dict[str, Any]) -> dict[str, Any]:
        for name, sources in fields.items():
            if name not in MAPPABLE_FIELDS:
                raise ValueError(
                    f"{name!r} is not a mappable output field "
                    f"(one of: {', '.join(sorted(MAPPABLE_FIELDS))})"
                )
            if not sources:
                raise ValueError(f"{name!r} maps to no attribute")
        return fields


class Pricing(_Strict):
    """Price attributes (type price) the channel reads, in the channel currency only."""

    price: str | None = "price"
    sale_price: str | None = None
    map_price: str | None = None  # minimum advertised price
    tier_prices: bool = False  # list entries of `price` carrying min_quantity > 1


class AvailabilityRule(_Strict):
    """``in_stock`` when the summed quantity over the channel's sources exceeds
    ``in_stock_above``; otherwise ``otherwise`` (a drop-shipping channel may say backorder)."""

    in_stock_above: Decimal = Field(Decimal(0), json_schema_extra=_decimal(DECIMAL))
    otherwise: Literal["out_of_stock", "backorder", "preorder"] = "out_of_stock"


class FeedOptions(_Strict):
    """How feeds write this channel; a format that has no use for an option ignores it."""

    # Google Merchant feeds: descriptions as plain text (Google's advice: its own limited
    # HTML support differs from the sanitized HTML the hub stores), or "html" as stored.
    google_description: Literal["text", "html"] = "text"


class ConflictSettings(_Strict):
    # Same-currency channels whose advertised prices differ by more than this are reported.
    price_tolerance_percent: Decimal = Field(
        default=Decimal(0), ge=0, description="Percent, e.g. \"5\" or 2.5.",
        json_schema_extra=_decimal(NON_NEGATIVE_DECIMAL, minimum=0))


class ChannelDefinition(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    label: str
    kind: ChannelKind
    locales: tuple[str, ...] = Field(min_length=1)
    fallback_locales: dict[str, str] = Field(default_factory=dict)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    tax: TaxSettings
    assortment: Assortment = Field(default_factory=Assortment)
    mapping: ChannelMapping = Field(default_factory=ChannelMapping)
    pricing: Pricing = Field(default_factory=Pricing)
    stock_sources: tuple[str, ...] = ()
    availability: AvailabilityRule = Field(default_factory=AvailabilityRule)
    renditions: dict[str, Rendition] = Field(default_factory=dict)
    # The rendition whose URLs fill `images`; the first declared rendition when unset.
    image_rendition: str | None = None
    # Where the hub's /media path is reached from outside, e.g. a CDN fronting the hub
    # ("https://cdn.example/media"); empty: the hub itself (PIM_BASE_URL + "/media").
    media_base_url: str = ""
    product_url_template: str | None = None  # placeholders: {sku} {parent_sku} {locale}
    # Which product model a variant's parent_sku names, and so what every format groups by
    # (Google item_group_id, a Shopify handle, a Magento configurable, BMEcat's base_product):
    # the root model, one group per product (a shirt in 3 colours x 5 sizes is one group);
    # or the nearest model (one group per colour when models nest colour, then size).
    group_variants_by: Literal["root_model", "parent_model"] = "root_model"
    schema_file: str = Field(alias="schema", description="A JSON Schema file in the "
                             "hub's schemas/ folder, e.g. webshop-uk.json.")
    feed_formats: tuple[FeedFormat, ...] = ()
    feed_options: FeedOptions = Field(default_factory=FeedOptions)
    conflicts: ConflictSettings = Field(default_factory=ConflictSettings)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _references_are_consistent(self) -> ChannelDefinition:
        for locale, fallback in self.fallback_locales.items():
            if locale not in self.locales:
                raise ValueError(f"fallback declared for {locale!r}, not a channel locale")
            if fallback == locale:
                raise ValueError(f"{locale!r} cannot fall back to itself")
        if self.image_rendition and self.image_rendition not in self.renditions:
            raise ValueError(f"image_rendition {self.image_rendition!r} is not declared")
        return self

    @property
    def primary_rendition(self) -> str | None:
        return self.image_rendition or next(iter(self.renditions), None)


def load_channel(path: str | Path) -> ChannelDefinition:
    """Read one channel definition from a ``.yaml``/``.yml`` or ``.json`` file."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return ChannelDefinition.model_validate(raw)


def load_presets(directory: str | Path | None = None) -> dict[str, ChannelDefinition]:
    """Every shipped preset (or every definition in ``directory``), by channel code."""
    folder = Path(directory) if directory else PRESETS_DIR
    channels: dict[str, ChannelDefinition] = {}
    for path in sorted(folder.glob("*.y*ml")) + sorted(folder.glob("*.json")):
        channel = load_channel(path)
        if channel.code in channels:
            raise ValueError(f"{path.name}: channel code {channel.code!r} defined twice")
        channels[channel.code] = channel
    return channels


def load_schema(name: str, schemas_dir: str | Path | None = None) -> dict[str, Any]:
    """Read a JSON Schema from the repository's ``schemas/`` folder (or ``schemas_dir``)."""
    folder = Path(schemas_dir) if schemas_dir else SCHEMAS_DIR
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents:
        raise ValueError(f"schema {name!r} is outside {folder}")
    return json.loads(path.read_text(encoding="utf-8"))
