"""Every slice's models, imported once so the metadata is complete (Alembic, tests)."""

from pim.auth.models import ApiToken, User, WebSession
from pim.catalog.models import (
    Association,
    AssociationType,
    Attribute,
    AttributeGroup,
    AttributeOption,
    Category,
    Currency,
    Family,
    FamilyVariant,
    Locale,
    Product,
    ProductCategory,
    ProductModel,
    Stock,
    UnitFamily,
)
from pim.db import Base
from pim.erp.models import ErpConnector, ErpProductLink
from pim.history.models import HistoryEntry
from pim.jobs.models import Job
from pim.media.models import Asset, ChannelRendition, RenditionSpec, StoredRendition
from pim.publishing.models import FeedKey, FeedVersion, Release, ReleaseItem, Snapshot
from pim.search.models import SearchDocument, SearchTerm
from pim.webhooks.models import Attempt, Delivery, Message, Subscription
from pim.workflow.models import Channel, Completeness, CompletenessDirty, ProductChannelStatus

__all__ = [
    "ApiToken", "Asset", "Association", "AssociationType", "Attempt", "Attribute",
    "AttributeGroup", "AttributeOption", "Base", "Category", "Channel", "ChannelRendition",
    "Completeness",
    "CompletenessDirty", "Currency", "Delivery", "ErpConnector", "ErpProductLink", "Family",
    "FamilyVariant", "FeedKey", "FeedVersion", "HistoryEntry", "Job", "Locale", "Message",
    "Product", "ProductCategory", "ProductChannelStatus", "ProductModel", "Release",
    "ReleaseItem", "RenditionSpec", "SearchDocument", "SearchTerm", "Snapshot", "Stock",
    "StoredRendition", "Subscription", "UnitFamily", "User", "WebSession",
]
