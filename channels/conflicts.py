"""The channel conflict report: where the channels a product is sold in disagree.

Three kinds of conflict, each a plain dataclass with a ``message``:

* :class:`PriceConflict`: the advertised price differs between channels by more than the
  tolerance. Only channels with the same currency are compared: there is no exchange rate
  in a pure function, and converting silently would invent conflicts (or hide them). A
  product sold in GBP and EUR channels is compared within the GBP group and within the EUR
  group, never across them.
* :class:`MapViolation`: a channel advertises below the minimum advertised price.
* :class:`ExclusivityConflict`: a product one channel sells exclusively is also in another
  channel's assortment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pim.records import ChannelVariant

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class ChannelListing:
    """What one channel advertises for one product."""

    sku: str
    channel: str
    currency: str
    price: Decimal | None  # the advertised price: the sale price when there is one
    map_price: Decimal | None = None
    in_assortment: bool = True


@dataclass(frozen=True, slots=True)
class PriceConflict:
    sku: str
    currency: str
    lowest: tuple[str, Decimal]  # (channel, price)
    highest: tuple[str, Decimal]
    difference_percent: Decimal  # relative to the lowest price, 2 decimals
    tolerance_percent: Decimal
    message: str


@dataclass(frozen=True, slots=True)
class MapViolation:
    sku: str
    channel: str
    currency: str
    price: Decimal
    map_price: Decimal
    message: str


@dataclass(frozen=True, slots=True)
class ExclusivityConflict:
    sku: str
    exclusive_to: str
    also_in: tuple[str, ...]
    message: str


@dataclass(slots=True)
class ConflictReport:
    price_conflicts: list[PriceConflict] = field(default_factory=list)
    map_violations: list[MapViolation] = field(default_factory=list)
    exclusivity_conflicts: list[ExclusivityConflict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.price_conflicts or self.map_violations or self.exclusivity_conflicts)

    @property
    def messages(self) -> list[str]:
        found: list[ExclusivityConflict | MapViolation | PriceConflict] = [
            *self.exclusivity_conflicts, *self.map_violations, *self.price_conflicts]
        return [conflict.message for conflict in found]


def listing_from_variant(variant: ChannelVariant, *, in_assortment: bool = True) -> ChannelListing:
    """A listing from a projected variant: the advertised price is the sale price when it is
    set, else the price; amounts and currency as projected (no conversion)."""
    fields = variant.fields
    price, sale, floor = fields.get("price"), fields.get("sale_price"), fields.get("map_price")
    advertised = sale or price
    currency = (advertised or floor or {}).get("currency", "")
    return ChannelListing(
        sku=variant.sku,
        channel=variant.channel,
        currency=currency,
        price=_decimal(advertised),
        map_price=_decimal(floor),
        in_assortment=in_assortment,
    )


def find_conflicts(
    listings: Iterable[ChannelListing],
    *,
    exclusive_skus: Mapping[str, Iterable[str]] | None = None,
    tolerance_percent: Mapping[str, Decimal] | Decimal = Decimal(0),
) -> ConflictReport:
    """Conflicts among ``listings`` (any number of products and channels).

    ``exclusive_skus``: channel -> SKUs it sells exclusively. ``tolerance_percent``: one
    threshold, or one per channel (a pair of channels is held to the stricter of the two).
    """
    report = ConflictReport()
    in_range = [listing for listing in listings if listing.in_assortment]
    by_sku: dict[str, list[ChannelListing]] = defaultdict(list)
    for listing in in_range:
        by_sku[listing.sku].append(listing)

    for channel, skus in sorted((exclusive_skus or {}).items()):
        for sku in sorted(set(skus)):
            others = sorted({x.channel for x in by_sku.get(sku, ()) if x.channel != channel})
            if others:
                report.exclusivity_conflicts.append(
                    ExclusivityConflict(
                        sku,
                        channel,
                        tuple(others),
                        f"{sku} is exclusive to {channel} but is also in {', '.join(others)}",
                    )
                )

    for sku in sorted(by_sku):
        sold = sorted(by_sku[sku], key=lambda x: x.channel)
        for listing in sold:
            price, map_price = listing.price, listing.map_price
            if price is not None and map_price is not None and price < map_price:
                report.map_violations.append(
                    MapViolation(
                        sku,
                        listing.channel,
                        listing.currency,
                        price,
                        map_price,
                        f"{sku} in {listing.channel} is advertised at {listing.price} "
                        f"{listing.currency}, below its minimum advertised price "
                        f"{listing.map_price} {listing.currency}",
                    )
                )
        by_currency: dict[str, list[ChannelListing]] = defaultdict(list)
        for listing in sold:
            if listing.price is not None and listing.currency:
                by_currency[listing.currency].append(listing)
        for currency in sorted(by_currency):
            conflict = _price_spread(sku, currency, by_currency[currency], tolerance_percent)
            if conflict:
                report.price_conflicts.append(conflict)
    return report


def _price_spread(sku, currency, listings, tolerance) -> PriceConflict | None:
    if len(listings) < 2:
        return None
    low = min(listings, key=lambda x: (x.price, x.channel))
    high = max(listings, key=lambda x: (x.price, x.channel))
    if low.price <= 0 or high.price == low.price:
        return None
    difference = ((high.price - low.price) / low.price * _HUNDRED).quantize(Decimal("0.01"))
    if isinstance(tolerance, Mapping):
        allowed = min(
            Decimal(tolerance.get(low.channel, 0)), Decimal(tolerance.get(high.channel, 0))
        )
    else:
        allowed = Decimal(tolerance)
    if difference <= allowed:
        return None
    return PriceConflict(
        sku,
        currency,
        (low.channel, low.price),
        (high.channel, high.price),
        difference,
        allowed,
        f"{sku} costs {low.price} {currency} in {low.channel} but {high.price} {currency} in "
        f"{high.channel} ({difference}% apart, tolerance {allowed}%)",
    )


def _decimal(money) -> Decimal | None:
    if not isinstance(money, dict):
        return None
    try:
        value = Decimal(str(money.get("amount")))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None
