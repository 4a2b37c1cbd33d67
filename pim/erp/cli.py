"""``pim erp pull CONNECTOR.yaml [--full]`` and ``pim erp status``."""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from importers.erp import ConnectorConfigError, load_connector_file
from pim.cli_support import command_reader
from pim.erp.jobs import pull_payload, schedule_next_pull
from pim.erp.state import list_connectors
from pim.jobs import run_inline


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


@click.group("erp")
def erp_group() -> None:
    """ERP connectors: pull product master data, stock and prices from Tryton or REST."""


@erp_group.command("pull")
@click.argument("connector_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--full", is_flag=True,
              help="Read everything, not only what changed since the watermark.")
def pull_command(connector_file: str, full: bool) -> None:
    """Pull one connector now (a job run here, with progress); schedules the next pull
    when the file has a schedule."""
    try:
        config = load_connector_file(connector_file)
    except ConnectorConfigError as error:
        raise click.ClickException(error.message) from None
    job = run_inline("erp.pull", pull_payload(config, full=full), created_by="cli",
                     show_progress=sys.stderr.isatty())
    if config.schedule:
        schedule_next_pull(config)
    if job.status != "succeeded":
        reason = (job.error or job.message or job.status).splitlines()[0]
        raise click.ClickException(f"pull failed: {reason.split(': ', 1)[-1]}")
    result = job.result
    click.echo(result["summary"])
    for refused in result["errors"][:20]:
        click.echo(f"  refused: {refused['sku'] or refused['erp_key'] or '-'}: "
                   f"{refused['message']}", err=True)
    if result["error_count"] > 20:
        click.echo(f"  ... {result['error_count'] - 20} more (pim jobs show {job.id})", err=True)
    for note in result["notes"]:
        click.echo(f"  note: {note}")
    click.echo(f"watermark: {result['watermark_after'] or '-'}; job {job.id}")


@erp_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def status_command(as_json: bool) -> None:
    """Every connector: its watermark, last pull and next scheduled pull."""
    # rich (the table) loads only for the commands that draw one.
    from rich.console import Console
    from rich.table import Table

    with command_reader() as session:
        connectors = list_connectors(session)
    if as_json:
        click.echo(json.dumps([c.model_dump(mode="json") for c in connectors], indent=2))
        return
    if not connectors:
        click.echo("no ERP connectors yet: pim erp pull CONNECTOR.yaml registers one")
        return
    table = Table("connector", "kind", "products", "watermark", "last pull", "status",
                  "result", "next pull", "schedule")
    for c in connectors:
        last = c.last_pull
        result = (c.error or "").splitlines()[0][:60] if c.last_pull_status == "failed" else (
            f"{last.get('read', 0)} read, {last.get('created', 0)} new, "
            f"{last.get('updated', 0)} upd, {last.get('disabled', 0)} off, "
            f"{last.get('refused', 0)} refused" if last else "")
        status = "running" if c.running_job else (c.last_pull_status or "-")
        table.add_row(c.name, c.kind, str(c.products), _when(c.watermark),
                      _when(c.last_pull_at), status, result, _when(c.next_pull_at),
                      c.schedule or "-")
    Console(width=200).print(table)


COMMANDS = [erp_group]
