"""Publishing commands: ``pim publish``, ``pim withdraw``, ``pim feedkey``, ``pim export``,
``pim release`` and ``pim channel conflicts`` (a command of the workflow's channel group:
the conflict report reads published snapshots)."""

from __future__ import annotations

from pathlib import Path

import click

from pim.auth.actor import cli_operator
from pim.cli_support import (
    as_json,
    command_reader,
    command_session,
    parse_time,
    refusals_reported,
)
from pim.publishing.conflicts import channel_conflicts, conflicts_out
from pim.publishing.exports import write_feed_file
from pim.publishing.feedkeys import (
    create_feed_key,
    feed_key_out,
    list_feed_keys,
    revoke_feed_key,
)
from pim.publishing.release_cli import release_group
from pim.publishing.snapshots import publish, withdraw
from pim.workflow.cli import channel_group


def _print_report(report) -> None:
    click.echo(report.summary())
    if report.refused_total > len(report.refused):
        for reason, count in report.refused_by_reason.items():
            click.echo(f"  {count} refused: {reason}")
        click.echo(f"  the first {len(report.refused)} of them:")
    for refusal in report.refused:
        click.echo(f"  refused {refusal.sku}: {refusal.reason}")
        for error in refusal.errors:
            where = error.get("attribute") or error.get("field")
            click.echo(f"    {where} [{error.get('variant_locale')}]: {error['message']}")


@click.command("publish")
@click.option("--channel", required=True)
@click.option("--sku", "skus", multiple=True, help="Products to publish (approved ones).")
@click.option("--ready", is_flag=True,
              help="Publish what passes the schema without review (all, or the --sku given).")
def publish_command(channel: str, skus: tuple[str, ...], ready: bool) -> None:
    """Publish products to a channel now; lists what was refused and why."""
    if not skus and not ready:
        raise click.UsageError("give --sku (approved products) or --ready")
    with command_session() as session:
        report = publish(session, channel, list(skus) or None, ready=ready,
                         actor=cli_operator())
    _print_report(report)


@click.command("withdraw")
@click.option("--channel", required=True)
@click.option("--sku", "skus", multiple=True, required=True)
def withdraw_command(channel: str, skus: tuple[str, ...]) -> None:
    """Remove products from a channel; delta feeds (--since) say so, each format in its own
    way (a deleted column, a mode="delete" product, ...: see the README's feed formats)."""
    with command_session() as session:
        report = withdraw(session, channel, list(skus), actor=cli_operator())
    _print_report(report)


@click.group("feedkey")
def feedkey_group() -> None:
    """Keys distributors pull feeds with."""


@feedkey_group.command("create")
@click.option("--channel", "channels", multiple=True, required=True)
@click.option("--name", default="")
def feedkey_create(channels: tuple[str, ...], name: str) -> None:
    """Create a key; it is printed once and cannot be shown again."""
    with command_session() as session:
        plaintext, row = create_feed_key(session, channels, name,
                                         created_by=cli_operator().name)
        key_id = row.id
    click.echo(f"feed key {key_id} for {', '.join(sorted(channels))}:")
    click.echo(plaintext)
    click.echo("store it now: it is not shown again", err=True)


@feedkey_group.command("list")
def feedkey_list() -> None:
    """Every key: id, prefix, channels, state."""
    with command_reader() as session:
        for row in map(feed_key_out, list_feed_keys(session)):
            state = f"revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "active"
            used = f"{row['last_used_at']:%Y-%m-%d %H:%M}" if row["last_used_at"] else "never"
            click.echo(f"{row['id']:>4}  {row['prefix']}…  {','.join(row['channels']):<30} "
                       f"{state:<18} last used {used}  {row['name']}")


@feedkey_group.command("revoke")
@click.argument("key_id", type=int)
def feedkey_revoke(key_id: int) -> None:
    """Revoke a key: its next request is refused."""
    with command_session() as session:
        revoke_feed_key(session, key_id)
    click.echo(f"feed key {key_id} revoked")


@click.command("export")
@click.argument("channel")
@click.option("--format", "format_", required=True, help="Feed format, e.g. ndjson, csv.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--since", default=None, help="Only changes after this ISO 8601 time.")
@click.option("--locale", default=None)
def export_command(channel: str, format_: str, output: str, since: str | None,
                   locale: str | None) -> None:
    """Write a channel's published feed to a file. With --since, a delta: nothing published
    or withdrawn since then writes no file (and says so)."""
    moment = parse_time(since)
    with refusals_reported():
        written = write_feed_file(channel, format_, Path(output), locale=locale, since=moment)
    click.echo(written.describe(channel, moment))


@channel_group.command("conflicts")
@click.option("--channel", "channels", multiple=True, help="Limit to these channels.")
@click.option("--json", "json_out", is_flag=True)
def channel_conflicts_command(channels: tuple[str, ...], json_out: bool) -> None:
    """Price differences beyond tolerance, prices below MAP, broken exclusivity."""
    with command_reader() as session:
        report = channel_conflicts(session, list(channels) or None)
    if json_out:
        click.echo(as_json(conflicts_out(report)))
        return
    for message in report.messages:
        click.echo(message)
    click.echo(f"{len(report.messages)} conflicts")


COMMANDS = [publish_command, withdraw_command, feedkey_group, export_command, release_group]
