"""Core commands: database, demo data, serving, products."""

from __future__ import annotations

import click

from pim.catalog.read import get_product
from pim.catalog.units import ensure_unit_families
from pim.catalog.versions import product_history, restore_product
from pim.cli_support import as_json, command_reader, command_session
from pim.db import session_factory
from pim.demo import load_demo
from pim.search import index_pending
from pim.workflow.completeness import refresh_dirty_completeness


@click.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations (and add the standard unit families)."""
    from pim import migrate  # lazily: Alembic loads only for the db commands, not every pim start

    migrate.upgrade(revision=revision)
    if revision == "head":
        with command_session() as session:
            ensure_unit_families(session)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.option("--revision", default="base", show_default=True)
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    from pim import migrate  # lazily: Alembic loads only for the db commands, not every pim start

    migrate.downgrade(revision=revision)
    click.echo(f"database at {revision}")


@click.command("demo")
@click.option("--products", "count", default=1000, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=1, show_default=True)
def demo_command(count: int, seed: int) -> None:
    """Load the demo catalog (only into a catalog without products)."""
    # rich (the progress bar) loads only for the commands that draw one.
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("demo products", total=count)
        written = load_demo(session_factory(), products=count, seed=seed,
                            progress=lambda done, total: progress.update(task, completed=done))
    if written:
        # Completeness and the search index now, so the first page opened shows the grid
        # and the dashboard filled: left to the job runner, they would wait behind the
        # demo images' renditions.
        factory = session_factory()
        refresh_dirty_completeness(factory)
        index_pending(factory)
        click.echo(f"demo catalog loaded: {written} products (seed {seed}), completeness "
                   "computed and search indexed")
    else:
        click.echo("catalog already has products: demo not loaded")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the web UI, the REST API, the feeds, the media and health."""
    # uvicorn loads only to serve; it imports the app itself (factory mode).
    import uvicorn

    uvicorn.run("pim.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=True)


@click.group("product")
def product_group() -> None:
    """Read products and their history."""


@product_group.command("get")
@click.argument("sku")
def product_get(sku: str) -> None:
    """Print the product as JSON (exit 1 when it does not exist)."""
    with command_reader() as session:
        product = get_product(session, sku)
    click.echo(as_json(product))


@product_group.command("history")
@click.argument("sku")
def product_history_command(sku: str) -> None:
    """One line per version: version, when, who, source, changed fields."""
    with command_reader() as session:
        for entry in product_history(session, sku):
            changes = entry.changes
            fields = ", ".join(d["field"] for d in changes[:6])
            more = f" (+{len(changes) - 6} more)" if len(changes) > 6 else ""
            click.echo(f"v{entry.version}\t{entry.changed_at:%Y-%m-%d %H:%M:%S}Z\t"
                       f"{entry.changed_by or '-'}\t{entry.source}\t{fields}{more}")


@product_group.command("restore")
@click.argument("sku")
@click.argument("version", type=int)
@click.option("--as", "actor", default="cli", show_default=True)
def product_restore(sku: str, version: int, actor: str) -> None:
    """Restore VERSION of SKU as a new version."""
    with command_session() as session:
        result = restore_product(session, sku, version, actor=actor, source="cli")
    click.echo(f"{sku}: {result.status}, now v{result.version}")


COMMANDS = [db_group, demo_command, serve_command, product_group]
