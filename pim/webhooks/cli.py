"""``pim webhook add|list|update|remove|disable|enable|rotate-secret|deliveries|redeliver|
dispatch``: the service functions the API's ``/api/v1/webhooks`` routes call."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from pim.cli_support import aware, command_session
from pim.webhooks.jobs import send_due_deliveries
from pim.webhooks.models import DELIVERY_STATUSES, EVENT_TYPES
from pim.webhooks.schemas import SubscriptionChanges, SubscriptionIn
from pim.webhooks.service import (
    change_subscription,
    create_subscription,
    delete_subscription,
    disable_subscription,
    enable_subscription,
    get_delivery,
    list_deliveries,
    list_subscriptions,
    redeliver,
    redeliver_failed_since,
    rotate_secret,
)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _run(work):
    """``work(session)`` in one transaction; what it returns."""
    with command_session() as session:
        return work(session)


@click.group("webhook")
def webhook_group() -> None:
    """Webhook subscriptions of storefronts and their delivery log."""


@webhook_group.command("add")
@click.option("--channel", required=True)
@click.option("--url", required=True)
@click.option("--events", "events", multiple=True, type=click.Choice(EVENT_TYPES),
              help="Repeat for several (default: all).")
@click.option("--description", default="")
def webhook_add(channel: str, url: str, events: tuple[str, ...], description: str) -> None:
    """Subscribe URL to a channel's events; prints the id and the secret (shown only once)."""

    data = SubscriptionIn(channel=channel, url=url, description=description,
                          **({"events": list(events)} if events else {}))
    created = _run(lambda s: create_subscription(s, data))
    click.echo(f"subscription {created.id} ({channel} -> {created.url})")
    click.echo(f"events: {', '.join(created.events)}")
    click.echo(f"secret: {created.secret}")
    click.echo("Keep the secret now: it is not shown again.", err=True)


@webhook_group.command("list")
@click.option("--channel", default=None)
def webhook_list(channel: str | None) -> None:
    """Subscriptions (never their secrets)."""

    for sub in _run(lambda s: list_subscriptions(s, channel=channel)):
        state = "active" if sub.active else f"disabled ({sub.disabled_reason or '-'})"
        flag = " FLAGGED" if sub.flagged else ""
        click.echo(f"{sub.id}\t{sub.channel}\t{sub.url}\t{','.join(sub.events)}\t{state}{flag}"
                   f"\t{sub.description}")


@webhook_group.command("update")
@click.argument("subscription_id", type=int)
@click.option("--url", default=None, help="The new URL (checked as when added).")
@click.option("--events", "events", multiple=True, type=click.Choice(EVENT_TYPES),
              help="The new event types; repeat for several (replaces the old ones).")
@click.option("--description", default=None)
def webhook_update(subscription_id: int, url: str | None, events: tuple[str, ...],
                   description: str | None) -> None:
    """Change a subscription's URL, events or description (the API's PATCH); what is not
    given is untouched. Its secret and delivery log stay."""
    if url is None and not events and description is None:
        raise click.UsageError("give at least one of --url, --events, --description")
    changes = SubscriptionChanges(url=url, events=list(events) if events else None,
                                  description=description)
    changed = _run(lambda s: change_subscription(s, subscription_id, changes,
                                                 changed_by="cli"))
    click.echo(f"subscription {changed.id} ({changed.channel} -> {changed.url})")
    click.echo(f"events: {', '.join(changed.events)}")


@webhook_group.command("remove")
@click.argument("subscription_id", type=int)
def webhook_remove(subscription_id: int) -> None:
    """Delete a subscription with its delivery log (the API's DELETE): nothing more is
    sent to it. ``disable`` keeps both instead."""
    _run(lambda s: delete_subscription(s, subscription_id))
    click.echo(f"subscription {subscription_id} removed, with its delivery log")


@webhook_group.command("disable")
@click.argument("subscription_id", type=int)
def webhook_disable(subscription_id: int) -> None:
    """Stop sending (pending deliveries wait until enabled)."""

    _run(lambda s: disable_subscription(s, subscription_id))
    click.echo(f"subscription {subscription_id} disabled")


@webhook_group.command("enable")
@click.argument("subscription_id", type=int)
def webhook_enable(subscription_id: int) -> None:
    """Resume sending; clears the flag and the failure count."""

    _run(lambda s: enable_subscription(s, subscription_id))
    click.echo(f"subscription {subscription_id} enabled")


@webhook_group.command("rotate-secret")
@click.argument("subscription_id", type=int)
@click.option("--grace-hours", type=float, default=24.0, show_default=True,
              help="How long the previous secret keeps signing too.")
def webhook_rotate_secret(subscription_id: int, grace_hours: float) -> None:
    """Issue a new secret (printed once); both sign until the grace period ends."""

    rotated = _run(lambda s: rotate_secret(s, subscription_id,
                                           grace=timedelta(hours=grace_hours)))
    click.echo(f"secret: {rotated.secret}")
    click.echo(f"previous secret signs too until {_when(rotated.rotating_until)} UTC", err=True)


@webhook_group.command("deliveries")
@click.argument("subscription_id", type=int)
@click.option("--status", type=click.Choice(DELIVERY_STATUSES))
@click.option("--since", type=click.DateTime(), default=None, help="UTC unless a zone is given.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--attempts", is_flag=True, help="Show every attempt too.")
def webhook_deliveries(subscription_id: int, status: str | None, since: datetime | None,
                       limit: int, attempts: bool) -> None:
    """The delivery log of a subscription, newest first."""

    def work(session):
        rows = list_deliveries(session, subscription_id, status=status, since=aware(since),
                               limit=limit)
        return [get_delivery(session, d.id) for d in rows] if attempts else rows

    for d in _run(work):
        what = d.event_type + (f" {d.sku}@{d.locale} v{d.snapshot_version}" if d.sku else "")
        click.echo(f"{d.id}\t{d.message_id}\t{what}\t{d.status}\tattempts={d.attempt_count}"
                   f"\tcreated={_when(d.created_at)}\tnext={_when(d.next_attempt_at)}"
                   f"\t{d.last_error or ''}")
        for a in d.attempts or ():
            latency = "-" if a.latency_ms is None else f"{a.latency_ms}ms"
            click.echo(f"    {_when(a.attempted_at)}\t{a.status_code or '-'}\t{latency}"
                       f"\t{a.error or a.response_body[:80]!r}")


@webhook_group.command("redeliver")
@click.argument("delivery_id", type=int, required=False)
@click.option("--subscription", "subscription_id", type=int,
              help="With --since: every failed delivery of this subscription.")
@click.option("--since", type=click.DateTime(), default=None, help="UTC unless a zone is given.")
def webhook_redeliver(delivery_id: int | None, subscription_id: int | None,
                      since: datetime | None) -> None:
    """Send one delivery again, or everything failed since a time (same webhook-id)."""

    if delivery_id is not None and subscription_id is None and since is None:
        copy = _run(lambda s: redeliver(s, delivery_id))
        click.echo(f"delivery {copy.id} queued (message {copy.message_id})")
    elif delivery_id is None and subscription_id is not None and since is not None:
        count = _run(lambda s: redeliver_failed_since(s, subscription_id, aware(since)))
        click.echo(f"{count} deliveries queued")
    else:
        raise click.UsageError("give a DELIVERY_ID, or --subscription and --since")


@webhook_group.command("dispatch")
@click.option("--limit", type=int, default=100, show_default=True,
              help="Subscriptions at most.")
def webhook_dispatch(limit: int) -> None:
    """Send what is due now, subscription by subscription, here (a safety net for cron;
    a subscription whose send job is under way is left to it)."""
    states = send_due_deliveries(limit)
    click.echo(", ".join(f"{n} {state}" for state, n in sorted(states.items())) or "nothing due")


COMMANDS = [webhook_group]
