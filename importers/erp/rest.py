"""A generic REST/JSON product source: a collection URL, paged, optionally filtered by
modification time.

Pages are fetched one after another with the configured pagination style (page number,
offset, cursor, or the RFC 8288 ``Link: <...>; rel="next"`` header); the items are found at
``pagination.items`` in each body and mapped field by field. An incremental pull sends the
watermark less the overlap in ``changed_since.param``; without that setting every pull reads
everything. The watermark is the largest ``fields.modified_at`` seen, or the pull's start
time when items carry none.

A full pull knows every item the source has, so the hub can disable products whose key has
gone; an incremental pull cannot tell (``PullEnd.present_keys`` is None), but an item may
say it is deleted or inactive itself (``fields.deleted`` / ``fields.active``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

from importers.erp.config import RestConnector, Target
from importers.erp.errors import ErpProtocolError
from importers.erp.http import ErpHttp, Redactor, where
from importers.erp.items import ErpItem, ErpProduct, PullEnd
from importers.erp.values import (
    FieldValueError,
    add_value,
    dotted,
    parse_timestamp,
    quantity,
    shaped,
)
from pim.records import ProductRecord, RowError

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")
_REL = re.compile(r"""(?i)\brel\s*=\s*(?:"([^"]*)"|([^\s;,]+))""")


def next_link(header: str | None) -> str | None:
    """The target of the ``rel="next"`` link in an RFC 8288 ``Link`` header."""
    if not header:
        return None
    for match in _LINK.finditer(header):
        for rel in _REL.finditer(match.group(2) or ""):
            names = (rel.group(1) or rel.group(2) or "").lower().split()
            if "next" in names:
                return match.group(1).strip()
    return None


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "on")
    return bool(value)


class RestSource:
    """Pulls products from one REST collection (see the module's docstring)."""

    def __init__(self, config: RestConnector, mapping: dict[str, Target] | None = None, *,
                 http: ErpHttp | None = None, clock=lambda: datetime.now(UTC)):
        self.config = config
        self.mapping = mapping if mapping is not None else {
            name: target for name, (target, _) in config.effective_mapping().items()}
        self.redact = Redactor(config.secrets())
        headers = {}
        if config.auth is not None:
            name, secret = config.auth.resolved()
            self.redact.add(secret.get_secret_value())
            headers[name] = secret.get_secret_value()
        self.http = http or ErpHttp(timeout=config.timeout, retries=config.retries,
                                    max_response_bytes=config.max_response_bytes,
                                    redactor=self.redact, headers=headers)
        self._clock = clock
        origin = urlsplit(config.url)
        self._origin = (origin.scheme, origin.hostname, origin.port)

    def close(self) -> None:
        self.http.close()

    def connect(self) -> None:
        """Nothing to sign in to: credentials go with each page."""

    def pull(self, since: datetime | None) -> Iterator[ErpItem]:
        started = self._clock()
        full = since is None
        params = dict(self.config.params)
        changed = self.config.changed_since
        if since is not None and changed is not None:
            params[changed.param] = _format_since(since - self.config.overlap, changed.format)
        latest: datetime | None = since
        read = 0
        keys: set[str] = set()
        skus: dict[str, str] = {}
        for items in self._pages(params):
            for item in items:
                read += 1
                product = self._item(item, read, skus)
                if isinstance(product, ErpProduct):
                    keys.add(product.key)
                    if product.modified_at is not None:
                        latest = max(latest, product.modified_at) if latest else product.modified_at
                yield product
        if self.config.fields.modified_at is None or latest is None:
            latest = started  # nothing tells when items changed: this pull saw up to now
        present = frozenset(keys) if full or changed is None else None
        yield PullEnd(watermark=latest, present_keys=present, read=read)

    def _pages(self, params: dict[str, str]) -> Iterator[list[Any]]:
        paging = self.config.pagination
        size = paging.size or self.config.page_size
        url: str | None = self.config.url
        number = paging.first_page
        offset = 0
        cursor: str | None = None
        seen_urls: set[str] = set()
        seen_cursors: set[str] = set()
        for page in range(1, paging.max_pages + 1):
            query: dict[str, str] | None = None
            if page == 1 or paging.style != "link":  # a next link carries its own query
                query = dict(params)
                if paging.size_param:
                    query[paging.size_param] = str(size)
                if paging.style == "page":
                    query[paging.page_param] = str(number)
                elif paging.style == "offset":
                    query[paging.offset_param] = str(offset)
                elif paging.style == "cursor" and cursor is not None:
                    query[paging.cursor_param] = cursor
            assert url is not None
            reply = self.http.request("GET", url, what=f"page {page}", params=query)
            if reply.status != 200:
                raise self.http.refused(reply, f"page {page}")
            try:
                body = json.loads(reply.body)
            except ValueError:
                raise ErpProtocolError(f"page {page}: {where(reply.url)} did not answer JSON") \
                    from None
            items = dotted(body, paging.items) if paging.items else body
            if not isinstance(items, list):
                at = f"at {paging.items!r}" if paging.items else "as the body"
                raise ErpProtocolError(f"page {page}: expected a list of items {at}")
            if items:
                yield items
            if paging.style in ("page", "offset"):
                # A short page ends the collection only when the size was asked for: a
                # source that ignores the parameter would otherwise lose every later page.
                if not items or (paging.size_param and len(items) < size):
                    return
                number += 1
                offset += len(items)
            elif paging.style == "cursor":
                following = dotted(body, paging.next_cursor)
                if following in (None, "") or not items:
                    return
                cursor = str(following)
                if cursor in seen_cursors:
                    raise ErpProtocolError(f"page {page}: the cursor {cursor!r} came back again")
                seen_cursors.add(cursor)
            else:
                target = next_link(reply.headers.get("link"))
                if not target:
                    return
                url = self._same_origin(urljoin(reply.url, target), page)
                if url in seen_urls:
                    raise ErpProtocolError(f"page {page}: the next link points back to "
                                           f"{where(url)}")
                seen_urls.add(url)
        raise ErpProtocolError(f"stopped after {paging.max_pages} pages (pagination.max_pages)")

    def _same_origin(self, url: str, page: int) -> str:
        parts = urlsplit(url)
        if (parts.scheme, parts.hostname, parts.port) != self._origin:
            raise ErpProtocolError(f"page {page}: the next link leaves {where(self.config.url)} "
                                   f"for {where(url)}; credentials are sent only to the "
                                   "configured host")
        return url

    def _item(self, item: Any, number: int, skus: dict[str, str]) -> ErpProduct | RowError:
        fields = self.config.fields
        if not isinstance(item, dict):
            return RowError(row=number, message=f"item {number} is not an object")
        sku = dotted(item, fields.sku)
        if sku in (None, "") or isinstance(sku, dict | list):
            return RowError(row=number, column=fields.sku,
                            message=f"item {number} has no SKU at {fields.sku!r}")
        sku = str(sku).strip()
        key_value = dotted(item, fields.key) if fields.key else sku
        if key_value in (None, ""):
            return RowError(row=number, sku=sku, column=fields.key,
                            message=f"item {number} has no key at {fields.key!r}")
        key = str(key_value)
        if sku in skus and skus[sku] != key:
            return RowError(row=number, sku=sku, column=fields.sku,
                            message=f"items {skus[sku]!r} and {key!r} have the same SKU")
        skus[sku] = key
        try:
            active = True if fields.active is None else _truthy(dotted(item, fields.active))
            deleted = fields.deleted is not None and _truthy(dotted(item, fields.deleted))
            modified = (parse_timestamp(dotted(item, fields.modified_at))
                        if fields.modified_at else None)
            values: dict[str, list] = {}
            for path, target in self.mapping.items():
                add_value(values, target, shaped(target, dotted(item, path)))
            stock: dict[str, Decimal] | None = None
            if self.config.stock:
                stock = {}
                for path, source in self.config.stock.items():
                    stock[source] = stock.get(source, 0) + quantity(dotted(item, path))
        except FieldValueError as error:
            return RowError(row=number, sku=sku, message=f"item {number}: {error}")
        enabled = False if deleted or not active else None
        record = ProductRecord(sku=sku, values=values, enabled=enabled, stock=stock, row=number)
        return ErpProduct(key=key, record=record, active=active and not deleted,
                          deleted=deleted, modified_at=modified)


def _format_since(moment: datetime, style: str) -> str:
    moment = moment.astimezone(UTC)
    if style == "unix":
        return str(int(moment.timestamp()))
    if style == "unix_ms":
        return str(int(moment.timestamp() * 1000))
    return moment.isoformat().replace("+00:00", "Z")
