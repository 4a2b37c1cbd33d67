"""What every slice's ``cli.py`` shares: one transaction per command, errors as messages.

A command parses its options, calls one service function inside ``command_session()``
(a unit of work: committed when the block ends, rolled back on error) or
``command_reader()`` (a read-only session), or inside ``refusals_reported()`` for a service
that keeps its own transactions, and prints. A ``DomainError`` raised inside any of them
ends the command with its message on stderr and exit status 1, as every command reports a
refusal.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NoReturn, overload

import click
from sqlalchemy.orm import Session

from pim.db import read_session, session_scope
from pim.errors import DomainError


def fail(error: DomainError) -> NoReturn:
    raise click.ClickException(error.message) from None


@contextlib.contextmanager
def refusals_reported() -> Iterator[None]:
    """A ``DomainError`` raised inside ends the command with its message (exit status 1)."""
    try:
        yield
    except DomainError as error:
        fail(error)


@contextlib.contextmanager
def command_session() -> Iterator[Session]:
    """The unit of work of one command; a refusal ends the command (exit status 1)."""
    with refusals_reported(), session_scope() as session:
        yield session


@contextlib.contextmanager
def command_reader() -> Iterator[Session]:
    """A read-only session for one command; a refusal ends the command (exit status 1)."""
    with refusals_reported(), read_session() as session:
        yield session


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False,
                      default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time with its zone (``Z`` or an offset), or None for none given."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{text!r} needs a time zone (e.g. Z or +01:00)")
    return moment


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """A time typed without a zone (click's DateTime) is UTC."""
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
