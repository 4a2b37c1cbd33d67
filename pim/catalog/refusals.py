"""A write's refusals as the error items transport shows (``pim.errors.ErrorItem``)."""

from __future__ import annotations

from typing import Any, cast

from pim.errors import ErrorItem


def refused_errors(errors: list[dict[str, Any]], values: dict[str, list[dict[str, Any]]]
                   ) -> list[ErrorItem]:
    """The writer's refusals as error items, each pointing at the body: attribute/locale/
    scope -> ``values.name[0].data`` (``values.name`` when the body has no such entry)."""
    out: list[ErrorItem] = []
    for error in errors:
        error = {"field": None, **error}
        if "attribute" in error and not error.get("field"):
            entries = values.get(error["attribute"]) or []
            index = next((i for i, e in enumerate(entries)
                          if isinstance(e, dict) and e.get("locale") == error.get("locale")
                          and e.get("scope") == error.get("scope")), None)
            error["field"] = (f"values.{error['attribute']}[{index}].data" if index is not None
                              else f"values.{error['attribute']}")
        out.append(cast(ErrorItem, error))
    return out
