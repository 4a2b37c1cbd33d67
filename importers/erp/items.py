"""What a connector's ``pull`` yields: ERP products, stock levels, row errors, and one
``PullEnd`` last.

The hub (``pim.erp``) turns them into writes; nothing here knows the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pim.records import ProductRecord, RowError


@dataclass(slots=True)
class ErpProduct:
    """One product as the ERP has it now.

    ``record`` holds the SKU, the mapped values and, when stock is mapped, the quantity per
    stock source; ``record.enabled`` is False when the ERP has deactivated (or flagged
    deleted) the product, None otherwise (the hub decides for products it creates).
    ``key`` is the ERP's own id of the product, stable when its code changes.
    """

    key: str
    record: ProductRecord
    active: bool = True
    deleted: bool = False
    modified_at: datetime | None = None


@dataclass(slots=True)
class ErpStock:
    """The quantities of a product whose stock moved but whose data did not change."""

    key: str
    sku: str
    stock: dict[str, Decimal]


@dataclass(slots=True)
class PullEnd:
    """The last item of every pull.

    ``watermark`` (aware UTC) is what the next incremental pull passes as ``since``; the hub
    stores it only once everything before it is committed. ``present_keys`` are the keys of
    every product the ERP still has (deactivated ones too), or None when this pull cannot
    tell (an incremental REST pull): the hub disables products whose key is gone.
    """

    watermark: datetime | None
    present_keys: frozenset[str] | None
    read: int = 0
    notes: list[str] = field(default_factory=list)


ErpItem = ErpProduct | ErpStock | RowError | PullEnd
