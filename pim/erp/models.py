"""ERP connector state: one row per connector (its watermark and last pull), and the link
from each ERP product (by the ERP's own key) to the hub's SKU it became."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pim.db import Base, utcnow


class ErpConnector(Base):
    """A connector the hub has pulled from (registered by its first pull).

    ``watermark`` is what the next incremental pull asks the ERP for changes since; it moves
    only in the transaction that records a pull as succeeded. ``last_pull`` is the summary
    of the latest pull, whatever its outcome (counts, refusals with their reasons, notes).
    ``file`` is the connector file scheduled pulls read again (credentials stay in it or in
    the environment, never in the database)."""

    __tablename__ = "erp_connectors"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2000))
    file: Mapped[str | None] = mapped_column(String(2000))
    schedule_seconds: Mapped[int | None] = mapped_column(Integer)
    watermark: Mapped[datetime | None]
    last_pull_at: Mapped[datetime | None]  # when the latest pull finished
    last_pull_status: Mapped[str | None] = mapped_column(String(16))  # succeeded, failed
    last_pull_job: Mapped[str | None] = mapped_column(String(32))
    last_pull: Mapped[dict] = mapped_column(default=dict)
    last_success_at: Mapped[datetime | None]
    running_job: Mapped[str | None] = mapped_column(String(32))  # the pull under way
    error: Mapped[str | None] = mapped_column(Text)  # why the latest pull failed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ErpProductLink(Base):
    """An ERP product the connector has written: which SKU it is in the hub, and whether
    the hub product was disabled by the ERP (deactivated or deleted there), so that a
    reactivation there enables it again here (a product a person disabled stays so)."""

    __tablename__ = "erp_product_links"
    connector: Mapped[str] = mapped_column(
        ForeignKey("erp_connectors.name", ondelete="CASCADE"), primary_key=True)
    erp_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    sku: Mapped[str] = mapped_column(String(255), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # active in the ERP
    disabled_by_erp: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None]  # gone from the ERP
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
