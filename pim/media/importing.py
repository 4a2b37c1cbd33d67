"""Media in imports: the batch hook ``pim.catalog.importing.apply_import`` calls
(connected to every import job through ``pim.catalog.listeners.import_hooks``).

Before a batch is written, a relative path (already checked by the importer to name a file
inside the import's media folder) is stored with :func:`store_file` and the value becomes
the asset's path; a file the store refuses (type, size, a corrupt image) drops that value
with a row warning, the rest of the row imports. An http(s) URL already downloaded from the
same address is replaced by its asset's path, so importing the same file again changes
nothing; any other URL is written as it is and, once the batch is written, a
``media_download`` job is recorded in the batch's transaction (dispatched after commit) to
fetch it and replace the value.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.catalog.listeners import ImportRun
from pim.catalog.models import Attribute
from pim.errors import DomainError
from pim.jobs import enqueue
from pim.media.jobs import MEDIA_DOWNLOAD
from pim.media.models import Asset
from pim.media.service import store_file
from pim.records import ProductRecord, RowError

URL_PREFIXES = ("http://", "https://")


def import_media_hook(run: ImportRun) -> ImportMedia | None:
    """The media hook of an import job; none for a dry run, which stores no files and
    records no downloads (its transaction is rolled back)."""
    if run.dry_run:
        return None
    return ImportMedia(run.media_root, source=run.source, actor=run.actor)


class ImportMedia:
    def __init__(self, media_root: str | Path | None, *, source: str, actor: str | None):
        self.media_root = Path(media_root).resolve() if media_root else None
        self.source = source
        self.actor = actor
        self.media_codes: frozenset[str] = frozenset()

    def rewritten_attributes(self, session: Session) -> frozenset[str]:
        """The attributes whose values ``prepare`` may rewrite: the media ones (so the import
        worker's checks of every other record stay valid)."""
        self.media_codes = frozenset(
            session.scalars(select(Attribute.code).where(Attribute.type == "media")))
        return self.media_codes

    def prepare(self, session: Session, records: list[ProductRecord]) -> list[RowError]:
        """Store the batch's media files and swap known URLs; returns row warnings."""
        self.rewritten_attributes(session)
        warnings: list[RowError] = []
        for record in records:
            for code in self.media_codes & record.values.keys():
                kept = []
                for entry in record.values[code]:
                    problem = self._resolve(session, entry)
                    if problem is None:
                        kept.append(entry)
                    else:
                        warnings.append(RowError(row=record.row, sku=record.sku, column=code,
                                                 value=entry.get("data"), message=problem,
                                                 severity="warning"))
                if kept:
                    record.values[code] = kept
                else:
                    del record.values[code]
        return warnings

    def _resolve(self, session: Session, entry: dict) -> str | None:
        data = entry.get("data")
        if not isinstance(data, str):
            return None
        if data.startswith(URL_PREFIXES):
            known = session.scalar(select(Asset.path).where(Asset.source_url == data).limit(1))
            if known is not None:
                entry["data"] = known
            return None
        if self.media_root is None:
            return None
        path = (self.media_root / data).resolve()
        if not path.is_relative_to(self.media_root) or not path.is_file():
            return f"media file {data!r} not found in {str(self.media_root)!r}"
        try:
            entry["data"] = store_file(session, path).path
        except DomainError as refused:
            return f"media file {data!r} not imported: {refused.message}"
        return None

    def written(self, session: Session, records: list[ProductRecord], results) -> int:
        """Record a download job for each URL value of a record that was written."""
        count = 0
        for record, result in zip(records, results, strict=True):
            if result.status == "refused":
                continue
            for code in self.media_codes & record.values.keys():
                for entry in record.values[code]:
                    url = entry.get("data")
                    if isinstance(url, str) and url.startswith(URL_PREFIXES):
                        payload = {"url": url, "sku": record.sku, "attribute": code,
                                   "locale": entry.get("locale"), "scope": entry.get("scope"),
                                   "kind": record.kind, "source": self.source}
                        enqueue(MEDIA_DOWNLOAD, payload, session=session,
                                created_by=self.actor, dedupe_key=dedupe_key(payload))
                        count += 1
        return count


def dedupe_key(payload: dict) -> str:
    """One download per import run and value: re-running the same import job records no
    second job; a new import run may fetch again."""
    text = json.dumps(payload, sort_keys=True)
    return f"{MEDIA_DOWNLOAD}:{hashlib.sha256(text.encode()).hexdigest()}"
