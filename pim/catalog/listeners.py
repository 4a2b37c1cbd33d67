"""What the catalog announces, and what it asks of the slices above it.

The catalog knows nothing of the workflow, media or search. Where they must act on a catalog
change, or tell the catalog something it needs, they connect a function to one of these
registries at start-up, in ``pim.wiring.connect_listeners()``:

- ``products_changed``: products were written (their values, links or stock changed), in
  the writing transaction. The workflow refreshes completeness and marks published channels
  changed; search will mark them for indexing.
- ``channel_codes``: the codes of the channels, the scopes a scopable value may name (the
  channels live in the workflow). Each listener answers some codes.
- ``structure_rows``: a structure row of a kind the catalog does not own (Akeneo's channel
  rows) arrived in an import. The owner applies it and answers whether it changed
  something; the others answer None.
- ``import_hooks``: an import job starts; a slice that takes part in every batch (media
  files and downloads) answers a ``BatchHook`` for it, or None.
- ``structure_users``: a structure entity (kind, code, and for an option its attribute) is
  about to be deleted. A slice whose rows name it (the workflow's channel definitions)
  answers its uses as ``usage.refuse_if_used`` reads them, ``(what, how many, a few
  codes)``, so the deletion is refused naming them; an empty list when nothing names it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from pim.listeners import Listeners
from pim.records import CatalogContext, StructureRecord

if TYPE_CHECKING:
    from pim.catalog.importing import BatchHook


@dataclass(frozen=True, slots=True)
class ProductsChanged:
    """``product_ids`` changed in this transaction.

    ``context``: the catalog structure the writer holds for this transaction (a listener
    need not load it again). ``published_ids``: the only ones of ``product_ids`` that can
    have been published (the others were created in this transaction); None when any can.
    ``value_codes``: the attribute codes of every value written (a listener interested in
    some attributes only may skip a write naming none of them); None when any value may have
    changed (a product model's values reach its variants). ``search_marked``: the writer set
    ``search_dirty`` on every one of these products' rows itself."""

    product_ids: list[int]
    context: CatalogContext | None = None
    published_ids: list[int] | None = None
    value_codes: frozenset[str] | None = None
    search_marked: bool = False


@dataclass(frozen=True, slots=True)
class ImportRun:
    """An import job about to write: its media folder, history source, actor, dry run."""

    media_root: str | None
    source: str
    actor: str | None
    dry_run: bool


products_changed: Listeners[[Session, ProductsChanged], None] = Listeners(
    "catalog.products_changed")
channel_codes: Listeners[[Session], Iterable[str]] = Listeners("catalog.channel_codes")
structure_rows: Listeners[[Session, StructureRecord], bool | None] = Listeners(
    "catalog.structure_rows")
import_hooks: Listeners[[ImportRun], BatchHook | None] = Listeners("catalog.import_hooks")
structure_users: Listeners[[Session, str, str, str | None], list[tuple]] = Listeners(
    "catalog.structure_users")


def scope_codes(session: Session) -> frozenset[str]:
    """Every channel code, from whichever slices own channels."""
    return frozenset(code for codes in channel_codes(session) for code in codes)
