"""The connector file: which ERP to pull from, how to sign in, and where its fields go.

A connector file is YAML. The smallest Tryton file::

    connector: tryton
    url: http://erp.internal:8000
    database: production
    username: pim
    password_env: TRYTON_PASSWORD      # or password: ... (kept out of logs and errors)
    family: spare_parts                # the family of products the ERP creates in the hub

Every key, with its default (see ``importers/erp/examples/`` for complete files)::

    name: tryton-main          # history source erp:<name>; default: the file name's stem
    schedule: every 15m        # periodic pulls (s, m, h, d); default: pulled by hand only
    locale: en_GB              # for mapped attributes that are localizable
    mapping:                   # ERP field -> attribute; null drops a default
      name: erp_name                       # Tryton defaults: name, list_price, cost_price,
      list_price: price                    # ean, unit, category (see TRYTON_DEFAULT_MAPPING)
      description: {attribute: description_erp, locale: en_GB}
      weight: {attribute: weight, unit: KILOGRAM}
    stock:                     # Tryton location code (or REST item field) -> stock source
      WH: warehouse_uk
    price_lists:               # Tryton price list name -> price attribute (tiers kept)
      Trade: trade_price
    page_size: 200             # products per request
    timeout: 30                # seconds per request (connect, read, write)
    retries: 4                 # retries of a request after a network error (backoff)
    max_response_bytes: 67108864
    overlap: 2m                # each incremental pull re-reads this far behind its watermark

The REST connector's own keys are on :class:`RestConnector`. Invalid files raise
:class:`ConnectorConfigError` naming the key (``mapping.price.currency: ...``).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from importers.erp.errors import ConnectorConfigError

CODE = r"^[a-z][a-z0-9_]*$"
NAME = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
MIN_SCHEDULE = timedelta(minutes=1)
DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")

# What a minimal Tryton file maps: Tryton's field (as the connector names it) -> attribute.
# The hub keeps a default only when its attribute exists and is ERP-owned.
TRYTON_DEFAULT_MAPPING: dict[str, str] = {
    "name": "erp_name",
    "list_price": "price",
    "cost_price": "cost_price",
    "ean": "ean",
    "unit": "unit",
    "category": "erp_category",
}


def parse_duration(text: str | int | float) -> timedelta:
    """``"15m"``, ``"1h30m"``, ``"90s"``, ``"2d"`` or a number of seconds."""
    if isinstance(text, bool):
        raise ValueError("expected a duration such as 15m, 1h or 90s")
    if isinstance(text, int | float):
        return timedelta(seconds=text)
    match = DURATION.match(text or "")
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration such as 15m, 1h30m or 90s")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def parse_schedule(text: str) -> timedelta:
    """``"every 15m"`` -> 15 minutes (at least one minute)."""
    words = str(text).split(None, 1)
    if len(words) != 2 or words[0] != "every":
        raise ValueError(f"{text!r} is not a schedule such as 'every 15m'")
    interval = parse_duration(words[1])
    if interval < MIN_SCHEDULE:
        raise ValueError(f"{text!r} is more often than every minute")
    return interval


def format_duration(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    """Where one ERP field goes: an attribute, with the locale/scope of the value, and the
    currency (a price) or unit (a measurement) the ERP's number is in."""

    attribute: str = Field(pattern=CODE)
    locale: str | None = None
    scope: str | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    unit: str | None = None


def _targets(raw: Any) -> Any:
    """``field: attribute`` and ``field: null`` are the common cases in YAML."""
    if not isinstance(raw, dict):
        return raw
    return {str(k): ({"attribute": v} if isinstance(v, str) else v) for k, v in raw.items()}


Duration = Annotated[timedelta, Field(ge=timedelta(0))]


class ConnectorFile(_Strict):
    """The keys every connector has."""

    connector: str
    name: str | None = Field(default=None, pattern=NAME)
    url: str
    family: str = Field(pattern=CODE)
    schedule: timedelta | None = None
    locale: str | None = None
    mapping: dict[str, Target | None] = Field(default_factory=dict)
    stock: dict[str, str] = Field(default_factory=dict)
    page_size: int = Field(default=200, ge=1, le=1000)
    timeout: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(default=4, ge=0, le=10)
    max_response_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    overlap: Duration = timedelta(minutes=2)
    path: str | None = Field(default=None, exclude=True)  # set by load_connector_file

    @field_validator("url")
    @classmethod
    def _plain_http_url(cls, url: str) -> str:
        match = re.match(r"^(https?)://([^/?#]*)", url or "")
        if not match or not match.group(2):
            raise ValueError("must be an http:// or https:// URL")
        if "@" in match.group(2):
            raise ValueError("must not carry credentials: give them as their own keys")
        return url.rstrip("/")

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Any:
        if value is None or isinstance(value, timedelta):
            return value
        return parse_schedule(value)

    @field_validator("overlap", mode="before")
    @classmethod
    def _overlap(cls, value: Any) -> Any:
        return value if isinstance(value, timedelta) else parse_duration(value)

    @field_validator("mapping", mode="before")
    @classmethod
    def _mapping(cls, value: Any) -> Any:
        return _targets(value)

    @field_validator("stock")
    @classmethod
    def _stock_sources(cls, value: dict[str, str]) -> dict[str, str]:
        for source in value.values():
            if not re.match(r"^[a-z0-9][a-z0-9_-]*$", source):
                raise ValueError(f"{source!r} is not a stock source code (e.g. warehouse_uk)")
        return value

    @property
    def connector_name(self) -> str:
        if self.name:
            return self.name
        if self.path:
            stem = re.sub(r"[^a-z0-9_.-]+", "-", Path(self.path).stem.lower()).strip("-.")
            if stem:
                return stem[:64]
        return self.connector

    @property
    def schedule_text(self) -> str | None:
        return f"every {format_duration(self.schedule)}" if self.schedule else None

    def effective_mapping(self) -> dict[str, tuple[Target, bool]]:
        """ERP field -> (target, is_default): the file's mapping over the connector's
        defaults; a field mapped to null is dropped."""
        mapping: dict[str, tuple[Target, bool]] = {
            field: (Target(attribute=attribute), True)
            for field, attribute in self.default_mapping().items()
        }
        for field, target in self.mapping.items():
            if target is None:
                mapping.pop(field, None)
            else:
                mapping[field] = (target, False)
        return mapping

    def default_mapping(self) -> dict[str, str]:
        return {}

    def secrets(self) -> list[str]:
        """Every credential this file leads to (for redaction); resolving an env variable
        that is not set gives nothing here (the connector reports it when it signs in)."""
        return []

    def public(self) -> dict[str, Any]:
        """The file as it may be shown and stored: credentials left out."""
        return self.model_dump(mode="json", exclude=self._secret_keys(), exclude_none=True)

    def _secret_keys(self) -> set[str]:
        return set()


def _env_secret(variable: str | None, key: str) -> SecretStr | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise ConnectorConfigError(f"the environment variable {variable} is not set", key=key)
    return SecretStr(value)


class TrytonConnector(ConnectorFile):
    """Tryton over JSON-RPC (``POST <url>/<database>/rpc/``)."""

    connector: Literal["tryton"]
    database: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    username: str = Field(min_length=1)
    password: SecretStr | None = None
    password_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    company: int | None = Field(default=None, ge=1)  # default: the user's company
    language: str | None = None  # Tryton's context language; default: the user's
    price_lists: dict[str, Target] = Field(default_factory=dict)

    @field_validator("price_lists", mode="before")
    @classmethod
    def _price_lists(cls, value: Any) -> Any:
        return _targets(value)

    @model_validator(mode="after")
    def _one_password(self) -> TrytonConnector:
        if (self.password is None) == (self.password_env is None):
            raise ValueError("password: give exactly one of password and password_env")
        return self

    def default_mapping(self) -> dict[str, str]:
        return dict(TRYTON_DEFAULT_MAPPING)

    def resolved_password(self) -> SecretStr:
        return self.password or _env_secret(self.password_env, "password_env")  # type: ignore[return-value]

    def secrets(self) -> list[str]:
        secret = self.password or (
            SecretStr(os.environ[self.password_env])
            if self.password_env and os.environ.get(self.password_env) else None)
        return [secret.get_secret_value()] if secret else []

    def _secret_keys(self) -> set[str]:
        return {"password"}


class RestAuth(_Strict):
    """``bearer``/``bearer_env`` send ``Authorization: Bearer <token>``; ``header`` with
    ``value``/``value_env`` sends a header of that name (``X-Api-Key: <value>``)."""

    bearer: SecretStr | None = None
    bearer_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    header: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]+$")
    value: SecretStr | None = None
    value_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @model_validator(mode="after")
    def _one_way(self) -> RestAuth:
        given = [self.bearer, self.bearer_env, self.header]
        if sum(x is not None for x in given) != 1:
            raise ValueError("give one of bearer, bearer_env and header (with value or value_env)")
        if self.header is not None and (self.value is None) == (self.value_env is None):
            raise ValueError("header needs exactly one of value and value_env")
        if self.header is None and (self.value is not None or self.value_env is not None):
            raise ValueError("value and value_env go with header")
        return self

    def resolved(self) -> tuple[str, SecretStr]:
        """(header name, secret header value)."""
        if self.header is not None:
            secret = self.value or _env_secret(self.value_env, "auth.value_env")
            return self.header, secret  # type: ignore[return-value]
        token = self.bearer or _env_secret(self.bearer_env, "auth.bearer_env")
        return "Authorization", SecretStr(f"Bearer {token.get_secret_value()}")  # type: ignore[union-attr]

    def secrets(self) -> list[str]:
        found = []
        for inline, variable in ((self.bearer, self.bearer_env), (self.value, self.value_env)):
            if inline is not None:
                found.append(inline.get_secret_value())
            elif variable and os.environ.get(variable):
                found.append(os.environ[variable])
        return found


class Pagination(_Strict):
    """How the collection is paged.

    - ``page``: ``?<page_param>=1,2,...&<size_param>=<size>`` until a short page;
    - ``offset``: ``?<offset_param>=0,size,...&<size_param>=<size>`` until a short page;
    - ``cursor``: ``?<cursor_param>=<cursor>``, the next cursor read at ``next_cursor`` in
      the body, until it is empty;
    - ``link``: the RFC 8288 ``Link: <...>; rel="next"`` header, until there is none.
    """

    style: Literal["page", "offset", "cursor", "link"] = "link"
    items: str = ""  # dotted path to the list of items in the body; "" = the body is the list
    size: int | None = Field(default=None, ge=1, le=10000)  # default: page_size
    size_param: str | None = "limit"
    page_param: str = "page"
    first_page: int = Field(default=1, ge=0)
    offset_param: str = "offset"
    cursor_param: str = "cursor"
    next_cursor: str = "next_cursor"
    max_pages: int = Field(default=100_000, ge=1)


class ChangedSince(_Strict):
    """The query parameter that asks for items changed since the watermark."""

    param: str = Field(min_length=1)
    format: Literal["iso8601", "unix", "unix_ms"] = "iso8601"


class RestFields(_Strict):
    """Where each item keeps the fields the hub needs (dotted paths)."""

    sku: str = "sku"
    key: str | None = None  # the ERP's own id; default: the SKU
    active: str | None = None  # false -> the product is disabled in the hub
    deleted: str | None = None  # true -> the product is disabled in the hub
    modified_at: str | None = None  # ISO 8601 or unix time; the watermark is its maximum


class RestConnector(ConnectorFile):
    """A generic REST/JSON collection of products."""

    connector: Literal["rest"]
    auth: RestAuth | None = None
    params: dict[str, str] = Field(default_factory=dict)  # sent with every page
    pagination: Pagination = Field(default_factory=Pagination)
    changed_since: ChangedSince | None = None
    fields: RestFields = Field(default_factory=RestFields)

    @field_validator("params", mode="before")
    @classmethod
    def _params_as_text(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {str(k): ("true" if v is True else "false" if v is False else str(v))
                for k, v in value.items()}

    def secrets(self) -> list[str]:
        return self.auth.secrets() if self.auth else []

    def _secret_keys(self) -> set[str]:
        return {"auth"}


AnyConnector = Annotated[TrytonConnector | RestConnector, Field(discriminator="connector")]
_ADAPTER: TypeAdapter[TrytonConnector | RestConnector] = TypeAdapter(AnyConnector)


def parse_connector(data: Any, *, path: str | None = None) -> TrytonConnector | RestConnector:
    """Validate a connector file's content; the error names every faulty key."""
    if not isinstance(data, dict):
        raise ConnectorConfigError("expected a mapping of keys (connector, url, ...)", path=path)
    if "path" in data:  # set by load_connector_file, never by the file itself
        raise ConnectorConfigError("Extra inputs are not permitted", key="path", path=path)
    kind = data.get("connector")
    if kind not in ("tryton", "rest"):
        raise ConnectorConfigError(
            f"must be tryton or rest, got {kind!r}" if kind is not None else "is missing",
            key="connector", path=path)
    try:
        config = _ADAPTER.validate_python({**data, "path": None})
    except ValidationError as error:
        faults = []
        for fault in error.errors():
            loc = [str(p) for p in fault["loc"]]
            if loc and loc[0] == kind:  # the union's tag is not a key of the file
                loc = loc[1:]
            message = fault["msg"].removeprefix("Value error, ")
            if not loc and (keyed := re.match(r"^([a-z_.]+): (.*)$", message)):
                loc, message = [keyed.group(1)], keyed.group(2)  # a check across keys
            if CODE in message:
                message = "must be a code: lower-case letters, digits and _ (e.g. spare_parts)"
            faults.append(f"{'.'.join(loc) or 'file'}: {message}")
        problem = ConnectorConfigError("; ".join(faults), path=path)
        problem.key = faults[0].split(":", 1)[0] if faults else None
        raise problem from None
    return config.model_copy(update={"path": path})


def load_connector_file(path: str | Path) -> TrytonConnector | RestConnector:
    """Read and validate a connector file (YAML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConnectorConfigError(f"cannot read the connector file: {error.strerror}",
                                   path=str(path)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConnectorConfigError(f"not valid YAML: {error}", path=str(path)) from None
    return parse_connector(data, path=str(path.resolve()))
