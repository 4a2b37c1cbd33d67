"""Project a loaded product into a channel and check every locale against its schema.

The one place that decides what a product looks like in a channel and whether it passes:
completeness rows, publishing and the conflict report all go through ``check_product``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from channels.assortment import in_assortment
from channels.projection import project_variant
from channels.validation import VariantCheck, check_variant
from pim.records import CatalogContext, ChannelVariant
from pim.workflow.loading import ChannelRuntime, LoadedProduct

# Akeneo-style family requirements name the identifier attribute (`sku`); the hub keeps the
# SKU outside the values, and every product has one, so it is always present.
ALWAYS_PRESENT_REQUIREMENTS = frozenset({"sku"})


@dataclass(slots=True)
class ChannelCheck:
    """One product in one channel: whether the channel carries it and, if so, each locale's
    projected variant and its check."""

    channel: str
    sku: str
    in_assortment: bool
    variants: list[tuple[ChannelVariant, VariantCheck]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.in_assortment and all(check.passed for _, check in self.variants)

    def errors(self) -> list[dict]:
        """Every failing locale's errors, each with its locale, for reports."""
        return [{**error.as_dict(), "locale": error.locale or variant.locale,
                 "variant_locale": variant.locale}
                for variant, check in self.variants for error in check.errors]


def family_requirements(product: LoadedProduct, channel: str,
                        context: CatalogContext) -> tuple[str, ...]:
    family = context.families.get(product.family or "")
    if family is None:
        return ()
    return tuple(code for code in family.requirements.get(channel, ())
                 if code not in ALWAYS_PRESENT_REQUIREMENTS)


def check_product(product: LoadedProduct, runtime: ChannelRuntime, context: CatalogContext,
                  locales: tuple[str, ...] | None = None) -> ChannelCheck:
    channel = runtime.definition
    carried = in_assortment(product.record, product.ancestors, channel, context,
                            runtime.exclusive_elsewhere)
    result = ChannelCheck(channel.code, product.sku, carried)
    if not carried:
        return result
    requirements = family_requirements(product, channel.code, context)
    for locale in locales or channel.locales:
        variant = project_variant(product.record, product.ancestors, channel, context, locale,
                                  updated_at=product.updated_at, media=product.media)
        check = check_variant(variant, channel, runtime.validator,
                              family_requirements=requirements, context=context)
        result.variants.append((variant, check))
    return result
