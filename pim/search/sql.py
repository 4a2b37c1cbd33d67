"""The SQL search backend: SQLite FTS5 or PostgreSQL tsvector, on the hub's own database.

One query shape on both engines. The *hits* of a text are the union of a full-text match
of its words (every word, each as a prefix) and, when the text can be an identifier, its
fragment in the identifiers (SQLite: the FTS5 trigram table; PostgreSQL: pg_trgm over the
identifiers and names). Hits are ranked in tiers: the SKU or an identifier equal to the
text, then one starting with it, then an identifier fragment, then text relevance (bm25
with identifiers weighted over names over the rest; ts_rank with weights A, B, D), then
recency. Filters are conditions on the document row; workflow filters and the status facet
read the workflow's own tables live, so a status change needs no reindex, and count only
the products the channel carries (one outside its assortment has no status there). Facets
are grouped counts over the filtered set; the total is exact up to ``TOTAL_BOUND``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

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
    cast,
    column,
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
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Join

from pim.catalog.models import Product
from pim.db import chunks, insert_many, utcnow
from pim.errors import Invalid, NotFound
from pim.search.documents import SearchDocument
from pim.search.models import SearchDocument as DocumentRow
from pim.search.models import SearchTerm
from pim.search.query import (
    BAND_FLOORS,
    CHANNEL_FACETS,
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
    """Rewrite the text index entries whose text changed. An FTS5 row is rewritten by
    deleting it (which tokenizes the old text again) and inserting it: for a full reindex,
    where most documents read as they did, that was most of the writing, and all of it
    could be skipped."""
    connection = session.connection()
    stored = {rowid: (identifiers, name, body) for rowid, identifiers, name, body in
              connection.exec_driver_sql(
                  "SELECT rowid, identifiers, name, body FROM search_fts WHERE rowid IN "
                  "(SELECT value FROM json_each(?))", (orjson.dumps(ids).decode(),))}
    changed = [(i, text_) for i, text_ in zip(ids, folded, strict=True)
               if stored.get(i) != text_]
    if not changed:
        return
    keys = [(i,) for i, _ in changed]
    connection.exec_driver_sql("DELETE FROM search_fts WHERE rowid = ?", keys)
    connection.exec_driver_sql("DELETE FROM search_grams WHERE rowid = ?", keys)
    connection.exec_driver_sql(
        "INSERT INTO search_fts (rowid, identifiers, name, body) VALUES (?, ?, ?, ?)",
        [(i, *text_) for i, text_ in changed])
    connection.exec_driver_sql(
        "INSERT INTO search_grams (rowid, identifiers) VALUES (?, ?)",
        [(i, identifiers) for i, (identifiers, _, _) in changed])


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
    words = words_of(query.text)
    if (not result.items and query.cursor is None and words
            and session.get_bind().dialect.name == "postgresql"
            and not _words_anywhere(session, words)):
        # Nothing matched as typed: PostgreSQL tries the words as misspelt (pg_trgm word
        # similarity over the names, "speakr" finds "speaker"). SQLite has no such index.
        # Not when the words are in the catalog and only the filters left nothing
        # ("gasket" among apparel): they are spelt right, and the similarity pass reads
        # every name.
        return _run_search(session, query, similar=True)
    return result


def _words_anywhere(session: Session, words: list[str]) -> bool:
    """PostgreSQL: whether any document holds every word (one GIN probe)."""
    return session.execute(select(literal(1)).select_from(D).where(
        D.c.tsv.op("@@")(_tsquery(words, ""))).limit(1)).first() is not None


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
    if (dialect == "sqlite" and sort == "relevance" and words and not conditions
            and not query.facets and not similar):
        counted = _fts_count(session, words)
        if counted > BM25_MATCHES:
            return _broad_text_search(session, query, words, fragment, counted)
    else:
        counted = None
    if dialect == "sqlite" and fragment and words and not _in_identifiers(session, fragment):
        # No identifier holds the text (a word, not a SKU): the hits are the words' matches
        # alone, not a union with the fragment's to group by id (most of a filtered word
        # search's work, grouping thousands of ids).
        fragment = ""
    matches: int | None = counted
    hits = None
    if has_text:
        scored = sort == "relevance" and (dialect == "postgresql" or (
            matches <= BM25_MATCHES if matches is not None else _few_matches(session, words)))
        hits = (_similar_hits(words) if similar
                else _hits(dialect, words, fragment, scored=scored))

    # SQLite: the text's matches drive the join, each document looked up by id. "+ 0"
    # keeps the planner from the other order, where a filter's index (family) drives and
    # the text match runs again for every document it yields (thousands of FTS5 queries).
    matched_id = hits.c.id + 0 if hits is not None and dialect == "sqlite" else None

    def base(*columns: Any) -> Select[Any]:
        statement = select(*columns).select_from(D)
        if hits is not None:
            statement = statement.join(hits, (hits.c.id if matched_id is None else matched_id)
                                       == D.c.product_id)
        return statement.where(*conditions)

    def matching_ids() -> Select[Any]:
        # Counting text matches needs no document (a match always has one: both are
        # written and deleted together); filters do.
        if hits is not None and not conditions:
            return select(hits.c.id)
        return base(D.c.product_id)

    position = decode_cursor(query.cursor, sort)
    page, next_position = _page(base, hits, sort, position, query.limit)
    if (hits is not None or conditions) and query.facets:
        # Total and facets in one statement over the matches found once; the page from
        # them too when ranked by relevance (a field sort pages along its index).
        ranked_page = hits is not None and sort == "relevance"
        total, exact, facets, found = _counted_matches(
            session, base, query, hits if ranked_page else None,
            position if isinstance(position, int) else 0)
        ranked: Sequence[Any] = found if ranked_page else session.execute(page).all()
    else:
        ranked = session.execute(page).all()
        first_page = len(ranked) if not position else None  # None: a later page
        facets = {}
        if matches is not None and not fragment and not conditions:
            total, exact = min(matches, TOTAL_BOUND), matches <= TOTAL_BOUND
        elif not query.count_total and not query.facets:
            total, exact = len(ranked), first_page is not None and first_page <= query.limit
        elif hits is not None or conditions:
            total, exact = _total(session, matching_ids(), first_page, query.limit)
        else:
            total, exact, facets = _every_facet(session, matching_ids(), first_page, query)
    more = len(ranked) > query.limit
    ranked = ranked[:query.limit]
    items = _hits_of(session, ranked)
    next_cursor = None
    if more and items:
        next_cursor = encode_cursor(sort, next_position(items[-1]))
    return SearchResult(items, total, exact, facets, next_cursor)


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


def _in_identifiers(session: Session, fragment: str) -> bool:
    """SQLite: whether some identifier holds ``fragment`` (one trigram index probe)."""
    return session.execute(text(
        "SELECT 1 FROM search_grams WHERE identifiers GLOB :pattern LIMIT 1"),
        {"pattern": "*" + _escape_glob(fragment) + "*"}).first() is not None


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
            # One pass over the words' matches; those in an identifier or a name (tier 3)
            # are found by probing that match's rowids (read once), not by a second pass
            # and a grouping of both.
            score = literal_column(_BM25) if scored else literal(0.0)
            in_names = text("search_fts.rowid IN (SELECT named.rowid FROM search_fts AS named "
                            "WHERE named.search_fts MATCH :named_match)").bindparams(
                named_match=_fts_match(words, "identifiers name"))
            parts.append(select(literal_column("search_fts.rowid").label("id"),
                                case((in_names, 3), else_=4).label("tier"), score.label("score"))
                         .select_from(text("search_fts"))
                         .where(text("search_fts MATCH :match").bindparams(
                             match=_fts_match(words))))
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


def _fts_count(session: Session, words: list[str]) -> int:
    """How many products hold every word, counted up to one over ``TOTAL_BOUND``."""
    return session.execute(text(
        "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH :match "
        f"LIMIT {TOTAL_BOUND + 1})"), {"match": _fts_match(words)}).scalar_one()


def _broad_text_search(session: Session, query: SearchQuery, words: list[str], fragment: str,
                       matches: int) -> SearchResult:
    """SQLite, relevance order of a text with more matches than bm25 ranks (``matches``),
    no filter and no facet: the ranking of ``_hits`` without sorting every match. The tiers
    are read one after the other, each as far as the page needs: identifier fragments
    (0-2, few), then every word in an identifier or a name (3), then anywhere (4), tiers
    3 and 4 newest first along the recency index, each document's id tested against the
    match's rowids (read once)."""
    position = decode_cursor(query.cursor, "relevance")
    offset = position if isinstance(position, int) else 0
    named = _fts_ids(_fts_match(words, "identifiers name"), "named_match")
    anywhere = _fts_ids(_fts_match(words), "anywhere_match")
    tested = D.c.product_id + 0  # "+ 0": tested, never looked up by (keeps the index order)
    newest = (D.c.updated_at.desc(), D.c.product_id.desc())
    segments: list[tuple[Select[Any], Select[Any]]] = []  # (rows in order, their count)
    outside: list[ColumnElement[bool]] = []  # not in an earlier tier
    if fragment:
        grams = (text("SELECT rowid FROM search_grams WHERE identifiers GLOB :pattern")
                 .bindparams(pattern="*" + _escape_glob(fragment) + "*")
                 .columns(column("rowid", Integer)))
        tier = _identifier_tier(func.instr, D.c.identifiers, fragment)
        segments.append((select(D.c.product_id, tier).where(D.c.product_id.in_(grams))
                         .order_by(literal_column("tier"), *newest),
                         select(func.count()).select_from(D)
                         .where(D.c.product_id.in_(grams))))
        outside.append(tested.not_in(grams))
    for tier_, source, others in ((3, named, []), (4, anywhere, [tested.not_in(named)])):
        segments.append((select(D.c.product_id, literal(tier_).label("tier"))
                         .where(tested.in_(source), *others, *outside).order_by(*newest),
                         select(func.count()).select_from(D)  # counted by id lookups
                         .where(D.c.product_id.in_(source), *others, *outside)))
    wanted = query.limit + 1
    ranked: list[Any] = []
    skip = offset
    for rows, count in segments:
        found = session.execute(rows.limit(wanted - len(ranked)).offset(skip)).all()
        ranked += found
        if len(ranked) >= wanted:
            break
        size = skip + len(found) if found or not skip else (session.scalar(count) or 0)
        skip = max(0, skip - size)
    total = matches
    if fragment:  # identifiers holding the fragment but not every word
        total += session.scalar(select(func.count()).select_from(
            select(column("rowid")).select_from(text("search_grams"))
            .where(text("search_grams.identifiers GLOB :pattern").bindparams(
                pattern="*" + _escape_glob(fragment) + "*"),
                column("rowid").not_in(anywhere))
            .limit(TOTAL_BOUND + 1).subquery())) or 0
    more = len(ranked) > query.limit
    items = _hits_of(session, ranked[:query.limit])
    return SearchResult(items, min(total, TOTAL_BOUND), total <= TOTAL_BOUND, {},
                        encode_cursor("relevance", offset + query.limit) if more and items
                        else None)


def _fts_ids(match: str, name: str):
    """The rowids of an FTS5 match (``name``: its parameter's)."""
    return (text(f"SELECT rowid FROM search_fts WHERE search_fts MATCH :{name}")
            .bindparams(**{name: match}).columns(column("rowid", Integer)))


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


def _total(session: Session, matching: Select[Any], first_page: int | None, limit: int
           ) -> tuple[int, bool]:
    if first_page is not None and first_page <= limit:
        return first_page, True  # the first page holds every match
    bounded = matching.limit(TOTAL_BOUND + 1).subquery()
    count = session.scalar(select(func.count()).select_from(bounded)) or 0
    return min(count, TOTAL_BOUND), count <= TOTAL_BOUND


_TOTAL = ""  # the facet name of the matching products' count (no facet has it)
_PAGE = " page"  # the page's rows (_counted_matches; no facet name has a space)


class Ranked(NamedTuple):
    product_id: int
    tier: int | None


def _counted_matches(session: Session, base, query: SearchQuery, hits: Any, offset: int
                     ) -> tuple[int, bool, dict[str, list[FacetCount]], list[Ranked]]:
    """The total and every facet of a filtered search in one statement: the matching
    products are found once (a materialized CTE of their id, family and enabled) and each
    facet is a grouped count over them. With ``hits`` (a relevance order), the page too:
    its ids and tiers, ``offset`` on."""
    columns = [D.c.product_id, D.c.family, D.c.enabled]
    if hits is not None:
        columns += [hits.c.tier, hits.c.score, D.c.updated_at]
    matching = base(*columns).cte("matching").prefix_with("MATERIALIZED")
    counts = _facet_counts(session, matching, query.facets, query.filters, with_total=True,
                           page=(offset, query.limit + 1) if hits is not None else None)
    total = counts.pop(_TOTAL)[0][1]
    # A page row is (its id, position * 8 + tier): one row shape for every part.
    ranked = [Ranked(int(value), packed % 8)
              for value, packed in sorted(counts.pop(_PAGE, []), key=lambda row: row[1])]
    return (min(total, TOTAL_BOUND), total <= TOTAL_BOUND, _facets_of(counts, total),
            ranked)


def _every_facet(session: Session, matching: Select[Any], first_page: int | None,
                 query: SearchQuery) -> tuple[int, bool, dict[str, list[FacetCount]]]:
    """The total and the facets of an unfiltered search: over every document (the facets
    from their own indexes)."""
    if not query.facets:
        return (*_total(session, matching, first_page, query.limit), {})
    counts = _facet_counts(session, D, query.facets, query.filters,
                           with_total="has_errors" in query.facets)
    if _TOTAL in counts:
        every = counts.pop(_TOTAL)[0][1]
        total, exact = min(every, TOTAL_BOUND), every <= TOTAL_BOUND
    else:
        every = 0
        total, exact = _total(session, matching, first_page, query.limit)
    return total, exact, _facets_of(counts, every)


def _facet_counts(session: Session, matching: Any, names: Sequence[str],
                  filters: SearchFilters, *, with_total: bool,
                  page: tuple[int, int] | None = None) -> dict[str, list[tuple[Any, int]]]:
    """facet name -> [(value, count)] over ``matching`` (the search_documents table: every
    product; or a CTE of the matching ones), in one statement."""
    every = matching is D
    ids = select(matching.c.product_id)
    parts: list[Any] = [_facet_statement(session, name, matching, every, ids, filters)
                        for name in names]
    if with_total:
        parts.append(select(literal(_TOTAL).label("facet"), literal(None, String).label("value"),
                            func.count().label("n")).select_from(matching))
    if page is not None:  # (offset, count) of the relevance order
        # The page's rows found by a bounded sort of the matching ones; numbered after
        # (a window over every match would sort them all).
        ordered = (select(matching.c.product_id, matching.c.tier, matching.c.score,
                          matching.c.updated_at)
                   .order_by(matching.c.tier, matching.c.score, matching.c.updated_at.desc(),
                             matching.c.product_id.desc())
                   .limit(page[1]).offset(page[0]).subquery("page"))
        position = func.row_number().over(order_by=(
            ordered.c.tier, ordered.c.score, ordered.c.updated_at.desc(),
            ordered.c.product_id.desc()))
        parts.append(select(literal(_PAGE).label("facet"),
                            cast(ordered.c.product_id, String).label("value"),
                            (position * 8 + ordered.c.tier).label("n")))
    counts: dict[str, list[tuple[Any, int]]] = {name: [] for name in names}
    statement: Any = parts[0]
    if len(parts) > 1:
        statement = union_all(*parts)
    for facet, value, n in session.execute(statement):
        counts.setdefault(facet, []).append((value, n))
    return counts


def _facet_statement(session: Session, name: str, matching: Any, every: bool, ids: Any,
                     filters: SearchFilters) -> Any:
    """(facet, value, count) rows of one facet over ``matching``."""
    facet = literal(name).label("facet")
    count = func.count().label("n")
    if name in CHANNEL_FACETS and not filters.channel:
        raise Invalid(f"the {name} facet needs a channel", errors=[
            {"field": "channel", "message": f"required with the {name} facet"}])
    if name == "family":
        return (select(facet, matching.c.family.label("value"), count).select_from(matching)
                .group_by(matching.c.family))
    if name == "enabled":
        value = case((matching.c.enabled == true(), literal("true")), else_=literal("false"))
        return select(facet, value.label("value"), count).select_from(matching).group_by(value)
    if name == "status":  # within the channel's assortment: a product not carried is in none
        status = func.coalesce(S.c.status, DRAFT)
        return (select(facet, status.label("value"), count)
                .select_from(matching.outerjoin(S, and_(
                    S.c.product_id == matching.c.product_id,
                    S.c.channel_code == filters.channel)))
                .where(carried(filters.channel, matching.c.product_id))
                .group_by(status))
    scope = _completeness_scope(filters)
    if not every:
        scope.append(C.c.product_id.in_(ids))
    if name == "completeness":
        lowest = func.min(C.c.percent)
        # band_of in SQL: the highest band whose floor the lowest locale reaches
        band = case(*((lowest >= floor, literal(code)) for code, floor in BAND_FLOORS[:-1]),
                    else_=literal(BAND_FLOORS[-1][0]))
        banded = (select(band.label("value")).where(*scope).group_by(C.c.product_id)
                  .subquery("banded"))
        return select(facet, banded.c.value, count).group_by(banded.c.value)
    if name == "has_errors":  # "false": the matching products less these (_facets_of)
        erring = (select(C.c.product_id).where(*scope, _errors_length(session)(C.c.errors) > 0)
                  .distinct().subquery("erring"))
        return select(facet, literal("true").label("value"), count).select_from(erring)
    if not every and session.get_bind().dialect.name == "sqlite":
        # Driven by the matching products, each a lookup of its rows of this field in the
        # primary key (product, field, value), not by every product's terms through the
        # (field, value) index, which SQLite's planner otherwise picks.
        driven = _CrossJoin(matching, T, and_(T.c.product_id == matching.c.product_id,
                                              T.c.field == name))
        return (select(facet, T.c.value.label("value"), count).select_from(driven)
                .group_by(T.c.value))
    statement = select(facet, T.c.value.label("value"), count).where(T.c.field == name)
    if not every:
        statement = statement.where(T.c.product_id.in_(ids))
    return statement.group_by(T.c.value)


class _CrossJoin(Join):
    """A join whose left side drives: SQLite's CROSS JOIN, which its planner never
    reorders (a plain join elsewhere)."""

    inherit_cache = True


@compiles(_CrossJoin, "sqlite")
def _cross_join(join: _CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    return (f"{compiler.process(join.left, **kw)} CROSS JOIN "
            f"{compiler.process(join.right, **kw)} ON {compiler.process(join.onclause, **kw)}")


def _facets_of(counts: dict[str, list[tuple[Any, int]]], total: int
               ) -> dict[str, list[FacetCount]]:
    """The counted values of each facet, most frequent first, at most ``FACET_VALUES``."""
    facets: dict[str, list[FacetCount]] = {}
    for name, values in counts.items():
        if name == "has_errors":
            erring = sum(n for _, n in values)
            values = [(flag, n) for flag, n in (("true", erring), ("false", total - erring))
                      if n]
        found = [FacetCount(_facet_value(value), n) for value, n in values
                 if value is not None or name == "family"]
        found.sort(key=lambda f: (-f.count, f.value))
        facets[name] = found[:FACET_VALUES]
    return facets


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
        conditions.append(carried(f.channel, D.c.product_id))
        in_status = exists(status_row.where(S.c.status.in_(f.status)))
        # A product the channel has no status row for is a draft there.
        conditions.append(or_(in_status, ~exists(status_row)) if DRAFT in f.status
                          else in_status)
    if f.changed_since_published is not None:
        changed = exists(status_row.where(S.c.changed_since_published == true()))
        conditions.append(changed if f.changed_since_published else ~changed)
    scope = [C.c.product_id == D.c.product_id, *_completeness_scope(f)]
    if f.completeness_below is not None:
        conditions.append(exists(select(C.c.product_id).where(
            *scope, C.c.percent < f.completeness_below)))
    if f.completeness_above is not None:
        conditions.append(exists(select(C.c.product_id).where(*scope)))
        conditions.append(~exists(select(C.c.product_id).where(
            *scope, C.c.percent < f.completeness_above)))
    if f.has_errors is not None:
        erring = exists(select(C.c.product_id).where(
            *scope, _errors_length(session)(C.c.errors) > 0))
        conditions.append(erring if f.has_errors else ~erring)
    return conditions


def carried(channel: str | None, product_id: Any) -> ColumnElement[bool]:
    """Whether ``channel``'s assortment holds the product: it has completeness rows there
    (``pim.workflow.completeness`` writes none for a product outside). Statuses count and
    filter among these only: a product the channel does not carry is no draft there, as
    it is in no completeness band."""
    return exists(select(C.c.product_id).where(
        C.c.product_id == product_id, C.c.channel_code == channel,
        C.c.in_assortment == true()))


def _completeness_scope(f: SearchFilters) -> list[ColumnElement[bool]]:
    """The completeness rows the filters' channel (and locale) refer to."""
    scope = [C.c.channel_code == f.channel]
    if f.locale:
        scope.append(C.c.locale == f.locale)
    return scope


def _errors_length(session: Session):
    return (func.jsonb_array_length if session.get_bind().dialect.name == "postgresql"
            else func.json_array_length)
