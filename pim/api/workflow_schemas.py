"""Request and response bodies of the workflow routes: completeness, review transitions,
releases and publishing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from pim.publishing.models import ReleaseStatus
from pim.workflow.models import WorkflowStatus

MAX_SKUS = 1000  # SKUs one request may name; a whole channel is published with ready=true
# A SKU in a list: checked by _check_skus (one message for the list); documented here.
Sku = Annotated[str, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 255,
                                     "pattern": r"\S"})]


def _aware_utc(value: datetime | None) -> datetime | None:
    """A time with its zone, in UTC; naive times are refused (which zone was meant?)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("needs a time zone (e.g. 2025-06-01T09:00:00Z)")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


# -- completeness -----------------------------------------------------------------------------

class CheckErrorOut(BaseModel):
    """One validation error, pointing at what a person must fix: the output field (a JSON
    pointer into the channel variant) and the attribute, locale and scope to edit (null
    where the field is not an attribute's, e.g. availability comes from stock)."""

    model_config = ConfigDict(extra="allow")
    field: str | None = None
    attribute: str | None = None
    locale: str | None = None
    scope: str | None = None
    keyword: str | None = None
    message: str


class LocaleCompletenessOut(BaseModel):
    locale: str
    percent: int = Field(description="Share of the required fields present, 0-100.")
    required: int
    present: int
    missing: list[str] = Field(description="Required output fields not present.")
    passed: bool = Field(description="Whether the variant passes the channel schema.")
    errors: list[CheckErrorOut]


class ChannelCompletenessOut(BaseModel):
    channel: str
    in_assortment: bool = Field(description="False: the channel does not carry the product "
                                            "(no locales are checked).")
    passed: bool
    locales: list[LocaleCompletenessOut]


class ProductCompletenessOut(BaseModel):
    """Computed from the product as it is now (not from the stored rows, which a batched
    refresh may not have caught up with yet)."""

    sku: str
    channels: list[ChannelCompletenessOut]


class CompletenessSummaryRow(BaseModel):
    channel: str
    locale: str
    products: int
    complete: int
    average_percent: float
    failing: int


class CompletenessSummaryOut(BaseModel):
    rows: list[CompletenessSummaryRow]
    pending_refresh: int = Field(description="Products waiting for the batched refresh; "
                                             "their rows above may be out of date.")
    stale_channels: list[str] = Field(description="Channels whose rows predate a change of "
                                                  "their definition or schema.")


# -- review workflow --------------------------------------------------------------------------

class ChannelStatusOut(BaseModel):
    channel: str
    status: WorkflowStatus
    changed_since_published: bool
    published_version: int | None
    updated_at: datetime | None
    updated_by: str | None


class ProductWorkflowOut(BaseModel):
    sku: str
    channels: list[ChannelStatusOut]


class SkusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skus: list[Sku] = Field(min_length=1, max_length=MAX_SKUS)

    @field_validator("skus")
    @classmethod
    def _skus_are_codes(cls, skus: list[str]) -> list[str]:
        return _check_skus(skus)


class TransitionResult(BaseModel):
    sku: str
    channel: str
    status: WorkflowStatus


class TransitionOut(BaseModel):
    """Every product moved (a batch moves all its products or none: see the 409)."""

    channel: str
    transition: Literal["submit", "approve", "reject"]
    results: list[TransitionResult]


# -- releases ---------------------------------------------------------------------------------

class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=255)
    description: str = Field("", max_length=10_000)
    publish_at: datetime | None = Field(
        None, description="When approval should publish it (with a time zone); absent: "
                          "published on demand (POST .../publish).")

    @field_validator("publish_at")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        return _aware_utc(value)


class ReleaseItemsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(min_length=1, max_length=100)
    skus: list[Sku] = Field(min_length=1, max_length=MAX_SKUS)

    @field_validator("skus")
    @classmethod
    def _skus_are_codes(cls, skus: list[str]) -> list[str]:
        return _check_skus(skus)


class ReleaseRejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=2000)


class ReleaseItemOut(BaseModel):
    sku: str
    channel: str
    outcome: Literal["published", "unchanged", "refused"] | None = Field(
        description="Set when the release was published.")
    message: str = Field(description="The versions published, or why it was refused.")


class ReleaseOut(BaseModel):
    id: int
    name: str
    description: str
    status: ReleaseStatus
    publish_at: datetime | None
    created_by: str | None
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    published_at: datetime | None
    report: dict[str, Any] = Field(
        description="After publication: published and unchanged counts and every refused "
                    "item with its reason and errors; after a rejection: who and why.")
    items: list[ReleaseItemOut]


# -- publishing -------------------------------------------------------------------------------

class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skus: list[Sku] | None = Field(
        None, max_length=MAX_SKUS,
        description="The products to publish: approved (or published) ones, or, with ready, "
                    "any that pass. Absent with ready: every product the channel carries.")
    ready: bool = Field(False, description="Publish what passes the channel schema without "
                                           "review.")

    @field_validator("skus")
    @classmethod
    def _skus_are_codes(cls, skus: list[str] | None) -> list[str] | None:
        return None if skus is None else _check_skus(skus)


class WithdrawIn(SkusIn):
    pass


class SnapshotOut(BaseModel):
    sku: str
    locale: str
    version: int


class RefusalOut(BaseModel):
    sku: str
    reason: str
    errors: list[CheckErrorOut] = Field(description="The schema errors, each with the "
                                                    "variant_locale it was found in.")


class PublishReportOut(BaseModel):
    channel: str
    summary: str
    published: list[SnapshotOut] = Field(description="Snapshots written, per locale.")
    unchanged: list[str] = Field(description="SKUs whose every locale was already current.")
    refused: list[RefusalOut] = Field(description="Each refused product; publishing the ready "
                                      "products lists the first 100 only.")
    withdrawn: list[SnapshotOut]
    refused_total: int = Field(0, description="How many products were refused in all.")
    refused_by_reason: dict[str, int] = Field(
        default_factory=dict, description="Refused products counted by reason.")


def _check_skus(skus: list[str]) -> list[str]:
    for sku in skus:
        if not sku.strip() or len(sku) > 255:
            raise ValueError("each SKU is 1 to 255 characters, not blank")
    return skus
