"""``pim search``: search from the shell, rebuild the index, check it.

``pim search QUERY [--filter k=v ...] [--facets family,category] [--sort S] [--json]``
searches (a first argument that is no subcommand is the query; ``pim search query
reindex`` searches for the word); ``pim search reindex`` rebuilds every document as a job
with progress while the hub serves; ``pim search index`` indexes what is pending now;
``pim search health`` says whether the backend answers.
"""

from __future__ import annotations

from typing import Any

import click

from pim.auth.actor import cli_operator
from pim.cli_support import as_json, command_reader, refusals_reported
from pim.db import session_factory
from pim.jobs import enqueue, run_inline
from pim.search import service
from pim.search.indexing import SEARCH_REINDEX
from pim.search.query import SearchResult


class _QueryByDefault(click.Group):
    """``pim search WORDS``: what is not a subcommand is the query."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["query", *args]
        return super().parse_args(ctx, args)


@click.group("search", cls=_QueryByDefault)
def search_group() -> None:
    """Search products (pim search QUERY ...), rebuild or check the index."""


@search_group.command("query")
@click.argument("words", nargs=-1)
@click.option("--filter", "-f", "filters", multiple=True, metavar="NAME=VALUE",
              help="family=, category=, channel=, status=, completeness_below=, enabled=, "
                   "an attribute (colour=red,navy)...; repeatable.")
@click.option("--facets", default=None, help="Comma-separated: family,category,status,...")
@click.option("--sort", default=None, help="relevance, -updated_at, sku, ...")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--cursor", default=None, help="next_cursor of a previous page.")
@click.option("--json", "as_json_output", is_flag=True, help="The result as JSON.")
def search_query(words: tuple[str, ...], filters: tuple[str, ...], facets: str | None,
                 sort: str | None, limit: int, cursor: str | None,
                 as_json_output: bool) -> None:
    """Search products: words, a SKU or GTIN (whole or a fragment); none lists the newest."""
    named: dict[str, list[str]] = {}
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--filter")
        named.setdefault(name.strip(), []).append(value)
    with command_reader() as session:
        query = service.build_query(session, text=" ".join(words), filters=named,
                                    facets=facets, sort=sort, limit=limit, cursor=cursor)
        result = service.search(session, query)
    click.echo(as_json(_plain(result)) if as_json_output else _table(result))


def _plain(result: SearchResult) -> dict[str, Any]:
    return {"items": [{"sku": h.sku, "family": h.family, "enabled": h.enabled,
                       "labels": h.labels, "updated_at": h.updated_at, "match": h.match}
                      for h in result.items],
            "total": result.total, "total_exact": result.total_exact,
            "facets": {name: [{"value": f.value, "count": f.count} for f in counts]
                       for name, counts in result.facets.items()},
            "next_cursor": result.next_cursor}


def _table(result: SearchResult) -> str:
    lines = []
    for hit in result.items:
        label = hit.labels.get("en_GB") or next(iter(hit.labels.values()), "")
        lines.append(f"{hit.sku:<24} {hit.family or '-':<16} "
                     f"{'' if hit.enabled else '(disabled) '}{label}")
    total = f"{result.total}" if result.total_exact else f"more than {result.total}"
    lines.append(f"{len(result.items)} shown of {total}")
    for name, counts in result.facets.items():
        lines.append(f"{name}: " + ", ".join(f"{f.value or '(none)'} {f.count}"
                                             for f in counts))
    if result.next_cursor:
        lines.append(f"next page: --cursor {result.next_cursor}")
    return "\n".join(lines)


@search_group.command("reindex")
@click.option("--background", is_flag=True,
              help="Enqueue the job for a worker and return at once (prints its id).")
def search_reindex(background: bool) -> None:
    """Rebuild every product's search document, while the hub serves."""
    operator = cli_operator().name
    if background:
        with refusals_reported():
            click.echo(enqueue(SEARCH_REINDEX, {}, created_by=operator))
        return
    job = run_inline(SEARCH_REINDEX, {}, created_by=operator)
    if job.status != "succeeded":
        raise click.ClickException(f"search reindex {job.status}: {job.error}")


@search_group.command("index")
def search_index() -> None:
    """Index the products changed since the last indexing, now."""
    with refusals_reported():
        click.echo(f"{service.index_pending(session_factory())} products indexed")


@search_group.command("health")
def search_health() -> None:
    """The search backend's state (exit status 1 when it does not answer)."""
    with command_reader() as session:
        state = service.health(session)
    click.echo(as_json(state))
    if not state.get("ok"):
        raise SystemExit(1)


COMMANDS = [search_group]
