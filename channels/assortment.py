"""Which products a channel carries.

Rules, in order: an excluded SKU (or one whose product model is excluded) is out; a product
sold exclusively in another channel is out; a product listed in include_skus or in this
channel's own exclusive_skus is in; otherwise it must match every filter the channel
declares (family, category root). A channel that declares no filter carries everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from channels.definition import ChannelDefinition
from pim.records import CatalogContext, ProductRecord


def in_assortment(
    product: ProductRecord,
    ancestors: Sequence[ProductRecord],
    channel: ChannelDefinition,
    context: CatalogContext,
    exclusive_elsewhere: set[str] | None = None,
) -> bool:
    """Whether ``channel`` carries ``product``. ``exclusive_elsewhere`` holds the SKUs other
    channels sell exclusively (see :func:`skus_exclusive_elsewhere`)."""
    skus = {product.sku, *(ancestor.sku for ancestor in ancestors)}
    rules = channel.assortment
    if skus & set(rules.exclude_skus):
        return False
    own_exclusive = skus & set(rules.exclusive_skus)
    if exclusive_elsewhere and (skus & exclusive_elsewhere) - own_exclusive:
        return False
    if own_exclusive or skus & set(rules.include_skus):
        return True
    if rules.families:
        family = next((r.family for r in (product, *ancestors) if r.family), None)
        if family not in rules.families:
            return False
    if rules.category_roots:
        roots = set(rules.category_roots)
        categories = {code for r in (product, *ancestors) for code in (r.categories or ())}
        if not any(context.category_root(code) in roots for code in categories):
            return False
    return True


def skus_exclusive_elsewhere(channel_code: str, channels: Iterable[ChannelDefinition]) -> set[str]:
    """SKUs that some channel other than ``channel_code`` sells exclusively."""
    skus: set[str] = set()
    for other in channels:
        if other.code != channel_code:
            skus.update(other.assortment.exclusive_skus)
    return skus
