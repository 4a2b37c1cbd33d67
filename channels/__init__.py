"""Channel definitions, the projection of a product into a channel, and its validation.

Pure: plain data in, plain data out; imports nothing from the hub but ``pim.records``.
"""

from channels.assortment import in_assortment, skus_exclusive_elsewhere
from channels.conflicts import (
    ChannelListing,
    ConflictReport,
    ExclusivityConflict,
    MapViolation,
    PriceConflict,
    find_conflicts,
    listing_from_variant,
)
from channels.definition import ChannelDefinition, load_channel, load_presets, load_schema
from channels.projection import canonical_json, content_hash, project_product, project_variant
from channels.validation import (
    FieldError,
    SchemaValidator,
    VariantCheck,
    build_validator,
    check_variant,
)

__all__ = [
    "ChannelDefinition",
    "ChannelListing",
    "ConflictReport",
    "ExclusivityConflict",
    "FieldError",
    "MapViolation",
    "PriceConflict",
    "SchemaValidator",
    "VariantCheck",
    "build_validator",
    "canonical_json",
    "check_variant",
    "content_hash",
    "find_conflicts",
    "in_assortment",
    "listing_from_variant",
    "load_channel",
    "load_presets",
    "load_schema",
    "project_product",
    "project_variant",
    "skus_exclusive_elsewhere",
]
