"""The ``pim`` command. Each slice owns its commands in its own ``cli.py`` (a list
``COMMANDS`` of click commands); this module only assembles them and wires the slices
(``pim.wiring``) before any command runs."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from pim import core_cli
from pim.auth import cli as auth_cli
from pim.catalog import cli as catalog_cli
from pim.config import get_settings
from pim.erp import cli as erp_cli
from pim.jobs import cli as jobs_cli
from pim.media import cli as media_cli
from pim.publishing import cli as publishing_cli
from pim.search import cli as search_cli
from pim.webhooks import cli as webhooks_cli
from pim.wiring import connect_listeners
from pim.workflow import cli as workflow_cli

SLICE_CLIS = [core_cli, jobs_cli, catalog_cli, media_cli, workflow_cli, publishing_cli,
              webhooks_cli, auth_cli, erp_cli, search_cli]


log = logging.getLogger("pim")


class _MainGroup(click.Group):
    """Unexpected errors end in one line naming the log that holds their traceback (the
    terminal shows it with --debug); click's own errors and exits pass as they are."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            log.error("pim %s failed", ctx.invoked_subcommand or "", exc_info=True)
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(
                f"{type(error).__name__}: {error} (the traceback is in {log_path()}; "
                "pim --debug shows it here)") from None


def log_path() -> Path:
    return get_settings().var_dir / "log" / "pim.log"


class _LogFile(logging.FileHandler):
    """The CLI's log, opened (and its folder made) only when something is written to it."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(path, delay=True)

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        super().emit(record)


def configure_logging(debug: bool) -> None:
    """The hub's log records (tracebacks of failed jobs among them) go to var/log/pim.log;
    with ``debug`` to the terminal too, every level. Replaces the handlers a previous call
    set (tests invoke the CLI many times in one process)."""
    for handler in [h for h in log.handlers if getattr(h, "pim_cli", False)]:
        log.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = [_LogFile(log_path())]
    handlers[0].setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if debug:
        handlers.append(logging.StreamHandler())
        handlers[1].setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    for handler in handlers:
        handler.pim_cli = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.setLevel(logging.DEBUG if debug else logging.INFO)


@click.group(cls=_MainGroup)
@click.version_option(package_name="pim-hub")
@click.option("--debug", is_flag=True,
              help="Show log records and tracebacks on the terminal (they always go to "
                   "var/log/pim.log).")
def main(debug: bool) -> None:
    """PIM hub: one source of truth for product data."""
    configure_logging(debug)
    connect_listeners()


for _module in SLICE_CLIS:
    for _command in _module.COMMANDS:
        main.add_command(_command)
