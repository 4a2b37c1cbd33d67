"""Which products a channel carries.

Rules, in order: an excluded SKU (or one whose product model is excluded) is out; a product
sold exclusively in another channel is out; a product listed in include_skus or in this
channel's own exclusive_skus is in; otherwise it must match every filter the channel
declares (family, category root). A channel that declares no filter carries everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from channels.definition import Assortment, ChannelDefinition
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
    rules = channel.assortment
    excluded, exclusive, included, families, roots = _rule_sets(rules)
    if not (excluded or exclusive or exclusive_elsewhere or included):
        skus: set[str] = set()  # no SKU rule to match (the usual channel)
    else:
        skus = {product.sku, *(ancestor.sku for ancestor in ancestors)}
    if skus & excluded:
        return False
    own_exclusive = skus & exclusive
    if exclusive_elsewhere and (skus & exclusive_elsewhere) - own_exclusive:
        return False
    if own_exclusive or skus & included:
        return True
    if families:
        family = next((r.family for r in (product, *ancestors) if r.family), None)
        if family not in families:
            return False
    if roots:
        categories = {code for r in (product, *ancestors) for code in (r.categories or ())}
        if not any(context.category_root(code) in roots for code in categories):
            return False
    return True


_RULE_SETS: dict[int, tuple[Assortment, tuple[frozenset[str], ...]]] = {}


def _rule_sets(rules: Assortment) -> tuple[frozenset[str], ...]:
    """The rules' lists as sets, built once per (frozen) rules object rather than per
    product and channel."""
    cached = _RULE_SETS.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    sets = tuple(frozenset(codes) for codes in (
        rules.exclude_skus, rules.exclusive_skus, rules.include_skus, rules.families,
        rules.category_roots))
    if len(_RULE_SETS) > 256:  # channels re-read per job must not pile up
        _RULE_SETS.clear()
    _RULE_SETS[id(rules)] = (rules, sets)
    return sets


def skus_exclusive_elsewhere(channel_code: str, channels: Iterable[ChannelDefinition]) -> set[str]:
    """SKUs that some channel other than ``channel_code`` sells exclusively."""
    skus: set[str] = set()
    for other in channels:
        if other.code != channel_code:
            skus.update(other.assortment.exclusive_skus)
    return skus
