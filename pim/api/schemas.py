"""Request and response bodies of the API that the catalog's own schemas do not cover."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pim.catalog.schemas import ValueOut
from pim.db import INT_MAX


class ProductModelOut(BaseModel):
    code: str
    family: str | None
    family_variant: str | None
    parent: str | None
    categories: list[str]
    values: dict[str, list[ValueOut]]
    version: int
    created_at: datetime
    updated_at: datetime


class HistoryEntryOut(BaseModel):
    version: int
    changed_at: datetime
    changed_by: str | None
    source: str
    diff: list[dict[str, Any]]


class RestoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, le=INT_MAX)


class AttributeOut(BaseModel):
    code: str
    type: str
    localizable: bool
    scopable: bool
    owner: str
    unique: bool
    group: str | None
    unit_family: str | None
    default_unit: str | None
    validation: dict[str, Any]
    labels: dict[str, str]


class OptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    labels: dict[str, str] = {}
    sort_order: int = Field(0, ge=-INT_MAX, le=INT_MAX)


class OptionOut(BaseModel):
    attribute: str
    code: str
    labels: dict[str, str]


class FamilyOut(BaseModel):
    code: str
    attributes: list[str]
    labels: dict[str, str]
    label_attribute: str | None
    image_attribute: str | None
    requirements: dict[str, list[str]]


class FamilyVariantOut(BaseModel):
    code: str
    family: str
    axes: list[list[str]]
    level_attributes: list[list[str]]
    labels: dict[str, str]


class CategoryOut(BaseModel):
    code: str
    parent: str | None
    labels: dict[str, str]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=255, description="Stored in lower case.",
                       json_schema_extra={"pattern": "@"})
    role: Literal["admin", "editor", "reviewer", "viewer"]
    password: str | None = Field(None, min_length=10, max_length=1024)


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "editor", "reviewer", "viewer"]


class UserOut(BaseModel):
    id: int
    email: str
    role: str
    active: bool
    created_at: datetime


class UserCreated(UserOut):
    password: str | None = Field(None, description="The generated password, shown once.")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str = Field(description="The e-mail of the token's user.")
    role: Literal["admin", "editor", "reviewer", "viewer"]
    name: str = Field("", max_length=255)
    expires: str | None = Field(
        None, description="30d, 12h, 2w, 6m or an ISO date.",
        json_schema_extra={"anyOf": [{"type": "string", "pattern": r"^\s*\d+\s*[hdwm]\s*$"},
                                     {"type": "string", "format": "date"},
                                     {"type": "string", "format": "date-time"},
                                     {"type": "null"}]})


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    user: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The bearer token, shown this once.")


class MeOut(BaseModel):
    name: str
    role: str
    user_id: int | None


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: str
    search: str = Field("ok", description='"ok", or why the search backend does not answer '
                        "(search is then degraded; the hub still serves).")
