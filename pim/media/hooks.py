"""The media slice's reaction to catalog writes (connected in ``pim.wiring``): a product
that gains a media value whose renditions are missing gets them drawn after commit.

New uploads and imported files are drawn when stored (``pim.media.service``); this covers
a value pointing at an asset stored before the channels declared their specs, or whose
drawing was never recorded. Two indexed queries per written batch, none when the batch
wrote no media value or holds no stored asset's path.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.renditions import stored_asset
from pim.catalog.listeners import ProductsChanged
from pim.catalog.models import Attribute, Product
from pim.db import chunks
from pim.media.renditions import content_paths, render_missing

_IN_CHUNK = 900
_VALUES = Product.__table__.c["values"]


def draw_renditions_of_changed_products(session: Session, change: ProductsChanged) -> None:
    if change.context is not None:
        codes = sorted(code for code, spec in change.context.attributes.items()
                       if spec.type == "media")
    else:
        codes = sorted(session.scalars(select(Attribute.code).where(Attribute.type == "media")))
    if change.value_codes is not None:  # only a media value written can add an asset
        codes = [code for code in codes if code in change.value_codes]
    if not codes:
        return
    paths: set[str] = set()
    # Only the media attributes' part of each product's values is read.
    query = select(*(_VALUES[code] for code in codes))
    for chunk in chunks(sorted(set(change.product_ids)), _IN_CHUNK):
        for row in session.execute(query.where(Product.id.in_(chunk))):
            paths |= content_paths([dict(zip(codes, (entries or [] for entries in row),
                                             strict=True))])
    shas = [found[0] for found in map(stored_asset, paths) if found is not None]
    if shas:
        render_missing(session, shas)
