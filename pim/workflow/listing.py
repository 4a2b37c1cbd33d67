"""Listing products by catalog fields and by where they stand in a channel: their workflow
status, or their completeness there (a page of ``pim.catalog.listing`` narrowed further)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from pim.catalog import listing
from pim.catalog.listing import ProductFilters
from pim.catalog.models import Product
from pim.errors import Invalid
from pim.workflow.models import Completeness, ProductChannelStatus


@dataclass(frozen=True, slots=True)
class ChannelFilters:
    channel: str | None = None  # what status and completeness refer to
    status: str | None = None
    completeness_below: int | None = None  # some locale of the channel below this percent
    completeness_above: int | None = None  # every locale of the channel at or above it
    locale: str | None = None  # narrows completeness to one locale


def list_products(session: Session, filters: ProductFilters, channel: ChannelFilters, *,
                  after: int | None, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """One page of products matching both sets of filters (see ``listing.list_products``)."""
    return listing.list_products(session, filters, after=after, limit=limit,
                                 conditions=channel_conditions(channel))


def channel_conditions(f: ChannelFilters) -> list[ColumnElement[bool]]:
    wanted = (f.status, f.completeness_below, f.completeness_above)
    if any(v is not None for v in wanted) and not f.channel:
        raise Invalid("status and completeness filters need a channel",
                      errors=[{"field": "channel", "message": "required with these filters"}])
    conditions: list[ColumnElement[bool]] = []
    if f.status:
        conditions.append(exists(select(ProductChannelStatus.product_id).where(
            ProductChannelStatus.product_id == Product.id,
            ProductChannelStatus.channel_code == f.channel,
            ProductChannelStatus.status == f.status)))
    scope = [Completeness.product_id == Product.id, Completeness.channel_code == f.channel]
    if f.locale:
        scope.append(Completeness.locale == f.locale)
    if f.completeness_below is not None:
        conditions.append(exists(select(Completeness.product_id).where(
            *scope, Completeness.percent < f.completeness_below)))
    if f.completeness_above is not None:
        conditions.append(exists(select(Completeness.product_id).where(*scope)))
        conditions.append(~exists(select(Completeness.product_id).where(
            *scope, Completeness.percent < f.completeness_above)))
    return conditions
