"""The channel conflict report over current catalog data: prices that differ between
channels beyond their tolerance, prices below the minimum advertised price, and exclusive
products that another channel carries too (see ``channels.conflicts`` for the rules)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.assortment import in_assortment
from channels.conflicts import ChannelListing, ConflictReport, find_conflicts, listing_from_variant
from channels.projection import project_variant
from pim.publishing.models import Snapshot
from pim.workflow.completeness import ProjectionSetup
from pim.workflow.loading import iter_product_id_batches, load_products


def channel_conflicts(session: Session, channels: list[str] | None = None) -> ConflictReport:
    """Conflicts among ``channels`` (default: all). Prices do not depend on the locale, so
    each product is projected once per channel, in the channel's first locale."""
    setup = ProjectionSetup.load(session, channels)
    runtimes = list(setup.runtimes.values())
    listings = []
    for ids in iter_product_id_batches(session):
        for product in load_products(session, ids, setup.models):
            for runtime in runtimes:
                channel = runtime.definition
                carried = in_assortment(product.record, product.ancestors, channel,
                                        setup.context, runtime.exclusive_elsewhere)
                if not carried:
                    continue
                variant = project_variant(product.record, product.ancestors, channel,
                                          setup.context, channel.locales[0])
                listings.append(listing_from_variant(variant))
    exclusive = {r.code: r.definition.assortment.exclusive_skus for r in runtimes
                 if r.definition.assortment.exclusive_skus}
    listings += _published_elsewhere(session, exclusive)
    tolerance = {r.code: r.definition.conflicts.price_tolerance_percent for r in runtimes}
    return find_conflicts(listings, exclusive_skus=exclusive, tolerance_percent=tolerance)


def _published_elsewhere(session: Session, exclusive: dict[str, tuple[str, ...]]
                         ) -> list[ChannelListing]:
    """The assortment already keeps an exclusive product out of other channels, so
    exclusivity is broken where another channel still publishes it (e.g. it was published
    there before it became exclusive)."""
    found = []
    for channel, skus in exclusive.items():
        rows = session.execute(select(Snapshot.channel_code, Snapshot.sku).where(
            Snapshot.sku.in_(list(skus)), Snapshot.channel_code != channel,
            Snapshot.is_current.is_(True), Snapshot.withdrawn.is_(False)).distinct())
        found += [ChannelListing(sku, code, "", None) for code, sku in rows]
    return found


def conflicts_out(report: ConflictReport) -> dict:
    return {
        "price_conflicts": [{"sku": c.sku, "currency": c.currency,
                             "lowest": {"channel": c.lowest[0], "price": str(c.lowest[1])},
                             "highest": {"channel": c.highest[0], "price": str(c.highest[1])},
                             "difference_percent": str(c.difference_percent),
                             "tolerance_percent": str(c.tolerance_percent),
                             "message": c.message} for c in report.price_conflicts],
        "map_violations": [{"sku": v.sku, "channel": v.channel, "currency": v.currency,
                            "price": str(v.price), "map_price": str(v.map_price),
                            "message": v.message} for v in report.map_violations],
        "exclusivity_conflicts": [{"sku": e.sku, "exclusive_to": e.exclusive_to,
                                   "also_in": list(e.also_in), "message": e.message}
                                  for e in report.exclusivity_conflicts],
    }
