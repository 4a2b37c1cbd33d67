"""The per-channel review workflow: draft -> in_review -> approved -> published.

Editors submit, reviewers approve or reject; publishing (``pim.publishing``) moves an
approved product to published. An edit after publication keeps the status and sets
``changed_since_published``; submitting the change for review starts the loop again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.assortment import in_assortment
from pim.auth.actor import REVIEW, WRITE_CONTENT, Actor, require_role
from pim.catalog.models import Product
from pim.catalog.structure import shared_context
from pim.errors import Conflict, ErrorItem, NotFound
from pim.workflow.loading import load_channel_runtimes, load_products
from pim.workflow.models import Channel, ProductChannelStatus
from pim.workflow.status import (
    APPROVED,
    DRAFT,
    IN_REVIEW,
    PUBLISHED,
    WITHDRAWN,
    set_statuses,
    statuses_of,
)


@dataclass(frozen=True)
class Transition:
    """``carried_only``: the move heads for publication, which a channel refuses for what it
    does not carry, so it is refused for such a product at once (it would otherwise sit in
    review where the channel's status counts and filters, kept within its assortment, never
    show it). Rejecting stays open to every product, so one stuck in review can leave it."""

    name: str
    to: str
    allowed_from: tuple[str, ...]
    roles: tuple[str, ...]
    doing: str  # how a refusal says it: "<doing> needs it to be a draft"
    carried_only: bool = False


SUBMIT = Transition("submit", IN_REVIEW, (DRAFT, PUBLISHED, WITHDRAWN), WRITE_CONTENT,
                    "submitting for review", carried_only=True)
APPROVE = Transition("approve", APPROVED, (IN_REVIEW,), REVIEW, "approving", carried_only=True)
REJECT = Transition("reject", DRAFT, (IN_REVIEW, APPROVED), REVIEW, "rejecting")


def submit_for_review(session: Session, channel: str, skus: list[str], *, actor: Actor
                      ) -> list[dict]:
    return _move(session, SUBMIT, channel, skus, actor)


def approve(session: Session, channel: str, skus: list[str], *, actor: Actor) -> list[dict]:
    return _move(session, APPROVE, channel, skus, actor)


def reject(session: Session, channel: str, skus: list[str], *, actor: Actor) -> list[dict]:
    return _move(session, REJECT, channel, skus, actor)


def workflow_status(session: Session, sku: str, *, product_id: int | None = None,
                    channels: list[str] | None = None) -> list[dict]:
    """One product's status in every channel (draft where it has no row yet). A caller
    that has read the product's id and every channel's code passes them (one statement
    then)."""
    if product_id is None:
        product_id = session.scalar(select(Product.id).where(Product.sku == sku))
        if product_id is None:
            raise NotFound(f"product {sku!r} does not exist")
    rows = {row.channel_code: row for row in session.scalars(
        select(ProductChannelStatus).where(ProductChannelStatus.product_id == product_id))}
    out = []
    codes = (sorted(channels) if channels is not None
             else session.scalars(select(Channel.code).order_by(Channel.code)))
    for code in codes:
        row = rows.get(code)
        out.append({"channel": code, "status": row.status if row else DRAFT,
                    "changed_since_published": bool(row and row.changed_since_published),
                    "published_version": row.published_version if row else None,
                    "updated_at": row.updated_at if row else None,
                    "updated_by": row.updated_by if row else None})
    return out


def _move(session: Session, transition: Transition, channel: str, skus: list[str],
          actor: Actor) -> list[dict]:
    """Apply ``transition`` to every SKU or to none: a batch with one product in the wrong
    state, or outside the channel's assortment for a move towards publication, raises
    Conflict naming each such product, so a reviewer never half-approves."""
    require_role(actor, *transition.roles)
    if session.get(Channel, channel) is None:
        raise NotFound(f"channel {channel!r} does not exist")
    wanted = list(dict.fromkeys(skus))
    ids = dict(session.execute(select(Product.sku, Product.id).where(Product.sku.in_(wanted)))
               .all())
    missing = [sku for sku in wanted if sku not in ids]
    if missing:
        raise NotFound(f"unknown products: {', '.join(missing)}")
    current = statuses_of(session, channel, ids.values())
    blocked: list[ErrorItem] = []
    if transition.carried_only:
        blocked += [{"field": None, "sku": sku,
                     "message": f"{sku} is not in {channel}'s assortment; {transition.doing} "
                                f"needs a product the channel carries"}
                    for sku in _not_carried(session, channel, ids)]
    refused = {item["sku"] for item in blocked}
    for sku in wanted:
        if sku in refused:
            continue
        row = current.get(ids[sku])
        status = row.status if row else DRAFT
        if status not in transition.allowed_from:
            blocked.append({"field": None, "sku": sku, "status": status,
                            "message": _wrong_status(sku, status, channel, transition)})
    if blocked:
        raise Conflict("; ".join(b["message"] for b in blocked), errors=blocked)
    set_statuses(session, channel, {ids[sku]: {"status": transition.to} for sku in wanted},
                 actor=actor.name)
    return [{"sku": sku, "channel": channel, "status": transition.to} for sku in wanted]


def _not_carried(session: Session, channel: str, ids: dict[str, int]) -> list[str]:
    """The SKUs (of ``ids``, in its order) that ``channel``'s assortment rule leaves out,
    judged on the products as they stand: the completeness rows that also say it are
    written after commit for big imports, so a product just imported may not have them."""
    runtime = load_channel_runtimes(session, [channel])[channel]
    context = shared_context(session)
    carried = {product.sku for product in load_products(session, list(ids.values()))
               if in_assortment(product.record, product.ancestors, runtime.definition,
                                context, runtime.exclusive_elsewhere)}
    return [sku for sku in ids if sku not in carried]


_STATUS_WORDS: dict[str, str] = {DRAFT: "a draft", IN_REVIEW: "in review"}


def _wrong_status(sku: str, status: str, channel: str, transition: Transition) -> str:
    """The refusal in words a product manager reads on the grid ("SP-1 is in review in
    webshop-uk; submitting for review needs it to be a draft, published or withdrawn");
    the error item's ``status`` keeps the code for programs."""
    allowed = [_STATUS_WORDS.get(code, code) for code in transition.allowed_from]
    wanted = allowed[0] if len(allowed) == 1 else f"{', '.join(allowed[:-1])} or {allowed[-1]}"
    return (f"{sku} is {_STATUS_WORDS.get(status, status)} in {channel}; {transition.doing} "
            f"needs it to be {wanted}")
