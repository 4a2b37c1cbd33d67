"""Domain errors. Each carries what a person needs to fix the input; transport maps them to
problem+json (API), a message (CLI) or a highlighted field (UI)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, NotRequired, TypedDict


class ErrorItem(TypedDict):
    """One refusal at one place of the input, the one shape every error list has (an API
    problem's ``errors``, an import row's, a job's, a CLI message's). ``field`` is a dotted
    path into the input (``values.name[0].data``, ``associations.X_SELL``, ``skus[2]``), None
    for the input as a whole. The optional keys say more where the writer knows it."""

    field: str | None
    message: str
    sku: NotRequired[str]  # the product refused (bulk writes, workflow moves)
    status: NotRequired[str]  # its workflow status, when that is the reason
    attribute: NotRequired[str]  # the value refused, before transport points ``field`` at it
    locale: NotRequired[str | None]
    scope: NotRequired[str | None]
    source: NotRequired[Any]  # where the framework found it (body, query, path)


def error_item(field: str | None, message: str) -> ErrorItem:
    return {"field": field, "message": message}


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str, *, errors: list[ErrorItem] | None = None):
        super().__init__(message)
        self.message = message
        self.errors: list[ErrorItem] = errors or []


class Invalid(DomainError):
    status = 422
    title = "Invalid input"

    @classmethod
    def from_pydantic(cls, error, prefix: str = "") -> Invalid:
        errors = [error_item(".".join(str(p) for p in e["loc"]), e["msg"])
                  for e in error.errors()]
        text = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return cls(f"{prefix}: {text}" if prefix else text, errors=errors)

    @classmethod
    def not_one_of(cls, field: str, value: object, allowed: Collection[str], what: str
                   ) -> Invalid:
        """``value`` of ``field`` is none of ``allowed`` (a status set, say): the refusal
        names the value and what it may be."""
        return cls.at(field, f"{value!r} is not a {what}; one of {', '.join(allowed)}")

    @classmethod
    def at(cls, field: str, message: str) -> Invalid:
        """One refusal at ``field``: the message names it, the error list holds it."""
        return cls(f"{field}: {message}", errors=[error_item(field, message)])


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class StaleVersion(DomainError):
    """A conditional write whose condition no longer holds: the versions it names (often
    one; none when it named no version the hub issued) are not the current one."""

    status = 412
    title = "Precondition failed"

    def __init__(self, sku: str, expected: int | Collection[int], current: int, *,
                 note: str = ""):
        named = sorted({expected} if isinstance(expected, int) else set(expected))
        if len(named) == 1:
            what = f"version {named[0]} is stale"
        elif named:
            what = f"versions {', '.join(map(str, named))} are stale"
        else:
            what = "no version named is current"
        super().__init__(f"{sku}: {what} (current version is {current}); "
                         f"{note + '; ' if note else ''}reload and apply your change again")
        self.expected, self.current = named, current


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


def field_path(location: Any) -> str:
    """``values.name.0.data`` or ``("values", "name", 0, "data")`` -> ``values.name[0].data``."""
    parts = location if isinstance(location, list | tuple) else str(location).split(".")
    path = ""
    for part in parts:
        text = str(part)
        if text.isdigit():
            path += f"[{text}]"
        elif text:
            path += f".{text}" if path else text
    return path
