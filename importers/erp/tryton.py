"""Tryton over JSON-RPC: products and templates, price lists and stock, in and out as records.

The protocol, as Tryton 8.2 speaks it:

- ``POST <url>/<database>/rpc/`` with ``{"id", "method", "params"}``. Login is
  ``common.db.login [username, {"password": ...}, language]`` -> ``[user_id, session, ...]``;
  later calls send ``Authorization: Session base64("<username>:<user_id>:<session>")``.
  A refused login or an expired session is HTTP 401; errors of a call arrive as HTTP 200
  with an ``error`` member.
- Every model call takes a context as its last parameter. Prices are null unless the
  context names the company (``res.user.get_preferences`` tells the user's).
- Decimals, dates and datetimes travel as ``{"__class__": "Decimal", "decimal": "19.90"}``
  and friends; datetimes are naive UTC.

A pull reads ``product.product`` in pages ordered by id (each page asks for ids above the
last one, so products created or deleted meanwhile shift nothing), with ``active_test:
false`` so deactivated products come too. Incremental pulls ask for products whose
``last_modified_at``, their template's, their identifiers' or their categories' (those
mapped) is at or after the watermark less the overlap; deletions are found by comparing
the ERP's id list with the hub's; stock that moved (``stock.move`` rows done or cancelled
since then) is read again per mapped location for the products it concerns.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from importers.erp.config import Target, TrytonConnector
from importers.erp.errors import ConnectorConfigError, ErpAuthError, ErpProtocolError
from importers.erp.http import ErpHttp, Redactor
from importers.erp.items import ErpItem, ErpProduct, ErpStock, PullEnd
from importers.erp.tryton_prices import (
    Formula,
    FormulaError,
    PriceList,
    PriceListLine,
    with_ancestors,
)
from importers.erp.values import (
    FieldValueError,
    add_value,
    amount_text,
    plain_data,
    quantity,
    shaped,
)
from pim.records import ProductRecord, RowError

PRODUCT = "product.product"
ID_CHUNK = 1000  # ids per read of stock quantities

# The connector's names for Tryton's product fields: what each reads, and what kind of
# value it is. Any other mapped name is read as the Tryton field (path) of that name.
KNOWN_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "name": (("name",), "text"),
    "code": (("code",), "text"),
    "description": (("description",), "text"),
    "list_price": (("list_price_used",), "price"),
    "cost_price": (("cost_price",), "price"),
    "ean": (("identifiers.code", "identifiers.type"), "ean"),
    "identifiers": (("identifiers.code", "identifiers.type"), "identifiers"),
    "unit": (("default_uom.symbol",), "unit"),
    "category": (("categories.name",), "category"),
}
BASE_FIELDS = ("id", "code", "active", "template.active", "last_modified_at",
               "template.last_modified_at")


def encode(value: Any) -> Any:
    """Python values as Tryton's JSON-RPC expects them."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return {"__class__": "datetime", "year": value.year, "month": value.month,
                "day": value.day, "hour": value.hour, "minute": value.minute,
                "second": value.second, "microsecond": value.microsecond}
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def _decode_object(obj: dict[str, Any]) -> Any:
    kind = obj.get("__class__")
    if kind is None:
        return obj
    if kind == "Decimal":
        return Decimal(obj["decimal"])
    if kind == "datetime":
        return datetime(obj["year"], obj["month"], obj["day"], obj.get("hour", 0),
                        obj.get("minute", 0), obj.get("second", 0),
                        obj.get("microsecond", 0), tzinfo=UTC)
    if kind == "date":
        return date(obj["year"], obj["month"], obj["day"])
    if kind == "timedelta":
        return timedelta(seconds=obj["seconds"])
    if kind == "bytes":
        return base64.b64decode(obj["base64"])
    return obj


def decode(body: bytes) -> Any:
    return json.loads(body, object_hook=_decode_object)


class TrytonRpc:
    """A signed-in JSON-RPC session on one Tryton database."""

    def __init__(self, config: TrytonConnector, http: ErpHttp):
        self.config = config
        self.http = http
        self.url = f"{config.url}/{config.database}/rpc/"
        self._auth: str | None = None
        self._id = 0
        self.context: dict[str, Any] = {}

    def login(self) -> None:
        password = self.config.resolved_password()
        self.http.redact.add(password.get_secret_value())
        reply = self._post("common.db.login",
                           [self.config.username, {"password": password.get_secret_value()},
                            self.config.language or "en"],
                           auth=None, what="Tryton login")
        if reply.status == 401:
            raise ErpAuthError(f"Tryton login: user {self.config.username!r} was refused on "
                               f"database {self.config.database!r} (check the password)")
        if reply.status == 404:
            raise ConnectorConfigError(f"Tryton has no database {self.config.database!r} at "
                                       f"{self.config.url}", key="database")
        result = self._result(reply, "Tryton login")
        if not isinstance(result, list) or len(result) < 2:
            raise ErpProtocolError("Tryton login: unexpected answer")
        user_id, session = result[0], result[1]
        self.http.redact.add(str(session))
        token = base64.b64encode(f"{self.config.username}:{user_id}:{session}".encode()).decode()
        self.http.redact.add(token)
        self._auth = f"Session {token}"

    def call(self, method: str, *params: Any, what: str | None = None) -> Any:
        """A call with the session; signs in again once when the session has expired."""
        what = what or method
        if self._auth is None:
            self.login()
        reply = self._post(method, encode(list(params)), auth=self._auth, what=what)
        if reply.status == 401:
            self.login()
            reply = self._post(method, encode(list(params)), auth=self._auth, what=what)
        return self._result(reply, what)

    def model(self, model: str, method: str, *args: Any, context: dict[str, Any] | None = None,
              what: str | None = None) -> Any:
        ctx = {**self.context, **(context or {})}
        return self.call(f"model.{model}.{method}", *args, ctx, what=what)

    def _post(self, method: str, params: list[Any], *, auth: str | None, what: str):
        self._id += 1
        headers = {"Authorization": auth} if auth else None
        return self.http.request("POST", self.url, what=what, headers=headers,
                                 json_body={"id": self._id, "method": method, "params": params})

    def _result(self, reply, what: str) -> Any:
        if reply.status != 200:
            raise self.http.refused(reply, what)
        try:
            message = decode(reply.body)
        except ValueError:
            raise ErpProtocolError(f"{what}: Tryton's answer is not JSON") from None
        if not isinstance(message, dict):
            raise ErpProtocolError(f"{what}: Tryton's answer is not a JSON-RPC message")
        if message.get("error") is not None:
            raise ErpProtocolError(self.http.redact(f"{what}: Tryton error: "
                                                    f"{_error_text(message['error'])}"))
        return message.get("result")


def _error_text(error: Any) -> str:
    if isinstance(error, list) and error:
        head = error[0]
        if isinstance(head, str) and len(error) > 1 and isinstance(error[1], list | tuple):
            return f"{head}: {' '.join(str(e) for e in error[1] if e)}"
        return " ".join(str(e) for e in error if e)
    return str(error)


@dataclass(slots=True)
class _Field:
    name: str  # as mapped
    target: Target
    kind: str  # text, price, ean, identifiers, unit, category, raw
    reads: tuple[str, ...]


class TrytonSource:
    """Pulls products from one Tryton database (see the module's docstring)."""

    def __init__(self, config: TrytonConnector, mapping: dict[str, Target] | None = None, *,
                 http: ErpHttp | None = None):
        self.config = config
        if mapping is None:
            mapping = {name: target for name, (target, _) in config.effective_mapping().items()}
        self.fields = [_field(name, target) for name, target in mapping.items()]
        self.redact = Redactor(config.secrets())
        self.http = http or ErpHttp(timeout=config.timeout, retries=config.retries,
                                    max_response_bytes=config.max_response_bytes,
                                    redactor=self.redact)
        self.redact = self.http.redact
        self.rpc = TrytonRpc(config, self.http)
        self.currency: str | None = None
        self.locations: dict[str, int] = {}  # mapped location code -> id
        self.price_lists: list[tuple[PriceList, Target]] = []
        self._category_parents: dict[int, int | None] = {}

    def close(self) -> None:
        self.http.close()

    # -- signing in and looking up what the mapping names

    def connect(self) -> None:
        """Sign in and read the company, its currency, the mapped locations and price
        lists. Raises ConnectorConfigError for a mapping Tryton cannot serve."""
        rpc = self.rpc
        rpc.login()
        preferences = rpc.call("model.res.user.get_preferences", True, {}) or {}
        company = self.config.company or preferences.get("company")
        language = self.config.language or preferences.get("language") or "en"
        rpc.context = {"language": language, "company": company}
        if company is not None:
            rpc.context["companies"] = [company]
            rows = rpc.model("company.company", "read", [company], ["id", "currency.code"])
            if not rows:
                raise ConnectorConfigError(f"Tryton has no company {company}", key="company")
            self.currency = (rows[0].get("currency.") or {}).get("code")
        needs_company = [f.name for f in self.fields if f.kind == "price"] + list(
            self.config.price_lists)
        if company is None and needs_company:
            raise ConnectorConfigError(
                f"user {self.config.username!r} has no company in Tryton, so it reads no "
                f"prices ({', '.join(needs_company)}): give company: <id> or set one",
                key="company")
        for f in self.fields:
            if f.kind == "price" and f.target.currency not in (None, self.currency):
                raise ConnectorConfigError(
                    f"Tryton's prices are in the company's currency, {self.currency}",
                    key=f"mapping.{f.name}.currency")
        self._load_locations()
        self._load_price_lists()

    def _load_locations(self) -> None:
        if not self.config.stock:
            return
        codes = list(self.config.stock)
        rows = self.rpc.model("stock.location", "search_read", [("code", "in", codes)], 0, None,
                              None, ["id", "code", "type"], context={"active_test": False})
        found = {row["code"]: row["id"] for row in rows or ()}
        for code in codes:
            if code not in found:
                raise ConnectorConfigError(f"Tryton has no stock location with code {code!r}",
                                           key=f"stock.{code}")
        self.locations = {code: found[code] for code in codes}

    def _load_price_lists(self) -> None:
        if not self.config.price_lists:
            return
        names = list(self.config.price_lists)
        rows = self.rpc.model("product.price_list", "search_read", [("name", "in", names)], 0,
                              None, [["id", "ASC"]],
                              ["id", "name", "price", "company.currency.code"])
        by_name: dict[str, dict[str, Any]] = {}
        for row in rows or ():
            by_name.setdefault(row["name"], row)
        lines = self.rpc.model(
            "product.price_list.line", "search_read",
            [("price_list", "in", [row["id"] for row in by_name.values()])], 0, None,
            [["price_list", "ASC"], ["sequence", "ASC NULLS FIRST"], ["id", "ASC"]],
            ["id", "price_list", "product", "category", "quantity", "formula"]) or []
        for name in names:
            row = by_name.get(name)
            if row is None:
                raise ConnectorConfigError(f"Tryton has no price list named {name!r}",
                                           key=f"price_lists.{name}")
            parsed = []
            for line in lines:
                if line["price_list"] != row["id"]:
                    continue
                try:
                    formula = Formula.parse(line["formula"])
                except FormulaError as error:
                    raise ConnectorConfigError(f"line {line['id']}: {error}",
                                               key=f"price_lists.{name}") from None
                qty = line.get("quantity")
                parsed.append(PriceListLine(line.get("product"), line.get("category"),
                                            Decimal(str(qty)) if qty is not None else None,
                                            formula))
            currency = ((row.get("company.") or {}).get("currency.") or {}).get("code")
            self.price_lists.append((PriceList(row["id"], name, currency or self.currency or "",
                                               row.get("price"), parsed),
                                     self.config.price_lists[name]))
        categories = self.rpc.model("product.category", "search_read", [], 0, None, None,
                                    ["id", "parent"], context={"active_test": False})
        self._category_parents = {row["id"]: row.get("parent") for row in categories or ()}

    # -- the pull

    def pull(self, since: datetime | None) -> Iterator[ErpItem]:
        """Everything (``since`` None) or what changed since ``since``; ``PullEnd`` last."""
        started = time.monotonic()
        if not self.rpc.context:
            self.connect()
        full = since is None
        after = None if since is None else since - self.config.overlap
        latest: datetime | None = since
        notes: list[str] = []
        if after is not None and self.price_lists and self._price_lists_changed(after):
            after = None  # a changed price list may change every product's price
            notes.append("a mapped price list changed: every product was read")
        read = 0
        seen_keys: set[str] = set()
        skus: dict[str, int] = {}
        for rows in self._product_pages(after):
            quantities = self._extra_quantities([row["id"] for row in rows])
            for row in rows:
                read += 1
                seen_keys.add(str(row["id"]))
                latest = _latest(latest, *self._timestamps(row))
                yield from self._product_item(row, quantities, skus)
        if full:
            present = frozenset(seen_keys)
        else:
            ids = self.rpc.model(PRODUCT, "search", [], 0, None, [["id", "ASC"]],
                                 context={"active_test": False}, what="Tryton product ids")
            present = frozenset(str(i) for i in ids or ())
            if self.locations:
                moved, latest = self._moved_products(after, latest)
                stale = [pid for pid in moved if str(pid) not in seen_keys]
                yield from self._stock_items(stale)
        if self.price_lists:
            latest = _latest(latest, *self._price_list_times())
        notes.append(f"read {read} products in {time.monotonic() - started:.1f} s")
        yield PullEnd(watermark=latest, present_keys=present, read=read, notes=notes)

    def _read_fields(self) -> list[str]:
        names = list(BASE_FIELDS)
        for f in self.fields:
            names.extend(r for r in f.reads if r not in names)
        if any(f.kind == "ean" or f.kind == "identifiers" for f in self.fields):
            names.append("identifiers.last_modified_at")
        if self.price_lists:
            names.extend(["list_price_used", "cost_price", "categories_all"])
        if self.locations:
            names.append("quantity")
        return list(dict.fromkeys(names))

    def _product_pages(self, after: datetime | None) -> Iterator[list[dict[str, Any]]]:
        fields = self._read_fields()
        base: list[Any] = []
        if after is not None:
            changed: list[Any] = ["OR", ("last_modified_at", ">=", after),
                                  ("template.last_modified_at", ">=", after)]
            if any(f.kind in ("ean", "identifiers") for f in self.fields):
                changed.append(("identifiers.last_modified_at", ">=", after))
            if any(f.kind == "category" for f in self.fields):
                changed.append(("template.categories.last_modified_at", ">=", after))
            base = [changed]
        context: dict[str, Any] = {"active_test": False}
        if self.locations:
            first = next(iter(self.locations.values()))
            context.update(locations=[first], with_childs=True)
        last_id = 0
        page = 0
        while True:
            page += 1
            rows = self.rpc.model(PRODUCT, "search_read", [*base, ("id", ">", last_id)], 0,
                                  self.config.page_size, [["id", "ASC"]], fields,
                                  context=context, what=f"Tryton products, page {page}")
            if not rows:
                return
            yield rows
            if len(rows) < self.config.page_size:
                return
            last_id = rows[-1]["id"]

    def _extra_quantities(self, ids: list[int]) -> dict[str, dict[int, Any]]:
        """Quantities at the mapped locations after the first (read with the page)."""
        extra: dict[str, dict[int, Any]] = {}
        for code, location in list(self.locations.items())[1:]:
            rows = self.rpc.model(PRODUCT, "read", ids, ["id", "quantity"],
                                  context={"active_test": False, "locations": [location],
                                           "with_childs": True},
                                  what=f"Tryton stock at {code}")
            extra[code] = {row["id"]: row.get("quantity") for row in rows or ()}
        return extra

    def _stock_of(self, row: dict[str, Any], extra: dict[str, dict[int, Any]]):
        if not self.locations:
            return None
        stock: dict[str, Decimal] = {}
        for position, (code, source) in enumerate(self.config.stock.items()):
            value = row.get("quantity") if position == 0 else extra.get(code, {}).get(row["id"])
            stock[source] = stock.get(source, Decimal(0)) + quantity(value)
        return stock

    def _timestamps(self, row: dict[str, Any]) -> list[datetime | None]:
        stamps = [row.get("last_modified_at"), (row.get("template.") or {}).get("last_modified_at")]
        for identifier in row.get("identifiers.") or ():
            stamps.append(identifier.get("last_modified_at"))
        return stamps

    def _product_item(self, row: dict[str, Any], extra: dict[str, dict[int, Any]],
                      skus: dict[str, int]) -> Iterator[ErpItem]:
        key = str(row["id"])
        code = (row.get("code") or "").strip()
        if not code:
            yield RowError(row=None, column="code", severity="warning",
                           message=f"Tryton product {key} has no code: not pulled")
            return
        if code in skus:
            yield RowError(row=None, sku=code, column="code",
                           message=f"Tryton products {skus[code]} and {key} have the same code: "
                                   f"product {key} not pulled")
            return
        skus[code] = row["id"]
        template = row.get("template.") or {}
        active = bool(row.get("active")) and bool(template.get("active", True))
        values: dict[str, list] = {}
        try:
            for f in self.fields:
                add_value(values, f.target, self._field_value(f, row))
            for price_list, target in self.price_lists:
                tiers = price_list.tiers(
                    product=row["id"],
                    categories=with_ancestors(row.get("categories_all") or (),
                                              self._category_parents),
                    list_price=row.get("list_price_used"), cost_price=row.get("cost_price"))
                data = [{**tier, "amount": amount_text(tier["amount"])} for tier in tiers] \
                    or [{"amount": None, "currency": price_list.currency}]
                add_value(values, target, data)
        except (FieldValueError, FormulaError) as error:
            yield RowError(row=None, sku=code, message=f"Tryton product {key}: {error}")
            return
        record = ProductRecord(sku=code, values=values, enabled=None if active else False,
                               stock=self._stock_of(row, extra))
        yield ErpProduct(key=key, record=record, active=active,
                         modified_at=_latest(None, *self._timestamps(row)))

    def _field_value(self, f: _Field, row: dict[str, Any]) -> Any:
        kind = f.kind
        if kind == "price":
            return shaped(f.target, row.get(f.reads[0]), currency=self.currency)
        if kind in ("ean", "identifiers"):
            identifiers = row.get("identifiers.") or []
            if kind == "ean":
                codes = [i.get("code") for i in identifiers if i.get("type") in ("ean", "upc")]
                return codes[0].strip() if codes and codes[0] else None
            return plain_data([i.get("code") for i in identifiers])
        if kind == "unit":
            return plain_data((row.get("default_uom.") or {}).get("symbol"))
        if kind == "category":
            names = sorted(c.get("name") or "" for c in row.get("categories.") or ())
            return plain_data([n for n in names if n])
        return shaped(f.target, _read_path(row, f.reads[0]))

    def _price_lists_changed(self, after: datetime) -> bool:
        return any(stamp is not None and stamp >= after for stamp in self._price_list_times())

    def _price_list_times(self) -> list[datetime | None]:
        ids = [price_list.id for price_list, _ in self.price_lists]
        lists = self.rpc.model("product.price_list", "read", ids, ["id", "last_modified_at"])
        lines = self.rpc.model("product.price_list.line", "search_read",
                               [("price_list", "in", ids)], 0, None, None,
                               ["id", "last_modified_at"])
        return [row.get("last_modified_at") for row in [*(lists or ()), *(lines or ())]]

    def _moved_products(self, after: datetime | None,
                        latest: datetime | None) -> tuple[list[int], datetime | None]:
        """Products with stock moves done or cancelled since ``after``."""
        if after is None:
            return [], latest
        products: set[int] = set()
        last_id = 0
        while True:
            rows = self.rpc.model(
                "stock.move", "search_read",
                [("last_modified_at", ">=", after), ("state", "in", ["done", "cancelled"]),
                 ("id", ">", last_id)],
                0, ID_CHUNK, [["id", "ASC"]], ["id", "product", "last_modified_at"],
                what="Tryton stock moves")
            for row in rows or ():
                products.add(row["product"])
                latest = _latest(latest, row.get("last_modified_at"))
            if not rows or len(rows) < ID_CHUNK:
                return sorted(products), latest
            last_id = rows[-1]["id"]

    def _stock_items(self, product_ids: list[int]) -> Iterator[ErpItem]:
        for start in range(0, len(product_ids), ID_CHUNK):
            ids = product_ids[start:start + ID_CHUNK]
            first_code, first = next(iter(self.locations.items()))
            rows = self.rpc.model(PRODUCT, "read", ids, ["id", "code", "quantity"],
                                  context={"active_test": False, "locations": [first],
                                           "with_childs": True},
                                  what=f"Tryton stock at {first_code}")
            extra = self._extra_quantities(ids)
            for row in rows or ():
                code = (row.get("code") or "").strip()
                if code:
                    yield ErpStock(key=str(row["id"]), sku=code,
                                   stock=self._stock_of(row, extra) or {})


def _field(name: str, target: Target) -> _Field:
    known = KNOWN_FIELDS.get(name)
    if known is not None:
        reads, kind = known
        return _Field(name, target, kind, reads)
    return _Field(name, target, "raw", (name,))


def _read_path(row: dict[str, Any], path: str) -> Any:
    """A dotted field as Tryton returns it: ``a.b`` under ``row["a."]["b"]``."""
    parts = path.split(".")
    current: Any = row
    for part in parts[:-1]:
        if not isinstance(current, dict):
            return None
        current = current.get(part + ".")
    if isinstance(current, list):  # a *2many path: every value
        return [item.get(parts[-1]) for item in current if isinstance(item, dict)]
    return current.get(parts[-1]) if isinstance(current, dict) else None


def _latest(current: datetime | None, *stamps: datetime | None) -> datetime | None:
    for stamp in stamps:
        if isinstance(stamp, datetime) and (current is None or stamp > current):
            current = stamp
    return current
