"""The Meilisearch backend (``PIM_MEILISEARCH_URL``), through the official ``meilisearch``
client: typo-tolerant search for catalogues of millions.

One index (``PIM_MEILISEARCH_INDEX``, default ``products``), primary key ``id`` (the
product id). Its settings are applied once per process before the first write: searchable
attributes in ranking order (SKU, identifiers, names, the rest), filterable and sortable
attributes, typo tolerance (off on SKUs and identifiers, which must match as typed),
synonyms (``PIM_MEILISEARCH_SYNONYMS``, a JSON file), and a recency tie-break; before the
first search, they are read and applied if an attribute a search may use is missing (an
index set up by an older version). Documents go
in batches of ``PIM_MEILISEARCH_BATCH_SIZE``; every task is awaited (at most
``PIM_MEILISEARCH_TASK_TIMEOUT`` seconds) and a failed task fails the job with
Meilisearch's own error, so nothing is marked indexed that was not. A full reindex fills a
new index and swaps it in (``POST /swap-indexes``) when complete.

Per-channel data is keyed by the channel code with anything but letters, digits and ``_``
made ``_`` (filter syntax): ``status.webshop_uk``, ``completeness.webshop_uk.en_GB``,
``completeness_min.webshop_uk``. Differences from the SQL backend, by design of the
engine: no infix fragments (a SKU fragment must be a prefix of a word), totals exact up to
``maxTotalHits`` (10,000), pages by offset, and workflow fields as of the last indexing of
the product (a status change marks nothing dirty; ``pim search reindex`` refreshes them).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import meilisearch
from meilisearch.errors import MeilisearchApiError, MeilisearchError, MeilisearchTimeoutError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.jobs import TransientError
from pim.search.documents import SearchDocument
from pim.search.query import (
    CHANNEL_FACETS,
    FACET_VALUES,
    TOTAL_BOUND,
    FacetCount,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
    band_of,
    decode_cursor,
    encode_cursor,
    fold,
    identifier_of,
    words_of,
)
from pim.search.settings import SearchSettings
from pim.workflow.models import WORKFLOW_STATUSES, Channel
from pim.workflow.status import DRAFT

SEARCHABLE = ["sku", "identifiers", "name", "body"]
FILTERABLE = ["id", "family", "categories", "enabled", "terms", "status", "completeness",
              "completeness_min", "completeness_band", "completeness_band_locale",
              "has_errors", "changed_since_published", "updated_at"]
SORTABLE = ["updated_at", "created_at", "sku"]
RANKING = ["words", "typo", "proximity", "attribute", "sort", "exactness", "updated_at:desc"]
_RETRIEVED = ["id", "sku", "family", "enabled", "labels", "identifiers", "created_at",
              "updated_at"]
_KEY = re.compile(r"[^A-Za-z0-9_]")


class MeilisearchTaskFailed(Exception):
    """Meilisearch refused a write (the job fails with its error, and is retried)."""


def channel_key(code: str) -> str:
    return _KEY.sub("_", code)


def quoted(value: str) -> str:
    """A value inside a Meilisearch filter expression: always a quoted string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MeilisearchBackend:
    name = "meilisearch"
    needs_channels = True

    def __init__(self, client: meilisearch.Client, index_uid: str, *, batch_size: int = 1000,
                 task_timeout: float = 120.0, synonyms: dict[str, list[str]] | None = None):
        self.client = client
        self.index_uid = index_uid
        self.batch_size = batch_size
        self.task_timeout_ms = int(task_timeout * 1000)
        self.synonyms = synonyms or {}
        self._ready: set[str] = set()  # settings applied by this process
        self._searchable: set[str] = set()  # settings found complete by a search

    @classmethod
    def from_settings(cls, settings: SearchSettings) -> MeilisearchBackend:
        synonyms: dict[str, list[str]] = {}
        if settings.synonyms:
            synonyms = json.loads(Path(settings.synonyms).read_text(encoding="utf-8"))
        client = meilisearch.Client(settings.url or "", settings.key,
                                    timeout=int(max(1, settings.timeout)))
        return cls(client, settings.index, batch_size=settings.batch_size,
                   task_timeout=settings.task_timeout, synonyms=synonyms)

    # --- Settings and tasks.

    def index_settings(self) -> dict[str, Any]:
        return {
            "searchableAttributes": SEARCHABLE,
            "filterableAttributes": FILTERABLE,
            "sortableAttributes": SORTABLE,
            "rankingRules": RANKING,
            "displayedAttributes": ["*"],
            "typoTolerance": {"enabled": True,
                              "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
                              "disableOnAttributes": ["sku", "identifiers"]},
            "synonyms": self.synonyms,
            "pagination": {"maxTotalHits": TOTAL_BOUND},
            "faceting": {"maxValuesPerFacet": FACET_VALUES},
        }

    def ensure_index(self, uid: str) -> None:
        """Create the index (if missing) and apply the settings, once per process."""
        if uid in self._ready:
            return
        self._wait(self._call(self.client.create_index, uid, {"primaryKey": "id"}),
                   allow_codes=("index_already_exists",))
        self._wait(self._call(self.client.index(uid).update_settings, self.index_settings()))
        self._ready.add(uid)

    def ensure_searchable(self, uid: str) -> None:
        """Before this process's first search of ``uid``: the index knows every attribute a
        search may filter, facet or sort by. Settings are otherwise applied by a process's
        first write, and a process that only searches (a web server before any indexing
        ran in it) would send a facet an index set up by an older version does not know
        (``completeness_band``, ``has_errors``), which Meilisearch refuses. One GET of the
        settings per process; they are applied (and awaited) only when something is
        missing. A missing index is left to the first write: its search finds nothing,
        and the next search asks again."""
        if uid in self._ready or uid in self._searchable:
            return
        try:
            current = self._call(self.client.index(uid).get_settings)
        except MeilisearchApiError as error:
            if error.code == "index_not_found":
                return
            raise
        if _lacks_settings(current):
            self.ensure_index(uid)
        self._searchable.add(uid)

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except MeilisearchApiError:
            raise
        except MeilisearchError as error:  # unreachable, timed out: worth a retry
            raise TransientError(f"Meilisearch: {error}") from error

    def _wait(self, task_info, allow_codes: Sequence[str] = ()):
        """Wait for a task; a failed one raises with Meilisearch's error (unless its code is
        one of ``allow_codes``), one still pending after the timeout is a transient error."""
        try:
            task = self.client.wait_for_task(task_info.task_uid,
                                             timeout_in_ms=self.task_timeout_ms,
                                             interval_in_ms=50)
        except MeilisearchTimeoutError as error:
            raise TransientError(f"Meilisearch task {task_info.task_uid} still pending after "
                                 f"{self.task_timeout_ms / 1000:g} s") from error
        except MeilisearchError as error:
            raise TransientError(f"Meilisearch: {error}") from error
        if task.status != "succeeded":
            refusal = task.error or {}
            if refusal.get("code") in allow_codes:
                return task
            raise MeilisearchTaskFailed(
                f"Meilisearch task {task.uid} ({task.type}) {task.status}: "
                f"{refusal.get('code', '')}: {refusal.get('message', '')}".rstrip(": "))
        return task

    # --- Writing.

    def index(self, session: Session, documents: Sequence[SearchDocument], *,
              target: Any = None) -> None:
        if not documents:
            return
        uid = target or self.index_uid
        self.ensure_index(uid)
        channels = list(session.scalars(select(Channel.code).order_by(Channel.code)))
        index = self.client.index(uid)
        tasks = []
        for start in range(0, len(documents), self.batch_size):
            batch = [meili_document(doc, channels)
                     for doc in documents[start:start + self.batch_size]]
            tasks.append(self._call(index.add_documents, batch, primary_key="id"))
        for task in tasks:
            self._wait(task)

    def delete(self, session: Session, product_ids: Sequence[int], *,
               target: Any = None) -> None:
        if not product_ids:
            return
        uid = target or self.index_uid
        self.ensure_index(uid)
        index = self.client.index(uid)
        for start in range(0, len(product_ids), self.batch_size):
            chunk = product_ids[start:start + self.batch_size]
            self._wait(self._call(index.delete_documents,
                                  filter=f"id IN [{', '.join(str(int(i)) for i in chunk)}]"))

    def begin_reindex(self) -> Any:
        uid = f"{self.index_uid}_reindex_{int(time.time())}"
        self.ensure_index(self.index_uid)
        self.ensure_index(uid)
        return uid

    def finish_reindex(self, session: Session, target: Any) -> None:
        self._wait(self._call(self.client.swap_indexes,
                              [{"indexes": [self.index_uid, target]}]))
        self._wait(self._call(self.client.delete_index, target))
        self._ready.discard(target)

    # --- Reading.

    def search(self, session: Session, query: SearchQuery) -> SearchResult:
        sort = query.effective_sort
        words = words_of(query.text)
        if sort == "relevance" and not words:
            sort = "-updated_at"
        position = decode_cursor(query.cursor, sort)
        offset = position if isinstance(position, int) else 0
        params: dict[str, Any] = {
            "offset": offset, "limit": query.limit + 1,
            "attributesToRetrieve": _RETRIEVED,
            "filter": meili_filters(session, query.filters),
        }
        if sort != "relevance":
            params["sort"] = [f"{sort.lstrip('-')}:{'desc' if sort.startswith('-') else 'asc'}"]
        if query.facets:
            params["facets"] = [facet_attribute(name, query.filters) for name in query.facets]
        self.ensure_searchable(self.index_uid)
        try:
            answer = self.client.index(self.index_uid).search(" ".join(words), params)
        except MeilisearchApiError as error:
            if error.code != "index_not_found":  # nothing indexed yet: no hits
                raise
            answer = {"hits": [], "estimatedTotalHits": 0}
        except MeilisearchError as error:
            raise TransientError(f"Meilisearch: {error}") from error
        identifier = identifier_of(query.text) if words else ""
        hits = [_hit(raw, identifier, bool(words)) for raw in answer.get("hits", [])]
        more = len(hits) > query.limit
        hits = hits[:query.limit]
        total = int(answer.get("estimatedTotalHits", answer.get("totalHits", len(hits))))
        distribution = answer.get("facetDistribution") or {}
        facets = {name: _facet_counts(distribution.get(facet_attribute(name, query.filters),
                                                       {}))
                  for name in query.facets}
        return SearchResult(hits, min(total, TOTAL_BOUND), total < TOTAL_BOUND, facets,
                            encode_cursor(sort, offset + query.limit) if more else None)

    def health(self, session: Session) -> dict[str, Any]:
        state = self.client.health()
        return {"backend": "meilisearch", "ok": state.get("status") == "available",
                "status": state.get("status"), "index": self.index_uid}


def _lacks_settings(current: dict[str, Any]) -> bool:
    """Whether an index's settings (as ``GET /indexes/{uid}/settings`` answers) miss a
    filterable or sortable attribute a search may send. Meilisearch 1.14+ may answer a
    filterable attribute as ``{"attributePatterns": [...], ...}``."""
    filterable: set[str] = set()
    for item in current.get("filterableAttributes") or ():
        filterable.update(item.get("attributePatterns", ()) if isinstance(item, dict)
                          else (item,))
    return not (set(FILTERABLE) <= filterable
                and set(SORTABLE) <= set(current.get("sortableAttributes") or ()))


def meili_document(doc: SearchDocument, channels: Sequence[str]) -> dict[str, Any]:
    status: dict[str, str] = {}
    completeness: dict[str, dict[str, int]] = {}
    completeness_min: dict[str, int] = {}
    bands: dict[str, str] = {}  # the completeness facet's values (band_of)
    locale_bands: dict[str, dict[str, str]] = {}
    has_errors: dict[str, bool] = {}
    changed: dict[str, bool] = {}
    for code in channels:
        state = doc.channels.get(code, {})
        key = channel_key(code)
        per_locale = state.get("completeness", {})
        if per_locale:  # carried (completeness rows): a product outside has no status there
            status[key] = state.get("status", DRAFT)
        completeness[key] = per_locale
        if per_locale:
            completeness_min[key] = min(per_locale.values())
            bands[key] = band_of(completeness_min[key])
            locale_bands[key] = {locale: band_of(percent)
                                 for locale, percent in per_locale.items()}
        has_errors[key] = bool(state.get("has_errors"))
        changed[key] = bool(state.get("changed_since_published"))
    return {
        "id": doc.product_id, "sku": doc.sku, "identifiers": doc.identifiers,
        "name": list(dict.fromkeys(doc.names.values())), "labels": doc.names,
        "body": doc.body, "family": doc.family, "categories": doc.categories,
        "enabled": doc.enabled, "terms": doc.terms, "status": status,
        "completeness": completeness, "completeness_min": completeness_min,
        "completeness_band": bands, "completeness_band_locale": locale_bands,
        "has_errors": has_errors, "changed_since_published": changed,
        "created_at": int(doc.created_at.timestamp()),
        "updated_at": int(doc.updated_at.timestamp()),
    }


def facet_attribute(name: str, filters: SearchFilters) -> str:
    if name == "category":
        return "categories"
    if name in CHANNEL_FACETS:
        if not filters.channel:
            from pim.errors import Invalid

            raise Invalid(f"the {name} facet needs a channel", errors=[
                {"field": "channel", "message": f"required with the {name} facet"}])
        key = channel_key(filters.channel)
        if name == "completeness":
            return (f"completeness_band_locale.{key}.{channel_key(filters.locale)}"
                    if filters.locale else f"completeness_band.{key}")
        return f"{name}.{key}"
    if name in ("family", "enabled"):
        return name
    return f"terms.{name}"


def meili_filters(session: Session, f: SearchFilters) -> list[str]:
    """The filters as Meilisearch filter expressions (ANDed), every value quoted."""
    from pim.errors import Invalid, NotFound

    if f.needs_channel and not f.channel:
        raise Invalid("status, completeness and error filters need a channel",
                      errors=[{"field": "channel", "message": "required with these filters"}])
    for status in f.status:
        if status not in WORKFLOW_STATUSES:
            raise Invalid.not_one_of("status", status, WORKFLOW_STATUSES, "workflow status")
    if f.channel and session.get(Channel, f.channel) is None:
        raise NotFound(f"channel {f.channel!r} does not exist")
    expressions: list[str] = []

    def any_of(attribute: str, values: Sequence[str]) -> None:
        expressions.append(f"{attribute} IN [{', '.join(quoted(v) for v in values)}]")

    if f.family:
        any_of("family", f.family)
    if f.category:
        any_of("categories", f.category)
    if f.enabled is not None:
        expressions.append(f"enabled = {'true' if f.enabled else 'false'}")
    if f.updated_since is not None:
        expressions.append(f"updated_at >= {int(f.updated_since.timestamp())}")
    for code, options in f.attributes:
        any_of(f"terms.{code}", options)
    if f.channel:
        key = channel_key(f.channel)
        if f.status:
            any_of(f"status.{key}", f.status)
        scope = (f"completeness.{key}.{channel_key(f.locale)}" if f.locale
                 else f"completeness_min.{key}")
        if f.completeness_below is not None:
            expressions.append(f"{scope} < {int(f.completeness_below)}")
        if f.completeness_above is not None:
            expressions.append(f"{scope} >= {int(f.completeness_above)}")
        if f.has_errors is not None:
            expressions.append(f"has_errors.{key} = {'true' if f.has_errors else 'false'}")
        if f.changed_since_published is not None:
            expressions.append(f"changed_since_published.{key} = "
                               f"{'true' if f.changed_since_published else 'false'}")
    return expressions


def _hit(raw: dict[str, Any], identifier: str, has_text: bool) -> SearchHit:
    identifiers = [fold(str(i)) for i in raw.get("identifiers") or ()]
    match: str | None = "text" if has_text else None
    if identifier and identifier in identifiers:
        match = "sku"
    elif identifier and any(i.startswith(identifier) for i in identifiers):
        match = "prefix"
    return SearchHit(int(raw["id"]), raw["sku"], raw.get("family"), bool(raw.get("enabled")),
                     raw.get("labels") or {}, _moment(raw.get("created_at")),
                     _moment(raw.get("updated_at")), match)


def _moment(seconds: Any) -> datetime:
    return datetime.fromtimestamp(int(seconds or 0), UTC)


def _facet_counts(distribution: dict[str, int]) -> list[FacetCount]:
    counts = sorted(distribution.items(), key=lambda item: (-item[1], item[0]))
    return [FacetCount(value, int(count)) for value, count in counts[:FACET_VALUES]]
