"""Where a page of products stands in each channel: completeness per locale, errors and
workflow status, read for a few dozen products at once (the product grid's rows). Two
statements whatever the page size; nothing is computed here, only read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pim.workflow.models import Channel, Completeness, ProductChannelStatus
from pim.workflow.status import DRAFT


@dataclass(slots=True)
class ChannelStanding:
    """One product in one channel that carries it."""

    channel: str
    locales: dict[str, int] = field(default_factory=dict)  # locale -> percent
    failing: list[str] = field(default_factory=list)  # locales with validation errors
    status: str = DRAFT
    changed_since_published: bool = False

    @property
    def percent(self) -> int:
        """The lowest locale's percent: the product is as ready as its weakest locale."""
        return min(self.locales.values()) if self.locales else 0


def channel_labels(session: Session) -> dict[str, str]:
    """Every channel's code and label, in code order."""
    return {code: label or code for code, label in session.execute(
        select(Channel.code, Channel.label).order_by(Channel.code))}


def channel_standing(session: Session, product_ids: Sequence[int], *,
                     locale: str | None = None) -> dict[int, dict[str, ChannelStanding]]:
    """product id -> channel -> its standing, for the channels whose assortment holds the
    product (``locale``: that locale's completeness only)."""
    if not product_ids:
        return {}
    ids = list(product_ids)
    length = (func.jsonb_array_length if session.get_bind().dialect.name == "postgresql"
              else func.json_array_length)
    query = (select(Completeness.product_id, Completeness.channel_code, Completeness.locale,
                    Completeness.percent, length(Completeness.errors))
             .where(Completeness.product_id.in_(ids), Completeness.in_assortment.is_(True)))
    if locale:
        query = query.where(Completeness.locale == locale)
    standing: dict[int, dict[str, ChannelStanding]] = {i: {} for i in ids}
    for product_id, channel, row_locale, percent, errors in session.execute(query):
        entry = standing[product_id].setdefault(channel, ChannelStanding(channel))
        entry.locales[row_locale] = percent
        if errors:
            entry.failing.append(row_locale)
    for product_id, channel, status, changed in session.execute(
            select(ProductChannelStatus.product_id, ProductChannelStatus.channel_code,
                   ProductChannelStatus.status, ProductChannelStatus.changed_since_published)
            .where(ProductChannelStatus.product_id.in_(ids))):
        carried = standing[product_id].get(channel)
        if carried is not None:
            carried.status, carried.changed_since_published = status, bool(changed)
    for channels in standing.values():
        for entry in channels.values():
            entry.locales = dict(sorted(entry.locales.items()))
            entry.failing.sort()
    return standing
