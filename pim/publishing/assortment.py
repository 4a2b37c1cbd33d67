"""The products a publication of a channel's ready products considers, found in SQL.

``channels.assortment.in_assortment`` decides whether a channel carries a product; it
needs the product loaded (values, categories, ancestors), which is most of the cost of
publishing. ``candidate_id_batches`` asks the database first for the products that can be
in the channel's assortment, so only those are loaded and then decided by the one rule. The
condition is never narrower than the rule (it may be wider: exclusions and exclusivity
elsewhere are left to the rule):

- a family filter: the product's family, else its parent model's, else the grandparent's,
  is one of the channel's families (the rule's "first family up the chain");
- a category-root filter: the product, or one of its models, is in a category of one of
  the roots' trees (``Category.path`` starts with the root's);
- both filters must hold; a SKU the channel includes or sells exclusively (the product's,
  or a model's code) is a candidate whatever the filters say.

A channel without a family or category filter carries every product not excluded by SKU:
every product is then a candidate.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from channels.definition import Assortment
from pim.catalog.models import Category, Product, ProductCategory, ProductModel
from pim.workflow.loading import BATCH_SIZE

# Models named in one SQL list at most; beyond, every variant of any model is a candidate
# (a wider condition, still decided by the rule): SQL parameter lists stay bounded.
MAX_LISTED_MODELS = 5000

_PARENT = ProductModel.__table__.alias("parent_model")
_GRANDPARENT = ProductModel.__table__.alias("grandparent_model")


def candidate_id_batches(session: Session, assortment: Assortment,
                         batch_size: int = BATCH_SIZE) -> Iterator[list[int]]:
    """The ids of the products that may be in ``assortment``, in id order, in batches;
    each batch is one keyset-paginated query."""
    condition = candidate_condition(session, assortment)
    query = (select(Product.id)
             .outerjoin(_PARENT, _PARENT.c.id == Product.parent_id)
             .outerjoin(_GRANDPARENT, _GRANDPARENT.c.id == _PARENT.c.parent_id)
             .order_by(Product.id).limit(batch_size))
    if condition is not None:
        query = query.where(condition)
    last = 0
    while True:
        ids = list(session.scalars(query.where(Product.id > last)))
        if not ids:
            return
        yield ids
        last = ids[-1]


def candidate_condition(session: Session, assortment: Assortment
                        ) -> ColumnElement[bool] | None:
    """The condition on products (joined to their parent and grandparent models as
    ``candidate_id_batches`` joins them), or None when every product is a candidate."""
    families, roots = assortment.families, assortment.category_roots
    if not families and not roots:
        return None
    filters: list[ColumnElement[bool]] = []
    if families:
        family = func.coalesce(Product.family_code, _PARENT.c.family_code,
                               _GRANDPARENT.c.family_code)
        filters.append(family.in_(families))
    if roots:
        filters.append(_in_category_trees(session, roots))
    condition = and_(*filters)
    named = sorted({*assortment.include_skus, *assortment.exclusive_skus})
    if named:
        condition = or_(condition, Product.sku.in_(named), _PARENT.c.code.in_(named),
                        _GRANDPARENT.c.code.in_(named))
    return condition


def _in_category_trees(session: Session, roots: tuple[str, ...]) -> ColumnElement[bool]:
    """Products in a category of one of the trees of ``roots``, or whose model is."""
    paths = list(session.scalars(select(Category.path).where(Category.code.in_(roots))))
    if not paths:
        return false()
    in_trees = or_(*(Category.path.startswith(path, autoescape=True) for path in paths))
    tree_ids = select(Category.id).where(in_trees)
    own = exists().where(ProductCategory.product_id == Product.id,
                         ProductCategory.category_id.in_(tree_ids.scalar_subquery()))
    tree_codes = set(session.scalars(select(Category.code).where(in_trees)))
    models = _models_in(session, tree_codes)
    if models is None:  # too many to name: any variant is a candidate
        return or_(own, Product.parent_id.is_not(None))
    if not models:
        return own
    return or_(own, Product.parent_id.in_(models))


def _models_in(session: Session, codes: set[str]) -> list[int] | None:
    """The models (ids) in one of the categories ``codes``, themselves or through their
    parent model: a product of theirs is in it too. None when more than
    ``MAX_LISTED_MODELS``."""
    rows: Sequence[Any] = session.execute(select(
        ProductModel.id, ProductModel.parent_id, ProductModel.categories)).all()
    own = {row.id for row in rows if codes.intersection(row.categories or ())}
    found = sorted(own | {row.id for row in rows if row.parent_id in own})
    return found if len(found) <= MAX_LISTED_MODELS else None
