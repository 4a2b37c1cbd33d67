"""Import commands: ``pim import FILE`` and ``pim import-catalog DIR``, run as jobs inline
(a Job record, a progress bar, a summary), the same jobs the API starts in the background;
and ``pim structure delete``, the API's structure deletion (refused while anything uses it)."""

from __future__ import annotations

import os
import sys

import click

from importers.errors import ImportFileError
from importers.profile import profile_path
from pim.catalog.structure import DELETABLE, delete_structure
from pim.cli_support import command_session
from pim.jobs import JobOut, run_inline

DELETABLE_KINDS = sorted([*DELETABLE, "category", "attribute_option"])


def _finish(job: JobOut, report_path: str | None) -> None:
    """The outcome, once: the summary and the first errors, or one line saying why the
    import failed (its traceback, for a fault of the hub's, is in the log)."""
    if job.status != "succeeded":
        reason = (job.error or job.message or job.status).splitlines()[0]
        if not reason.startswith(job.kind):
            reason = f"{job.kind} failed: {reason}"
        raise click.ClickException(reason)
    result = job.result
    click.echo(result["summary"])
    if result.get("read_as"):
        click.echo(f"read as {result['read_as']}")
    for error in result["errors"][:20]:
        where = ", ".join(f"{k} {error[k]}" for k in ("row", "column", "sku") if error.get(k))
        click.echo(f"  error: {where}: {error['message']}", err=True)
    if result["error_count"] > 20:
        click.echo(f"  ... {result['error_count'] - 20} more errors (see --report)", err=True)
    if report_path:
        with open(result["report_path"]) as source, open(report_path, "w") as target:
            target.write(source.read())
        click.echo(f"report written to {report_path}")
    click.echo(f"job {job.id}")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--profile", help="YAML mapping profile: a file, or the name of a shipped one "
              "(importers/profiles: supplier-de, shopify-uk, magento-de).")
@click.option("--media", "media_root", type=click.Path(exists=True, file_okay=False),
              help="Folder that relative media paths are resolved against.")
@click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Write the full report as JSON.")
@click.option("--on-error", type=click.Choice(["skip", "abort"]), default="skip",
              show_default=True, help="skip: import good rows; abort: import nothing.")
@click.option("--format", "format_", type=click.Choice(["auto", "akeneo", "shopify", "magento"]),
              default=None, help="The file's layout: akeneo (the column convention, or Akeneo "
              "NDJSON), shopify, magento; auto (the default, unless the profile names one): "
              "told from the header.")
def import_command(file, profile, media_root, dry_run, report_path, on_error, format_) -> None:
    """Import products (or catalog structure) from a CSV or XLSX file, or a Shopify or
    Magento product CSV."""
    if profile:
        try:
            profile = str(profile_path(profile).resolve())
        except ImportFileError as error:
            raise click.BadParameter(error.message, param_hint="--profile") from None
    payload = {"path": os.path.abspath(file), "profile": profile,
               "media_root": media_root and os.path.abspath(media_root), "dry_run": dry_run,
               "on_error": on_error, "format": format_}
    job = run_inline("import", payload, created_by="cli", show_progress=sys.stderr.isatty(),
                     summary=False)
    _finish(job, report_path)


@click.command("import-catalog")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--media", "media_root", type=click.Path(exists=True, file_okay=False),
              help="Folder holding the export's media files (default: DIRECTORY).")
@click.option("--dry-run", is_flag=True)
@click.option("--report", "report_path", type=click.Path(dir_okay=False))
def import_catalog_command(directory, media_root, dry_run, report_path) -> None:
    """Import a whole catalog exported by Akeneo (structure, models, products)."""
    payload = {"directory": os.path.abspath(directory),
               "media_root": media_root and os.path.abspath(media_root), "dry_run": dry_run}
    job = run_inline("import_catalog", payload, created_by="cli",
                     show_progress=sys.stderr.isatty(), summary=False)
    _finish(job, report_path)


@click.group("structure")
def structure_group() -> None:
    """Catalog structure: locales, currencies, attributes, options, families, categories."""


@structure_group.command("delete")
@click.argument("kind", type=click.Choice(DELETABLE_KINDS))
@click.argument("code")
@click.option("--attribute", help="The attribute an attribute_option belongs to.")
def delete_structure_command(kind, code, attribute) -> None:
    """Delete one structure entity; refused, naming its users (products, families, channels,
    ...), while anything uses it."""
    if kind == "attribute_option" and not attribute:
        raise click.BadParameter("an attribute_option needs --attribute", param_hint="--attribute")
    with command_session() as session:
        delete_structure(session, kind, code, attribute=attribute)
    click.echo(f"deleted {kind.replace('_', ' ')} {code}")


COMMANDS = [import_command, import_catalog_command, structure_group]
