"""Listing products by catalog fields and by where they stand in a channel: their workflow
status, or their completeness there (a page of ``pim.catalog.listing`` narrowed further)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from pim.catalog import listing
from pim.catalog.listing import ProductFilters
from pim.catalog.models import Product
from pim.errors import Invalid, NotFound
from pim.workflow.models import WORKFLOW_STATUSES, Channel, Completeness, ProductChannelStatus
from pim.workflow.status import DRAFT


@dataclass(frozen=True, slots=True)
class ChannelFilters:
    channel: str | None = None  # what status and completeness refer to
    status: str | None = None  # one of WORKFLOW_STATUSES; "draft" takes products with no row
    completeness_below: int | None = None  # some locale of the channel below this percent
    completeness_above: int | None = None  # every locale of the channel at or above it
    locale: str | None = None  # narrows completeness to one locale


def list_products(session: Session, filters: ProductFilters, channel: ChannelFilters, *,
                  after: int | None, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """One page of products matching both sets of filters (see ``listing.list_products``)."""
    return listing.list_products(session, filters, after=after, limit=limit,
                                 conditions=channel_conditions(session, channel))


def channel_conditions(session: Session, f: ChannelFilters) -> list[ColumnElement[bool]]:
    wanted = (f.status, f.completeness_below, f.completeness_above)
    if any(v is not None for v in wanted) and not f.channel:
        raise Invalid("status and completeness filters need a channel",
                      errors=[{"field": "channel", "message": "required with these filters"}])
    if f.status is not None and f.status not in WORKFLOW_STATUSES:
        raise Invalid.not_one_of("status", f.status, WORKFLOW_STATUSES, "workflow status")
    if f.channel and session.get(Channel, f.channel) is None:
        raise NotFound(f"channel {f.channel!r} does not exist")
    conditions: list[ColumnElement[bool]] = []
    if f.status:
        status_row = select(ProductChannelStatus.product_id).where(
            ProductChannelStatus.product_id == Product.id,
            ProductChannelStatus.channel_code == f.channel)
        # Statuses are within the channel's assortment (the products it has completeness
        # rows for, as the search's status facet counts them); a carried product the
        # channel has no status row for is a draft there (as its workflow reads:
        # pim.workflow.transitions.workflow_status).
        conditions.append(exists(select(Completeness.product_id).where(
            Completeness.product_id == Product.id, Completeness.channel_code == f.channel,
            Completeness.in_assortment.is_(True))))
        in_status = exists(status_row.where(ProductChannelStatus.status == f.status))
        conditions.append(or_(in_status, ~exists(status_row)) if f.status == DRAFT
                          else in_status)
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
