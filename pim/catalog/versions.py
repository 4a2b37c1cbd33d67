"""A product's versions: its history read back, and any version restored as a new one; a
product model's history read back (a model has no restore yet)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.catalog.models import Association, Product, ProductModel
from pim.catalog.products import WritePolicy, WriteResult, write_products
from pim.catalog.refusals import refused_errors
from pim.errors import Invalid, NotFound, StaleVersion
from pim.history.models import HistoryEntry
from pim.history.service import get_entry, list_entries, recent_entries
from pim.records import AssociationLink, ProductRecord


@dataclass(frozen=True, slots=True)
class VersionCondition:
    """A conditional write: it applies only while the product's version is one of
    ``versions`` (what an If-Match header names; empty when it names no version the hub
    issued, so the write is refused). ``note`` says why some of what was named can never
    match, for the refusal."""

    versions: frozenset[int]
    note: str = ""

    def check(self, sku: str, current: int) -> None:
        if current not in self.versions:
            raise StaleVersion(sku, self.versions, current, note=self.note)


def product_history(session: Session, sku: str) -> list[HistoryEntry]:
    """Every version of the product, oldest first; NotFound when there is no such product."""
    entries = list_entries(session, sku)
    if not entries and session.scalar(select(Product.id).where(Product.sku == sku)) is None:
        raise NotFound(f"product {sku!r} does not exist")
    return entries


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """Some versions of a product (or product model), newest first, and where it stands
    now."""

    sku: str
    current_version: int
    entries: list[HistoryEntry]
    older_than: int | None  # the version to continue before, None on the last page


def product_history_page(session: Session, sku: str, *, before: int | None = None,
                         limit: int = 50) -> HistoryPage:
    """One page of the product's versions, newest first (``before``: older than this
    version); NotFound when there is no such product."""
    current = session.scalar(select(Product.version).where(Product.sku == sku))
    if current is None:
        raise NotFound(f"product {sku!r} does not exist")
    return _history_page(session, sku, current, "product", before, limit)


def model_history_page(session: Session, code: str, *, before: int | None = None,
                       limit: int = 50) -> HistoryPage:
    """One page of the product model's versions, as ``product_history_page``; NotFound when
    there is no such model."""
    current = session.scalar(select(ProductModel.version).where(ProductModel.code == code))
    if current is None:
        raise NotFound(f"product model {code!r} does not exist")
    return _history_page(session, code, current, "product_model", before, limit)


def _history_page(session: Session, code: str, current: int, entity: str, before: int | None,
                  limit: int) -> HistoryPage:
    entries = recent_entries(session, code, before=before, limit=limit + 1, entity=entity)
    more = len(entries) > limit
    entries = entries[:limit]
    return HistoryPage(code, current, entries, entries[-1].version if more else None)


def restore_product(
    session: Session, sku: str, version: int, *, actor: str | None, source: str,
    condition: VersionCondition | None = None,
) -> WriteResult:
    """Make version ``version`` the current state again, as a new version (only while the
    product's version meets ``condition``, when one is given)."""
    entry = get_entry(session, sku, version)
    if entry is None:
        raise NotFound(f"product {sku!r} has no version {version}")
    state = entry.state
    # Locked (PostgreSQL) until the transaction ends: the condition checks the version the
    # restore replaces.
    product = session.scalar(select(Product).where(Product.sku == sku).with_for_update())
    if product is None:
        raise NotFound(f"product {sku!r} does not exist")
    record = ProductRecord(
        sku=sku,
        family=state.get("family"),
        parent=state.get("parent") or "",
        categories=list(state.get("categories") or []),
        enabled=state.get("enabled", True),
        values=state.get("values") or {},
    )
    record.associations = {**{t: [] for t in _association_types(session, product)},
                           **{t: [AssociationLink(link["sku"], link.get("quantity"))
                                  for link in links]
                              for t, links in (state.get("associations") or {}).items()}}
    if condition is not None:
        condition.check(sku, product.version)
    expected = product.version
    [result] = write_products(
        session, [record], actor=actor, source=f"{source} (restore of v{version})",
        policy=WritePolicy("system"), expected_versions={sku: expected}, replace_values=True,
    )
    if result.status == "refused":
        if any(e.get("field") == "version" for e in result.errors):
            raise StaleVersion(sku, expected, result.version or 0)
        raise Invalid(f"version {version} of {sku} cannot be restored",
                      errors=refused_errors(result.errors, {}))
    return result


def _association_types(session: Session, product: Product) -> set[str]:
    return set(session.scalars(
        select(Association.type_code).where(Association.product_id == product.id)))
