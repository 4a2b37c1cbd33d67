"""Workflow commands: channels, completeness and review transitions.

The CLI is the operator's tool: it acts as an admin named after the shell user.
"""

from __future__ import annotations

import click

from channels.definition import load_channel
from pim.auth.actor import cli_operator
from pim.cli_support import as_json, command_reader, command_session
from pim.db import session_factory
from pim.jobs import run_inline
from pim.workflow import transitions
from pim.workflow.channels import apply_channel, definition_json, get_channel, list_channels
from pim.workflow.completeness import (
    COMPLETENESS_RECOMPUTE,
    completeness_summary,
    pending_refresh_count,
    recompute_all,
    refresh_dirty_completeness,
)

# --- Channels.


@click.group("channel")
def channel_group() -> None:
    """Sales channels: definitions (and conflicts, ``pim.publishing.cli``)."""


@channel_group.command("apply")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def channel_apply(path: str) -> None:
    """Create or update a channel from a YAML/JSON definition; recompute its completeness
    when the definition or its schema changed."""
    try:
        definition = load_channel(path)
    except (ValueError, OSError) as error:
        raise click.ClickException(f"{path}: {error}") from None
    with command_session() as session:
        changed = apply_channel(session, definition)
    if not changed:
        click.echo(f"channel {definition.code}: unchanged")
        return
    click.echo(f"channel {definition.code}: applied; recomputing its completeness")
    job = run_inline(COMPLETENESS_RECOMPUTE, {"channels": [definition.code]},
                     created_by=cli_operator().name)
    if job.status != "succeeded":
        raise click.ClickException(f"completeness recompute {job.status}: {job.error}")


@channel_group.command("list")
def channel_list() -> None:
    """Every channel: code, kind, locales, currency."""
    with command_reader() as session:
        for channel in list_channels(session):
            click.echo(f"{channel.code:<20} {channel.kind:<12} {','.join(channel.locales):<20} "
                       f"{channel.currency}  {channel.label}")


@channel_group.command("show")
@click.argument("code")
def channel_show(code: str) -> None:
    """A channel's definition as JSON."""
    with command_reader() as session:
        click.echo(as_json(definition_json(get_channel(session, code))))


# --- Completeness.


@click.command("completeness")
@click.option("--channel", default=None, help="One channel only.")
@click.option("--recompute", is_flag=True, help="Recompute every product first.")
def completeness_command(channel: str | None, recompute: bool) -> None:
    """Per channel and locale: products, complete, average %, failing."""
    if recompute:
        done = recompute_all(session_factory(), channels=[channel] if channel else None)
        click.echo(f"completeness recomputed for {done} products")
    else:
        refresh_dirty_completeness(session_factory())
    with command_reader() as session:
        rows = completeness_summary(session, channel)
        pending = pending_refresh_count(session)
    click.echo(f"{'channel':<20} {'locale':<8} {'products':>9} {'complete':>9} "
               f"{'avg %':>6} {'failing':>8}")
    for row in rows:
        click.echo(f"{row['channel']:<20} {row['locale']:<8} {row['products']:>9} "
                   f"{row['complete']:>9} {row['average_percent']:>6} {row['failing']:>8}")
    if pending:
        click.echo(f"{pending} products wait for a completeness refresh")


# --- Review transitions.


@click.group("workflow")
def workflow_group() -> None:
    """Move products through review in a channel."""


def _transition(name: str):
    move = {"submit": transitions.submit_for_review, "approve": transitions.approve,
            "reject": transitions.reject}[name]

    @workflow_group.command(name)
    @click.option("--channel", required=True)
    @click.option("--sku", "skus", multiple=True, required=True)
    def command(channel: str, skus: tuple[str, ...]) -> None:
        with command_session() as session:
            moved = move(session, channel, list(skus), actor=cli_operator())
        for row in moved:
            click.echo(f"{row['sku']}: {row['status']} in {row['channel']}")

    command.__doc__ = f"{name.capitalize()} products in a channel."
    return command


for _name in ("submit", "approve", "reject"):
    _transition(_name)

COMMANDS = [channel_group, completeness_command, workflow_group]
