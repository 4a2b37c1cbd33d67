"""Catalog tables: structure (locales, currencies, units, attributes, families, categories,
association types) and content (product models, products, their categories, associations
and stock)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pim.db import Base, utcnow
from pim.records import AttributeType, Owner


class Locale(Base):
    __tablename__ = "locales"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Currency(Base):
    __tablename__ = "currencies"
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class UnitFamily(Base):
    __tablename__ = "unit_families"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    standard_unit: Mapped[str] = mapped_column(String(64))
    # unit code -> {"factor": "0.001", "symbol": "g"}; factor converts to the standard unit
    units: Mapped[dict] = mapped_column(default=dict)
    labels: Mapped[dict] = mapped_column(default=dict)


class AttributeGroup(Base):
    __tablename__ = "attribute_groups"
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    labels: Mapped[dict] = mapped_column(default=dict)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Attribute(Base):
    __tablename__ = "attributes"
    __table_args__ = (CheckConstraint("owner IN ('erp', 'pim')", name="owner"),)

    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[AttributeType] = mapped_column(String(20))
    localizable: Mapped[bool] = mapped_column(Boolean, default=False)
    scopable: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[Owner] = mapped_column(String(8), default="pim")
    unique: Mapped[bool] = mapped_column(Boolean, default=False)
    group_code: Mapped[str | None] = mapped_column(
        ForeignKey("attribute_groups.code", ondelete="SET NULL"), index=True
    )
    unit_family: Mapped[str | None] = mapped_column(ForeignKey("unit_families.code"))
    default_unit: Mapped[str | None] = mapped_column(String(64))
    validation: Mapped[dict] = mapped_column(default=dict)
    labels: Mapped[dict] = mapped_column(default=dict)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    options: Mapped[list[AttributeOption]] = relationship(
        back_populates="attribute", cascade="all, delete-orphan", order_by="AttributeOption.sort_order"
    )


class AttributeOption(Base):
    __tablename__ = "attribute_options"
    __table_args__ = (UniqueConstraint("attribute_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attribute_code: Mapped[str] = mapped_column(
        ForeignKey("attributes.code", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(100))
    labels: Mapped[dict] = mapped_column(default=dict)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    attribute: Mapped[Attribute] = relationship(back_populates="options")


class Family(Base):
    __tablename__ = "families"
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    labels: Mapped[dict] = mapped_column(default=dict)
    # Ordered attribute codes; kept as a list because a family is read whole.
    attributes: Mapped[list] = mapped_column(default=list)
    label_attribute: Mapped[str | None] = mapped_column(String(100))
    image_attribute: Mapped[str | None] = mapped_column(String(100))
    # channel code -> attribute codes a product of this family needs in that channel
    requirements: Mapped[dict] = mapped_column(default=dict)


class FamilyVariant(Base):
    __tablename__ = "family_variants"
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    family_code: Mapped[str] = mapped_column(
        ForeignKey("families.code", ondelete="CASCADE"), index=True
    )
    labels: Mapped[dict] = mapped_column(default=dict)
    axes: Mapped[list] = mapped_column(default=list)  # [[level-1 axes], [level-2 axes]]
    level_attributes: Mapped[list] = mapped_column(default=list)


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    # Materialised path of ids, "/1/7/12/", so "category with descendants" is one LIKE.
    path: Mapped[str] = mapped_column(String(1000), index=True, default="/")
    labels: Mapped[dict] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)


class AssociationType(Base):
    __tablename__ = "association_types"
    code: Mapped[str] = mapped_column(String(100), primary_key=True)
    labels: Mapped[dict] = mapped_column(default=dict)
    quantified: Mapped[bool] = mapped_column(Boolean, default=False)
    two_way: Mapped[bool] = mapped_column(Boolean, default=False)


class ProductModel(Base):
    """A product model: the shared values of its variants (one or two levels)."""

    __tablename__ = "product_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(255), unique=True)
    family_variant_code: Mapped[str | None] = mapped_column(
        ForeignKey("family_variants.code"), index=True
    )
    family_code: Mapped[str | None] = mapped_column(ForeignKey("families.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_models.id", ondelete="RESTRICT"), index=True
    )
    categories: Mapped[list] = mapped_column(default=list)
    values: Mapped[dict] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    parent: Mapped[ProductModel | None] = relationship(remote_side=[id])


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(255), unique=True)
    # Looked up through ix_products_family_updated (family_code first): a second index on
    # the same column cost every insert for nothing.
    family_code: Mapped[str | None] = mapped_column(ForeignKey("families.code"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_models.id", ondelete="RESTRICT"), index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    values: Mapped[dict] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_by: Mapped[str | None] = mapped_column(String(255))
    # Dirty flags, set in the writing transaction and cleared by batched jobs.
    search_dirty: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    parent: Mapped[ProductModel | None] = relationship()
    category_links: Mapped[list[ProductCategory]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class ProductCategory(Base):
    __tablename__ = "product_categories"
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Association(Base):
    """A link from a product to another product or product model (by SKU/code, so imports
    may name targets that arrive later in the same file)."""

    __tablename__ = "associations"
    __table_args__ = (UniqueConstraint("product_id", "type_code", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    type_code: Mapped[str] = mapped_column(ForeignKey("association_types.code"))
    target: Mapped[str] = mapped_column(String(255), index=True)
    quantity: Mapped[int | None] = mapped_column(Integer)


class Stock(Base):
    """Quantity of one product at one stock source (written by ERP pulls and imports)."""

    __tablename__ = "stock"
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_products_family_updated", Product.family_code, Product.updated_at)
