"""Where each channel stands, in counts: what the dashboard shows and links to the grid."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pim.workflow.models import Channel, Completeness, ProductChannelStatus


def channel_counts(session: Session) -> list[dict]:
    """Per channel (code order): its label, the products it carries (in its assortment), how
    many of them fail its checks in some locale, how many changed since they were
    published there, and how many are in review."""
    carried = (select(Completeness.channel_code.label("channel"),
                      func.count(func.distinct(Completeness.product_id)).label("products"),
                      func.count(func.distinct(case((Completeness.passed.is_(False),
                                                     Completeness.product_id))))
                      .label("with_errors"))
               .where(Completeness.in_assortment.is_(True))
               .group_by(Completeness.channel_code).subquery())
    statuses = (select(ProductChannelStatus.channel_code.label("channel"),
                       func.sum(case((ProductChannelStatus.changed_since_published.is_(True), 1),
                                     else_=0)).label("changed"),
                       func.sum(case((ProductChannelStatus.status == "in_review", 1), else_=0))
                       .label("in_review"))
                .group_by(ProductChannelStatus.channel_code).subquery())
    rows = session.execute(
        select(Channel.code, Channel.label, Channel.kind, carried.c.products,
               carried.c.with_errors, statuses.c.changed, statuses.c.in_review)
        .outerjoin(carried, carried.c.channel == Channel.code)
        .outerjoin(statuses, statuses.c.channel == Channel.code)
        .order_by(Channel.code))
    return [{"channel": code, "label": label or code, "kind": kind,
             "products": int(products or 0), "with_errors": int(errors or 0),
             "changed_since_published": int(changed or 0), "in_review": int(review or 0)}
            for code, label, kind, products, errors, changed, review in rows]
