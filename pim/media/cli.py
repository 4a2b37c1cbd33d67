"""``pim media renditions [--channel C] [--missing-only]``: draw the channels' renditions of
every stored image now, over one process per CPU, with a progress bar.

Without ``--missing-only`` every pair is drawn again (after a renderer upgrade, or files lost
from the store); with it only the pairs with no row yet, which is what the jobs would do.
"""

from __future__ import annotations

import click

from channels.renditions import Rendition
from pim.cli_support import command_reader
from pim.db import session_factory
from pim.media.batch import draw_many
from pim.media.renditions import current_specs


@click.group("media")
def media_group() -> None:
    """Media: renditions of the stored images."""


@media_group.command("renditions")
@click.option("--channel", "channels", multiple=True, metavar="CODE",
              help="Only this channel's renditions (repeatable); default every channel's.")
@click.option("--missing-only", is_flag=True,
              help="Only the (image, spec) pairs not drawn yet.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes drawing at once (default: one per CPU).")
def renditions_command(channels: tuple[str, ...], missing_only: bool,
                       workers: int | None) -> None:
    """Draw the renditions every channel (or --channel) declares, for every stored image."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with command_reader() as session:
        specs: dict[str, Rendition] = {}
        for channel in channels or (None,):
            found = current_specs(session, channel)
            if channel is not None and not found:
                raise click.ClickException(f"channel {channel!r} declares no renditions (or "
                                           "does not exist)")
            specs |= found
    if not specs:
        click.echo("no channel declares a rendition: nothing to draw")
        return
    with Progress("[bold]renditions", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("draw", total=None)
        summary = draw_many(session_factory(), specs, missing_only=missing_only,
                            workers=workers,
                            progress=lambda done, total: bar.update(task, completed=done,
                                                                    total=total))
    click.echo(f"{summary.assets} images, {len(specs)} specs: {summary.drawn} renditions "
               f"drawn, {summary.failed} refused")
    for error in summary.errors:
        click.echo(f"  refused: {error}")


COMMANDS = [media_group]
