"""``pim release create|add|submit|approve|reject|publish|show|list``."""

from __future__ import annotations

import click

from pim.auth.actor import cli_operator
from pim.cli_support import as_json, command_reader, command_session, parse_time
from pim.publishing.releases import (
    add_to_release,
    approve_release,
    create_release,
    get_release,
    list_releases,
    publish_release,
    reject_release,
    release_out,
    submit_release,
)


@click.group("release")
def release_group() -> None:
    """Releases: products x channels reviewed together and published at a set time."""


def _run(action):
    """Run ``action(session)`` in one transaction; the release it returns, as a dict."""
    with command_session() as session:
        return release_out(action(session))


def _print(out: dict) -> None:
    when = out["publish_at"].isoformat() if out["publish_at"] else "on demand"
    click.echo(f"release {out['id']} {out['name']!r}: {out['status']}, publish at {when}, "
               f"{len(out['items'])} items")


@release_group.command("create")
@click.argument("name")
@click.option("--publish-at", default=None, help="ISO 8601 time with zone.")
@click.option("--description", default="")
def release_create(name: str, publish_at: str | None, description: str) -> None:
    """Create a release."""
    moment = parse_time(publish_at)
    _print(_run(lambda s: create_release(s, name, actor=cli_operator(), publish_at=moment,
                                         description=description)))


@release_group.command("add")
@click.argument("release_id", type=int)
@click.option("--channel", required=True)
@click.option("--sku", "skus", multiple=True, required=True)
def release_add(release_id: int, channel: str, skus: tuple[str, ...]) -> None:
    """Add products (in one channel) to a draft release."""
    _print(_run(lambda s: add_to_release(s, release_id, channel, list(skus), actor=cli_operator())))


@release_group.command("submit")
@click.argument("release_id", type=int)
def release_submit(release_id: int) -> None:
    """Submit a draft release for review."""
    _print(_run(lambda s: submit_release(s, release_id, actor=cli_operator())))


@release_group.command("approve")
@click.argument("release_id", type=int)
def release_approve(release_id: int) -> None:
    """Approve a submitted release (schedules it when it has a publish time)."""
    _print(_run(lambda s: approve_release(s, release_id, actor=cli_operator())))


@release_group.command("reject")
@click.argument("release_id", type=int)
@click.option("--reason", default="")
def release_reject(release_id: int, reason: str) -> None:
    """Send a release back to draft."""
    _print(_run(lambda s: reject_release(s, release_id, actor=cli_operator(), reason=reason)))


@release_group.command("publish")
@click.argument("release_id", type=int)
def release_publish(release_id: int) -> None:
    """Publish an approved release now; lists the products refused and why."""
    out = _run(lambda s: publish_release(s, release_id, actor=cli_operator()))
    _print(out)
    report = out["report"]
    click.echo(f"{report['published']} published, {report['unchanged']} unchanged, "
               f"{len(report['refused'])} refused")
    for refusal in report["refused"]:
        click.echo(f"  refused {refusal['sku']} in {refusal['channel']}: {refusal['reason']}")
        for error in refusal["errors"]:
            where = error.get("attribute") or error.get("field")
            click.echo(f"    {where} [{error.get('variant_locale')}]: {error['message']}")


@release_group.command("show")
@click.argument("release_id", type=int)
def release_show(release_id: int) -> None:
    """A release with its items and report, as JSON."""
    with command_reader() as session:
        click.echo(as_json(release_out(get_release(session, release_id))))


@release_group.command("list")
@click.option("--status", default=None)
def release_list(status: str | None) -> None:
    """Every release."""
    with command_reader() as session:
        for release in list_releases(session, status):
            _print(release_out(release))
