"""Saving the editor's form: what the person changed goes to the catalog's one write path
(``pim.catalog.edits.patch_product``), only over the version they read.

- A field is written only when its posted inputs differ from what the page showed at the
  version the form carries (``version``): untouched fields are never sent.
- The catalog validates the values as it validates the API's; a refusal comes back as a
  message per field, and the form is shown again with what was typed.
- When someone saved a newer version first, nothing is written: the page shows a merge of
  the fields the person changed, each with the stored value ("theirs") and the typed one
  ("yours"). Where they changed the same field differently a choice is required; where
  only the person changed it, "yours" is preselected. The merge form carries the current
  version, so applying it is an ordinary save over that version, and a third writer in
  between starts the merge again. Nothing is overwritten silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from pim.auth.actor import WRITE_CONTENT, Actor, require_role
from pim.catalog.edits import patch_product_version, put_product_model
from pim.catalog.schemas import ProductModelIn, ProductPatch, ValueIn
from pim.catalog.versions import VersionCondition
from pim.errors import ErrorItem, Invalid, StaleVersion
from pim.history.service import get_entry
from pim.records import get_value
from pim.web.editor_fields import (
    EditorField,
    Form,
    data_of,
    form_of,
    posted_form,
    same_form,
)

SOURCE = "ui"  # the history source of the editor's writes
MERGE_PREFIX = "merge."


@dataclass(slots=True)
class MergeRow:
    """One field in the merge view."""

    field: EditorField
    theirs: Form
    yours: Form
    both_changed: bool  # they changed it too: the person must choose
    choice: str | None = None  # "theirs" or "yours"


@dataclass(slots=True)
class SaveOutcome:
    status: str  # "saved", "unchanged", "invalid", "stale"
    version: int  # the version the page shows next (the form's)
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # attribute -> message
    typed: dict[str, Form] = field(default_factory=dict)  # attribute -> what was posted
    merge: list[MergeRow] = field(default_factory=list)
    changed_by_them: list[str] = field(default_factory=list)  # attributes they changed
    saved_fields: list[str] = field(default_factory=list)


def parse_version(posted: Mapping[str, list[str]]) -> int:
    raw = (posted.get("version") or [""])[-1]
    try:
        version = int(raw)
    except ValueError:
        raise Invalid("the form carries no version; reload the page",
                      errors=[{"field": "version", "message": "missing or not a number"}]
                      ) from None
    if version < 1 or version > 2**31:
        raise Invalid("the form's version is out of range; reload the page",
                      errors=[{"field": "version", "message": "out of range"}])
    return version


Writer = Callable[[dict[str, list[ValueIn]], int], int]
"""Writes values over a version (StaleVersion when it is no longer current, Invalid when
refused); returns the new version."""


def product_writer(session: Session, sku: str, actor: Actor) -> Writer:
    def write(values: dict[str, list[ValueIn]], version: int) -> int:
        return patch_product_version(session, sku, ProductPatch(values=values), actor,
                                     VersionCondition(frozenset({version})), source=SOURCE)
    return write


def model_writer(session: Session, code: str, actor: Actor) -> Writer:
    """As ``product_writer``, for a product model: written only over ``version``, checked
    with the model's row locked, so of two saves over one version the second is stale."""
    def write(values: dict[str, list[ValueIn]], version: int) -> int:
        saved = put_product_model(session, code, ProductModelIn(values=values), actor,
                                  source=SOURCE, condition=VersionCondition(frozenset({version})))
        return int(saved["version"])
    return write


def save_fields(session: Session, sku: str, fields: list[EditorField], current_version: int,
                posted: Mapping[str, list[str]], actor: Actor, *,
                entity: str = "product", write: Writer | None = None) -> SaveOutcome:
    """Write what ``posted`` changes in ``fields`` (the page as it is now, at
    ``current_version``) through ``write`` (the product's, by default)."""
    require_role(actor, *WRITE_CONTENT)
    write = write or product_writer(session, sku, actor)
    version = parse_version(posted)
    editable = [f for f in fields if f.editable]
    if version == current_version:
        base_values = None  # the fields' own data is the base
    else:
        entry = get_entry(session, sku, version, entity=entity)
        if entry is None or version > current_version:
            raise Invalid(f"{sku} has no version {version}; reload the page",
                          errors=[{"field": "version", "message": "unknown version"}])
        base_values = (entry.state or {}).get("values") or {}

    typed: dict[str, Form] = {}
    changes: dict[str, tuple[EditorField, Form, Form]] = {}  # code -> field, base, posted
    for field_ in editable:
        form = posted_form(field_.spec, posted, field_.currencies)
        if form is None:
            continue
        typed[field_.code] = form
        base_data = (field_.data if base_values is None
                     else get_value(base_values, field_.key))
        base = form_of(field_.spec, base_data)
        if not same_form(field_.spec, form, base):
            changes[field_.code] = (field_, base, form)

    if base_values is not None:
        return _merge(fields, changes, typed, posted, current_version)
    chosen = {code: change for code, change in changes.items()
              if _choice(posted, code) != "theirs"}
    if not chosen:
        return SaveOutcome("unchanged", current_version, "Nothing changed: nothing to save.",
                           typed={})
    values = {code: [ValueIn(locale=f.key.locale, scope=f.key.scope,
                             data=data_of(f.spec, form, f.tiers))]
              for code, (f, _base, form) in chosen.items()}
    try:
        saved = write(values, version)
    except Invalid as refused:
        return SaveOutcome("invalid", current_version,
                           "Not saved: correct the fields marked below.",
                           errors=_field_errors(refused.errors, chosen), typed=typed)
    except StaleVersion as stale:
        # Someone committed between the page's read and this write: the merge, from the
        # version now current.
        return SaveOutcome("stale", stale.current,
                           f"Someone else saved meanwhile (now version {stale.current}). "
                           "Nothing was saved; reload to see their changes, then save again.",
                           typed=typed)
    return SaveOutcome("saved", saved, f"Saved as version {saved}.",
                       saved_fields=sorted(chosen))


def _choice(posted: Mapping[str, list[str]], code: str) -> str | None:
    found = posted.get(MERGE_PREFIX + code)
    return found[-1] if found else None


def _merge(fields: list[EditorField], changes: dict[str, tuple[EditorField, Form, Form]],
           typed: dict[str, Form], posted: Mapping[str, list[str]],
           current_version: int) -> SaveOutcome:
    rows = []
    for field_, base, yours in changes.values():
        theirs = form_of(field_.spec, field_.data)
        if same_form(field_.spec, theirs, yours):
            continue  # they saved what the person typed: nothing to choose
        both = not same_form(field_.spec, theirs, base)
        rows.append(MergeRow(field_, theirs, yours, both, None if both else "yours"))
    by_them = []
    for field_ in fields:
        if field_.code in changes:
            continue
        mine = typed.get(field_.code)
        if mine is not None and not same_form(field_.spec, mine, form_of(field_.spec,
                                                                         field_.data)):
            by_them.append(field_.code)
    if not rows:
        message = ("Someone else saved meanwhile. Their version is shown; you had changed "
                   "nothing they did not.")
        return SaveOutcome("stale", current_version, message, changed_by_them=by_them)
    message = (f"Someone else saved this product meanwhile (now version {current_version}). "
               "Nothing was saved. For each field you changed, keep theirs or yours, then "
               "save again.")
    return SaveOutcome("stale", current_version, message,
                       typed={row.field.code: row.yours for row in rows},
                       merge=rows, changed_by_them=by_them)


def _field_errors(errors: list[ErrorItem],
                  chosen: Mapping[str, tuple[EditorField, Form, Form]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in errors:
        code = error.get("attribute")
        if code is None:
            path = str(error.get("field") or "")
            if path.startswith("values."):
                code = path[len("values."):].split("[")[0].split(".")[0]
        key = code if isinstance(code, str) and code in chosen else ""
        message = str(error.get("message") or "refused")
        found[key] = f"{found[key]}; {message}" if key in found else message
    return found

