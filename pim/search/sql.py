"""The SQL search backend: SQLite FTS5 or PostgreSQL tsvector, on the hub's own database.

One query shape on both engines. The *hits* of a text are the union of a full-text match
of its words (every word, each as a prefix) and, when the text can be an identifier, its
fragment in the identifiers (SQLite: the FTS5 trigram table; PostgreSQL: pg_trgm over the
identifiers and names). Hits are ranked in tiers: the SKU or an identifier equal to the
text, then one starting with it, then an identifier fragment, then text relevance (bm25
with identifiers weighted over names over the rest; ts_rank with weights A, B, D), then
recency. Filters are conditions on the document row; workflow filters and the status facet
read the workflow's own tables live, so a status change needs no reindex. Facets are
grouped counts over the filtered set; the total is exact up to ``TOTAL_BOUND``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from pim.catalog.models import Product
from pim.db import chunks, insert_many, utcnow
from pim.errors import Invalid, NotFound
from pim.search.documents import SearchDocument
from pim.search.models import SearchDocument as DocumentRow
from pim.search.models import SearchTerm
from pim.search.query import (
    FACET_VALUES,
    TOTAL_BOUND,
    WORD,
    FacetCount,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
    decode_cursor,
    encode_cursor,
    identifier_of,
    words_of,
)
from pim.workflow.models import WORKFLOW_STATUSES, Channel, Completeness, ProductChannelStatus
from pim.workflow.status import DRAFT

D = DocumentRow.__table__
T = SearchTerm.__table__
S = ProductChannelStatus.__table__
C = Completeness.__table__
_ID_CHUNK = 900
_DOCUMENT_COLUMNS = ("sku", "family", "enabled", "identifiers", "name", "labels",
                     "created_at", "updated_at", "indexed_at")
# bm25 weights of search_fts's columns: identifiers, name, body
_BM25 = "bm25(search_fts, 10.0, 4.0, 1.0)"
_MIN_FRAGMENT = 3  # trigram indexes need three characters


class SqlBackend:
    """Search in the hub's database (``PIM_MEILISEARCH_URL`` unset)."""

    name = "sql"
    needs_channels = False

    def index(self, session: Session, documents: Sequence[SearchDocument], *,
              target: Any = None) -> None:
        if documents:
            write_documents(session, documents)

    def delete(self, session: Session, product_ids: Sequence[int], *,
               target: Any = None) -> None:
        delete_documents(session, product_ids)

    def begin_reindex(self) -> Any:
        return None  # in place: each batch replaces its documents in one transaction

    def finish_reindex(self, session: Session, target: Any) -> None:
        """Drop text index entries whose document is gone (a deleted product's document
        and terms go with it, through their foreign keys; SQLite's FTS tables have none)."""
        if session.get_bind().dialect.name == "sqlite":
            for table in ("search_fts", "search_grams"):
                session.execute(text(f"DELETE FROM {table} WHERE rowid NOT IN "
                                     "(SELECT product_id FROM search_documents)"))

    def search(self, session: Session, query: SearchQuery) -> SearchResult:
        return run_search(session, query)

    def health(self, session: Session) -> dict[str, Any]:
        pending = session.scalar(select(func.count()).select_from(Product)
                                 .where(Product.search_dirty == true())) or 0
        return {"backend": f"sql ({session.get_bind().dialect.name})", "ok": True,
                "pending": pending}


# --- Writing documents.


def write_documents(session: Session, documents: Sequence[SearchDocument]) -> None:
    """Replace these products' documents, terms and text index entries."""
    ids = [doc.product_id for doc in documents]
    now = utcnow()
    folded = [(doc.folded_identifiers, doc.folded_name, doc.folded_body)
              for doc in documents]  # each folded once: most of a document's text
    rows = [{"product_id": doc.product_id, "sku": doc.sku, "family": doc.family,
             "enabled": doc.enabled, "identifiers": identifiers, "name": name,
             "labels": doc.names, "created_at": doc.created_at,
             "updated_at": doc.updated_at, "indexed_at": now}
            for doc, (identifiers, name, _) in zip(documents, folded, strict=True)]
    dialect = session.get_bind().dialect.name
    for chunk in chunks(ids, _ID_CHUNK):
        session.execute(delete(T).where(T.c.product_id.in_(chunk)))
    terms = [{"product_id": doc.product_id, "field": name, "value": value[:255]}
             for doc in documents for name, values in doc.terms.items()
             for value in dict.fromkeys(v[:255] for v in values)]
    if terms:
        insert_many(session, T, terms)
    if dialect == "postgresql":
        _write_postgres(session, rows, [body for _, _, body in folded])
    else:
        insert_many(session, D, rows, same_in_every_row=("indexed_at",),
                    renew_on_conflict=_DOCUMENT_COLUMNS)
        _write_sqlite_text(session, ids, folded)


def _write_sqlite_text(session: Session, ids: list[int],
                       folded: list[tuple[str, str, str]]) -> None:
    connection = session.connection()
    keys = [(i,) for i in ids]
    connection.exec_driver_sql("DELETE FROM search_fts WHERE rowid = ?", keys)
    connection.exec_driver_sql("DELETE FROM search_grams WHERE rowid = ?", keys)
    connection.exec_driver_sql(
        "INSERT INTO search_fts (rowid, identifiers, name, body) VALUES (?, ?, ?, ?)",
        [(i, *text_) for i, text_ in zip(ids, folded, strict=True)])
    connection.exec_driver_sql(
        "INSERT INTO search_grams (rowid, identifiers) VALUES (?, ?)",
        [(i, identifiers) for i, (identifiers, _, _) in zip(ids, folded, strict=True)])


def _tsvector(identifiers: Any, name: Any, body: Any) -> ColumnElement[Any]:
    simple: ColumnElement[Any] = literal_column("'simple'::regconfig")
    return (func.setweight(func.to_tsvector(simple, identifiers), literal_column("'A'"))
            .op("||")(func.setweight(func.to_tsvector(simple, name), literal_column("'B'")))
            .op("||")(func.setweight(func.to_tsvector(simple, body), literal_column("'D'"))))


_POSTGRES_UPSERT = postgresql_insert(D).values(
    {**{name: bindparam(name) for name in ("product_id", *_DOCUMENT_COLUMNS)},
     "tsv": _tsvector(bindparam("tsv_identifiers", type_=Text),
                      bindparam("tsv_name", type_=Text), bindparam("tsv_body", type_=Text))})
_POSTGRES_UPSERT = _POSTGRES_UPSERT.on_conflict_do_update(
    index_elements=[D.c.product_id],
    set_={name: _POSTGRES_UPSERT.excluded[name] for name in (*_DOCUMENT_COLUMNS, "tsv")})


def _write_postgres(session: Session, rows: list[dict[str, Any]], bodies: list[str]) -> None:
    # The text goes into the tsvector as the words a query is cut into (letters and digits),
    # so "SPK-1001" is "spk 1001" on both sides (PostgreSQL's parser reads "-1001" as a
    # negative number).
    params = [{**row, "tsv_identifiers": _words(row["identifiers"]),
               "tsv_name": _words(row["name"]), "tsv_body": _words(body)}
              for row, body in zip(rows, bodies, strict=True)]
    session.execute(_POSTGRES_UPSERT, params)


def _words(folded: str) -> str:
    return " ".join(WORD.findall(folded))


def delete_documents(session: Session, product_ids: Sequence[int]) -> None:
    dialect = session.get_bind().dialect.name
    for chunk in chunks(list(product_ids), _ID_CHUNK):
        session.execute(delete(T).where(T.c.product_id.in_(chunk)))
        session.execute(delete(D).where(D.c.product_id.in_(chunk)))
        if dialect == "sqlite":
            ids = [(i,) for i in chunk]
            connection = session.connection()
            connection.exec_driver_sql("DELETE FROM search_fts WHERE rowid = ?", ids)
            connection.exec_driver_sql("DELETE FROM search_grams WHERE rowid = ?", ids)


# --- Searching.


def run_search(session: Session, query: SearchQuery) -> SearchResult:
    result = _run_search(session, query, similar=False)
    if (not result.items and query.cursor is None and words_of(query.text)
            and session.get_bind().dialect.name == "postgresql"):
        # Nothing matched as typed: PostgreSQL tries the words as misspelt (pg_trgm word
        # similarity over the names, "speakr" finds "speaker"). SQLite has no such index.
        return _run_search(session, query, similar=True)
    return result


def _run_search(session: Session, query: SearchQuery, *, similar: bool) -> SearchResult:
    dialect = session.get_bind().dialect.name
    words, identifier = words_of(query.text), identifier_of(query.text)
    fragment = identifier if len(identifier) >= _MIN_FRAGMENT else ""
    has_text = bool(query.text.strip())
    sort = query.effective_sort
    if sort == "relevance" and not has_text:
        sort = "-updated_at"
    conditions = filter_conditions(session, query.filters)
    if has_text and not words and not fragment:
        return SearchResult([], 0, True, {name: [] for name in query.facets}, None)
    hits = None
    if has_text:
        scored = sort == "relevance" and (
            dialect == "postgresql" or _few_matches(session, words))
        hits = (_similar_hits(words) if similar
                else _hits(dialect, words, fragment, scored=scored))

    def base(*columns: Any) -> Select[Any]:
        statement = select(*columns).select_from(D)
        if hits is not None:
            statement = statement.join(hits, hits.c.id == D.c.product_id)
        return statement.where(*conditions)

    position = decode_cursor(query.cursor, sort)
    filtered = hits is not None or bool(conditions)
    if hits is not None and sort == "relevance":
        # Every match ranked once (ids only, at most the bound): the page is a slice of it,
        # the total its length, and facets count the ids instead of matching again.
        offset = position if isinstance(position, int) else 0
        ranked_all = session.execute(
            base(D.c.product_id, hits.c.tier)
            .order_by(hits.c.tier, hits.c.score, D.c.updated_at.desc(),
                      D.c.product_id.desc()).limit(TOTAL_BOUND + 1)).all()
        total, exact = min(len(ranked_all), TOTAL_BOUND), len(ranked_all) <= TOTAL_BOUND
        ranked = ranked_all[offset:offset + query.limit + 1]
        counted = (_id_base(dialect, [r.product_id for r in ranked_all]) if exact
                   else base)
        facets = {name: _facet(session, dialect, name, counted, filtered, query.filters)
                  for name in query.facets}

        def next_position(last: SearchHit) -> int:
            return offset + query.limit
    else:
        page, next_position = _page(base, hits, sort, position, query.limit)
        ranked = session.execute(page).all()
        total, exact = _total(session, base, len(ranked) if position is None else None,
                              query.limit)
        facets = {name: _facet(session, dialect, name, base, filtered, query.filters)
                  for name in query.facets}
    more = len(ranked) > query.limit
    ranked = ranked[:query.limit]
    items = _hits_of(session, ranked)
    next_cursor = None
    if more and items:
        next_cursor = encode_cursor(sort, next_position(items[-1]))
    return SearchResult(items, total, exact, facets, next_cursor)


def _id_base(dialect: str, ids: list[int]):
    """``base`` over a known list of product ids (a JSON array on SQLite, an array on
    PostgreSQL: one parameter however many)."""
    if dialect == "postgresql":
        source = select(func.unnest(bindparam("matched_ids", ids, type_=ARRAY(Integer))))
    else:
        source = select(literal_column("value")).select_from(
            func.json_each(bindparam("matched_ids", orjson.dumps(ids).decode(), type_=Text)))

    def base(*columns: Any) -> Select[Any]:
        return select(*columns).select_from(D).where(D.c.product_id.in_(source))

    return base


# bm25 costs ~30 us per matching row (it reads each match's column sizes): above this many
# matches the order within a tier is recency alone, which for a broad word among thousands
# of products is what a person expects anyway.
BM25_MATCHES = 2000


def _few_matches(session: Session, words: list[str]) -> bool:
    if not words:
        return True
    count = session.execute(text(
        "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH :match "
        f"LIMIT {BM25_MATCHES + 1})"), {"match": _fts_match(words)}).scalar_one()
    return count <= BM25_MATCHES


def _fts_match(words: list[str], columns: str = "") -> str:
    # A word holds letters and digits only (words_of): quoted, it is a string to FTS5,
    # never an operator; each is a prefix but single letters, which would read the whole
    # term list.
    match = " AND ".join(f'"{w}"*' if len(w) > 1 else f'"{w}"' for w in words)
    return f"{{{columns}}}: ({match})" if columns else match


def _hits(dialect: str, words: list[str], fragment: str, *, scored: bool):
    """(id, tier, score) per matching product; lower ranks first. Tiers: 0 the SKU or an
    identifier is the text, 1 one starts with it, 2 an identifier (PostgreSQL: or name)
    contains it, 3 every word in an identifier or a name, 4 every word anywhere."""
    parts = []
    if dialect == "postgresql":
        if fragment:
            pattern = "%" + _escape_like(fragment) + "%"
            parts.append(select(D.c.product_id.label("id"),
                                _identifier_tier(func.strpos, D.c.identifiers, fragment),
                                literal(0.0).label("score"))
                         .where(or_(D.c.identifiers.like(pattern, escape="\\"),
                                    D.c.name.like(pattern, escape="\\"))))
        if words:
            anywhere = _tsquery(words, "")
            named = _tsquery(words, "AB")
            score: ColumnElement[Any] = (-func.ts_rank(D.c.tsv, anywhere) if scored
                                         else literal(0.0))
            parts.append(select(D.c.product_id.label("id"),
                                case((D.c.tsv.op("@@")(named), 3), else_=4).label("tier"),
                                score.label("score")).where(D.c.tsv.op("@@")(anywhere)))
    else:
        if fragment:
            # GLOB, not LIKE: FTS5's trigram index serves LIKE only without ESCAPE, and
            # GLOB's wildcards can be quoted as one-character sets (identifiers are folded
            # to lower case already, so GLOB's case sensitivity loses nothing).
            grams: ColumnElement[Any] = literal_column("search_grams.identifiers")
            parts.append(select(literal_column("search_grams.rowid").label("id"),
                                _identifier_tier(func.instr, grams, fragment),
                                literal(0.0).label("score"))
                         .select_from(text("search_grams"))
                         .where(text("search_grams.identifiers GLOB :pattern")
                                .bindparams(pattern="*" + _escape_glob(fragment) + "*")))
        if words:
            score = literal_column(_BM25) if scored else literal(0.0)
            parts.append(_fts_hits(_fts_match(words, "identifiers name"), 3, score))
            parts.append(_fts_hits(_fts_match(words), 4, score))
    if len(parts) == 1:
        return parts[0].subquery("hits")
    union = union_all(*parts).subquery("matched")
    return (select(union.c.id, func.min(union.c.tier).label("tier"),
                   func.min(union.c.score).label("score"))
            .group_by(union.c.id).subquery("hits"))


def _similar_hits(words: list[str]):
    """PostgreSQL only: products whose names hold words similar to these (tier 5)."""
    typed = " ".join(words)
    return (select(D.c.product_id.label("id"), literal(5).label("tier"),
                   (-func.word_similarity(literal(typed, Text), D.c.name)).label("score"))
            .where(literal(typed, Text).op("<%")(D.c.name)).subquery("hits"))


def _fts_hits(match: str, tier: int, score: ColumnElement[Any]):
    return (select(literal_column("search_fts.rowid").label("id"), literal(tier).label("tier"),
                   score.label("score"))
            .select_from(text("search_fts"))
            .where(text("search_fts MATCH :match_" + str(tier)).bindparams(
                **{"match_" + str(tier): match})))


def _identifier_tier(position, identifiers: ColumnElement[Any], fragment: str):
    """0: an identifier is the text; 1: one starts with it; 2: one contains it."""
    return case((position(identifiers, " " + fragment + " ") > 0, 0),
                (position(identifiers, " " + fragment) > 0, 1), else_=2).label("tier")


def _tsquery(words: list[str], weights: str) -> ColumnElement[Any]:
    # A word holds letters and digits only (words_of): nothing tsquery reads as syntax.
    terms = " & ".join(f"{w}:*{weights}" if len(w) > 1 else f"{w}:{weights}" if weights
                       else w for w in words)
    return func.to_tsquery(literal_column("'simple'::regconfig"), literal(terms, String))


def _escape_glob(text_: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text_)


def _escape_like(text_: str) -> str:
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_SORT_COLUMNS = {"updated_at": D.c.updated_at, "created_at": D.c.created_at, "sku": D.c.sku}


def _page(base, hits, sort: str, position, limit: int):
    """The ids of one page (and their tier), in order; the next page's position."""
    if sort == "relevance":
        offset = position if isinstance(position, int) else 0
        statement = (base(D.c.product_id, hits.c.tier)
                     .order_by(hits.c.tier, hits.c.score, D.c.updated_at.desc(),
                               D.c.product_id.desc())
                     .limit(limit + 1).offset(offset))
        return statement, lambda last: offset + limit
    tier = hits.c.tier if hits is not None else literal(None)
    column = _SORT_COLUMNS[sort.lstrip("-")]
    descending = sort.startswith("-")
    statement = base(D.c.product_id, tier.label("tier"))
    if isinstance(position, tuple):
        value, product_id = position
        if descending:
            statement = statement.where(or_(column < value, and_(
                column == value, D.c.product_id < product_id)))
        else:
            statement = statement.where(or_(column > value, and_(
                column == value, D.c.product_id > product_id)))
    order = (column.desc(), D.c.product_id.desc()) if descending else (column, D.c.product_id)
    statement = statement.order_by(*order).limit(limit + 1)
    key = sort.lstrip("-")
    return statement, lambda last: (getattr(last, key), last.product_id)


_MATCHES = {0: "sku", 1: "prefix", 2: "fragment", 3: "text", 4: "text", 5: "similar"}
_HIT_COLUMNS = (D.c.product_id, D.c.sku, D.c.family, D.c.enabled, D.c.labels, D.c.created_at,
                D.c.updated_at)


def _hits_of(session: Session, ranked: Sequence[Any]) -> list[SearchHit]:
    """The page's documents, in the ranked order (fetched after ranking: only 50 rows)."""
    if not ranked:
        return []
    rows = {row.product_id: row for row in session.execute(
        select(*_HIT_COLUMNS).where(D.c.product_id.in_([r.product_id for r in ranked])))}
    return [SearchHit(row.product_id, row.sku, row.family, bool(row.enabled),
                      row.labels or {}, row.created_at, row.updated_at,
                      _MATCHES.get(r.tier) if r.tier is not None else None)
            for r in ranked if (row := rows.get(r.product_id)) is not None]


def _total(session: Session, base, first_page: int | None, limit: int) -> tuple[int, bool]:
    if first_page is not None and first_page <= limit:
        return first_page, True  # the first page holds every match
    bounded = base(D.c.product_id).limit(TOTAL_BOUND + 1).subquery()
    count = session.scalar(select(func.count()).select_from(bounded)) or 0
    return min(count, TOTAL_BOUND), count <= TOTAL_BOUND


def _facet(session: Session, dialect: str, name: str, base, filtered: bool,
           filters: SearchFilters) -> list[FacetCount]:
    matching = base(D.c.product_id)
    count = func.count().label("n")
    if name == "family":
        statement = base(D.c.family.label("value"), count).group_by(D.c.family)
    elif name == "enabled":
        statement = base(D.c.enabled.label("value"), count).group_by(D.c.enabled)
    elif name == "status":
        if not filters.channel:
            raise Invalid("the status facet needs a channel", errors=[
                {"field": "channel", "message": "required with the status facet"}])
        status = func.coalesce(S.c.status, DRAFT)
        statement = (select(status.label("value"), count).select_from(D)
                     .outerjoin(S, and_(S.c.product_id == D.c.product_id,
                                        S.c.channel_code == filters.channel))
                     .group_by(status))
        if filtered:
            statement = statement.where(D.c.product_id.in_(matching))
    else:
        field: ColumnElement[Any] = T.c.field
        if filtered and dialect == "sqlite":
            # Driven by the matching products (a primary-key lookup each), not by every
            # product's terms: the expression keeps SQLite off the (field, value) index.
            field = T.c.field + literal("")
        statement = (select(T.c.value.label("value"), count).where(field == name)
                     .group_by(T.c.value))
        if filtered:
            statement = statement.where(T.c.product_id.in_(matching))
    statement = statement.order_by(count.desc(), literal_column("value")).limit(FACET_VALUES)
    return [FacetCount(_facet_value(value), n) for value, n in session.execute(statement)
            if value is not None or name == "family"]


def _facet_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


# --- Filters.


def filter_conditions(session: Session, f: SearchFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.family:
        conditions.append(D.c.family.in_(f.family))
    if f.enabled is not None:
        conditions.append(D.c.enabled == (true() if f.enabled else false()))
    if f.updated_since is not None:
        conditions.append(D.c.updated_at >= f.updated_since)
    if f.category:
        conditions.append(_has_term("category", f.category))
    for code, options in f.attributes:
        conditions.append(_has_term(code, options))
    return conditions + _channel_conditions(session, f)


def _has_term(field: str, values: Sequence[str]) -> ColumnElement[bool]:
    return exists(select(T.c.product_id).where(
        T.c.product_id == D.c.product_id, T.c.field == field, T.c.value.in_(values)))


def _channel_conditions(session: Session, f: SearchFilters) -> list[ColumnElement[bool]]:
    if f.needs_channel and not f.channel:
        raise Invalid("status, completeness and error filters need a channel",
                      errors=[{"field": "channel", "message": "required with these filters"}])
    for status in f.status:
        if status not in WORKFLOW_STATUSES:
            raise Invalid.not_one_of("status", status, WORKFLOW_STATUSES, "workflow status")
    if not f.channel:
        return []
    if session.get(Channel, f.channel) is None:
        raise NotFound(f"channel {f.channel!r} does not exist")
    conditions: list[ColumnElement[bool]] = []
    status_row = select(S.c.product_id).where(S.c.product_id == D.c.product_id,
                                              S.c.channel_code == f.channel)
    if f.status:
        in_status = exists(status_row.where(S.c.status.in_(f.status)))
        # A product the channel has no status row for is a draft there.
        conditions.append(or_(in_status, ~exists(status_row)) if DRAFT in f.status
                          else in_status)
    if f.changed_since_published is not None:
        changed = exists(status_row.where(S.c.changed_since_published == true()))
        conditions.append(changed if f.changed_since_published else ~changed)
    scope = [C.c.product_id == D.c.product_id, C.c.channel_code == f.channel]
    if f.locale:
        scope.append(C.c.locale == f.locale)
    if f.completeness_below is not None:
        conditions.append(exists(select(C.c.product_id).where(
            *scope, C.c.percent < f.completeness_below)))
    if f.completeness_above is not None:
        conditions.append(exists(select(C.c.product_id).where(*scope)))
        conditions.append(~exists(select(C.c.product_id).where(
            *scope, C.c.percent < f.completeness_above)))
    if f.has_errors is not None:
        length = (func.jsonb_array_length if session.get_bind().dialect.name == "postgresql"
                  else func.json_array_length)
        erring = exists(select(C.c.product_id).where(*scope, length(C.c.errors) > 0))
        conditions.append(erring if f.has_errors else ~erring)
    return conditions


