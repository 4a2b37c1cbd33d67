"""A product model's completeness: its variants' rows summed up per channel and locale.

A model is never checked itself (channels carry products); what an editor of a model needs
is how its variants stand, and which attributes fail in how many of them, so that a value
the model owns and is missing shows once, not once per variant.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pim.catalog.models import Product, ProductModel
from pim.workflow.models import Completeness
from pim.workflow.standing import channel_labels


@dataclass(slots=True)
class ModelProblem:
    attribute: str | None
    field: str
    message: str  # one variant's message for it
    variants: int  # how many variants have it
    first_sku: str  # a variant that has it, to open
    missing: bool


@dataclass(slots=True)
class ModelCompleteness:
    channel: str
    label: str
    locale: str
    variants: int  # the variants the channel carries
    passed: int
    percent: int  # the variants' average, rounded down; below 100 while one fails
    problems: list[ModelProblem] = field(default_factory=list)


def variant_ids(session: Session, code: str) -> dict[int, str]:
    """The products below model ``code`` (directly, or under its sub-models): id -> SKU."""
    model_id = select(ProductModel.id).where(ProductModel.code == code).scalar_subquery()
    sub_models = select(ProductModel.id).where(ProductModel.parent_id == model_id)
    query = (select(Product.id, Product.sku)
             .where(or_(Product.parent_id == model_id, Product.parent_id.in_(sub_models))))
    return {id_: sku for id_, sku in session.execute(query)}


def model_completeness(session: Session, code: str) -> list[ModelCompleteness]:
    """Per channel and locale that carries some of the model's variants (code order): how
    many it carries and how many pass, their average percent, and each failing attribute
    with the number of variants it fails in (most first)."""
    skus = variant_ids(session, code)
    if not skus:
        return []
    rows = session.scalars(
        select(Completeness)
        .where(Completeness.product_id.in_(list(skus)), Completeness.in_assortment.is_(True))
        .order_by(Completeness.channel_code, Completeness.locale, Completeness.product_id))
    grouped: dict[tuple[str, str], list[Completeness]] = defaultdict(list)
    for row in rows:
        grouped[(row.channel_code, row.locale)].append(row)
    labels = channel_labels(session)
    return [_summary(channel, labels.get(channel, channel), locale, found, skus)
            for (channel, locale), found in grouped.items()]


def _summary(channel: str, label: str, locale: str, rows: list[Completeness],
             skus: dict[int, str]) -> ModelCompleteness:
    passed = sum(1 for row in rows if row.passed)
    average = sum(row.percent for row in rows) // len(rows)
    if passed < len(rows):
        average = min(average, 99)
    counts: Counter[tuple[str | None, str]] = Counter()
    first: dict[tuple[str | None, str], tuple[dict, str]] = {}
    for row in rows:
        for error in row.errors or ():
            key = (error.get("attribute"), error.get("field") or "")
            counts[key] += 1
            first.setdefault(key, (error, skus[row.product_id]))
    problems = [ModelProblem(attribute=key[0], field=key[1], message=first[key][0].get(
        "message", ""), variants=count, first_sku=first[key][1],
        missing=first[key][0].get("keyword") == "required")
        for key, count in counts.most_common()]
    return ModelCompleteness(channel, label, locale, len(rows), passed, average, problems)
