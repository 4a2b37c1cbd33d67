"""The ``pim`` command. Each slice owns its commands in its own ``cli.py`` (a list
``COMMANDS`` of click commands); this module only assembles them."""

from __future__ import annotations

import importlib

import click

SLICE_CLIS = [
    "pim.core_cli",
    "pim.jobs.cli",
    "pim.catalog.cli",
    "pim.workflow.cli",
    "pim.publishing.cli",
    "pim.webhooks.cli",
    "pim.auth.cli",
    "pim.erp.cli",
]


@click.group()
@click.version_option(package_name="pim-hub")
def main() -> None:
    """PIM hub: one source of truth for product data."""


def _register() -> None:
    for name in SLICE_CLIS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:  # a slice without commands yet; any other miss is a bug
                continue
            raise
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register()
