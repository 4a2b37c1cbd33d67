"""Conditional requests (RFC 9110 section 13): a product's ETag is its version (``"7"``),
strong; ``If-Match`` guards writes, ``If-None-Match`` answers a read 304.

- ``If-Match`` uses the strong comparison: a weak tag (``W/"7"``) never matches, and an
  opaque tag matches only when it is character for character one this API issued (``"07"``
  and ``"99999999999999999999"`` name no version). Every tag of a list counts (also over
  several header lines); ``*`` matches whatever version is current. A header naming no
  current version makes the write 412, whatever else it holds.
- ``If-None-Match`` uses the weak comparison (``W/"7"`` matches ``"7"``); ``*`` matches any
  stored product.

A header that is not a list of entity tags (``7`` without quotes) names nothing, so an
``If-Match`` holding only that refuses the write and says why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pim.catalog.versions import VersionCondition

_ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)')
_EMPTY_ELEMENT = re.compile(r"[ \t]*,")
_VERSION = re.compile(r"[1-9][0-9]*")  # how this API writes a version: no sign, no zeros first


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True, slots=True)
class EntityTag:
    opaque: str  # between the quotes
    weak: bool

    def __str__(self) -> str:
        return f'{"W/" if self.weak else ""}"{self.opaque}"'


class NotEntityTags(ValueError):
    """A header value that is not ``*`` nor a comma-separated list of entity tags."""


def entity_tags(values: Iterable[str]) -> list[EntityTag] | None:
    """The entity tags of one or more header lines (RFC 9110 ``#entity-tag``: commas inside
    quotes belong to the tag, empty list elements are skipped); None for ``*``."""
    tags: list[EntityTag] = []
    for value in values:
        if value.strip() == "*":
            return None
        position = 0
        while position < len(value):
            if (empty := _EMPTY_ELEMENT.match(value, position)) is not None:
                position = empty.end()
                continue
            if not value[position:].strip():
                break
            found = _ENTITY_TAG.match(value, position)
            if found is None:
                raise NotEntityTags(f"{value[position:].strip()!r} is not an entity tag "
                                    '(a quoted string, e.g. "7")')
            tags.append(EntityTag(found.group(2), weak=found.group(1) is not None))
            position = found.end()
    return tags


def if_match_condition(values: list[str]) -> VersionCondition | None:
    """What the If-Match header lines ``values`` ask of a write: None when there are none
    or one is ``*`` (any current version), else the versions named by strong tags."""
    if not values:
        return None
    try:
        tags = entity_tags(values)
    except NotEntityTags as error:
        return VersionCondition(frozenset(), note=f"If-Match: {error}")
    if tags is None:
        return None
    versions = frozenset(int(tag.opaque) for tag in tags
                         if not tag.weak and _VERSION.fullmatch(tag.opaque))
    ignored = [str(tag) for tag in tags if tag.weak or not _VERSION.fullmatch(tag.opaque)]
    note = ""
    if ignored:
        weak = any(tag.weak for tag in tags)
        note = (f"If-Match {', '.join(ignored)} matches no version"
                + (" (a weak tag never matches a write: send the ETag as read, e.g. "
                   f'"{_weak_hint(tags)}")' if weak else ""))
    return VersionCondition(versions, note=note)


def _weak_hint(tags: list[EntityTag]) -> str:
    return next((tag.opaque for tag in tags if tag.weak), "7")


def none_match(values: list[str], version: int) -> bool:
    """Whether a GET's If-None-Match lets the product through: False when a tag matches its
    version by the weak comparison, or for ``*``. A malformed header is ignored (the GET
    answers in full, as without it)."""
    if not values:
        return True
    try:
        tags = entity_tags(values)
    except NotEntityTags:
        return True
    if tags is None:
        return False
    current = str(version)
    return not any(tag.opaque == current for tag in tags)
