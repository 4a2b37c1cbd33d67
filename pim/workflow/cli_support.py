"""What the workflow and publishing commands share: who acts, times, JSON, errors."""

from __future__ import annotations

import getpass
import json
from datetime import datetime

import click

from pim.auth.actor import ADMIN, Actor
from pim.errors import DomainError


def operator() -> Actor:
    return Actor(name=f"cli:{getpass.getuser()}", role=ADMIN)


def as_json(value) -> str:
    return json.dumps(value, indent=2, default=lambda v: v.isoformat()
                      if hasattr(v, "isoformat") else str(v))


def fail(error: DomainError):
    raise click.ClickException(error.message) from None


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{text!r} needs a time zone (e.g. Z or +01:00)")
    return moment
