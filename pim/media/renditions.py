"""Renditions in the hub: the specs the channels ask for, each (asset, spec) drawn once and
stored, what a projection needs to know of the assets, and the files to serve.

- ``register_channel_renditions``: the workflow calls it when a channel is applied; a spec
  hash the channel did not use before is recorded and a ``media.render_spec`` job draws it
  for every stored image (only the changed hashes: an unchanged spec is left alone).
- A new asset (``pim.media.service.store_blob``) records a ``media.render`` job for itself,
  and so does a product that gains a media value whose renditions are missing
  (:func:`render_missing_for_products`, connected to the catalog's ``products_changed``).
- Files live at ``r/{spec hash}/{ab}/{asset sha256}.{ext}`` under the media root; a row per
  pair says ``ready`` (with its size) or ``failed`` (with the reason, which becomes a
  completeness error on the image's attribute in every channel using that spec).
- A rendition asked for before its job ran is drawn on the spot by the serving route (one
  or two at a time per process), so a URL in a feed answers as soon as it is published.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.renditions import EXTENSIONS, Rendition, stored_asset
from pim.config import get_settings
from pim.db import insert_many, utcnow
from pim.errors import NotFound
from pim.jobs import enqueue
from pim.listeners import Listeners
from pim.media.models import Asset, ChannelRendition, RenditionSpec, StoredRendition
from pim.media.rendering import RenderRefused, render_file, write_atomically
from pim.media.storage import absolute, media_root
from pim.records import AssetFacts

MEDIA_RENDER = "media.render"  # one asset, its missing (or given) specs
MEDIA_RENDER_SPEC = "media.render_spec"  # new specs, every stored image
RENDITIONS_DIR = "r"
# Renditions drawn on demand by the serving route at once per process: each holds a decoded
# source (up to PIM_MEDIA_MAX_PIXELS x 4 bytes).
ON_DEMAND = threading.BoundedSemaphore(2)

# Stored renditions failed: (session, asset sha256s). The workflow refreshes the
# completeness of the products showing them (connected in pim.wiring).
renditions_failed: Listeners[[Session, list[str]], None] = Listeners("media.renditions_failed")


# --- Specs and channels.


def register_channel_renditions(session: Session, channel: str,
                                renditions: Mapping[str, Rendition]) -> list[str]:
    """Record ``channel``'s named renditions as its definition declares them now, and
    enqueue (after commit) the drawing of every spec hash it did not use before. Returns
    those hashes."""
    before = dict(session.execute(select(ChannelRendition.name, ChannelRendition.spec_hash)
                                  .where(ChannelRendition.channel_code == channel)).all())
    wanted = {name: spec.spec_hash for name, spec in renditions.items()}
    if before == wanted:
        return []
    for spec in renditions.values():
        ensure_spec(session, spec)
    session.execute(delete(ChannelRendition).where(ChannelRendition.channel_code == channel))
    session.add_all(ChannelRendition(channel_code=channel, name=name, spec_hash=digest)
                    for name, digest in wanted.items())
    session.flush()
    new = sorted(set(wanted.values()) - set(before.values()))
    if new:
        enqueue(MEDIA_RENDER_SPEC, {"spec_hashes": new}, session=session,
                dedupe_key=f"{MEDIA_RENDER_SPEC}:{','.join(new)}")
    return new


def ensure_spec(session: Session, spec: Rendition) -> None:
    if session.get(RenditionSpec, spec.spec_hash) is not None:
        return
    try:
        with session.begin_nested():  # another channel may record the same spec meanwhile
            session.add(RenditionSpec(spec_hash=spec.spec_hash,
                                      spec=spec.model_dump(mode="json")))
    except IntegrityError:
        if session.get(RenditionSpec, spec.spec_hash) is None:
            raise


def current_specs(session: Session, channel: str | None = None) -> dict[str, Rendition]:
    """The specs some channel (or ``channel``) declares now, by hash."""
    query = (select(RenditionSpec.spec_hash, RenditionSpec.spec)
             .join(ChannelRendition, ChannelRendition.spec_hash == RenditionSpec.spec_hash)
             .distinct())
    if channel is not None:
        query = query.where(ChannelRendition.channel_code == channel)
    return {digest: Rendition.model_validate(spec) for digest, spec in session.execute(query)}


def specs_by_hash(session: Session, hashes: Iterable[str]) -> dict[str, Rendition]:
    rows = session.execute(select(RenditionSpec.spec_hash, RenditionSpec.spec)
                           .where(RenditionSpec.spec_hash.in_(sorted(set(hashes)))))
    return {digest: Rendition.model_validate(spec) for digest, spec in rows}


def with_hub_media_base(definition: Any) -> Any:
    """A channel definition whose ``media_base_url`` is the hub's own when it names none,
    so variants carry absolute URLs that answer (``PIM_BASE_URL`` + ``/media``)."""
    if definition.media_base_url:
        return definition
    base = get_settings().base_url.rstrip("/") + "/media"
    return definition.model_copy(update={"media_base_url": base})


# --- Files.


def rendition_path(spec_hash: str, sha256: str, extension: str) -> Path:
    return media_root() / RENDITIONS_DIR / spec_hash / sha256[:2] / f"{sha256}.{extension}"


@dataclass(frozen=True)
class DrawnPair:
    """One (asset, spec) drawn into the store, or why it could not be."""

    sha256: str
    spec_hash: str
    width: int | None = None
    height: int | None = None
    size: int | None = None
    error: str | None = None


def draw_into_store(source: Path, sha256: str, specs: Mapping[str, Rendition], *,
                    max_pixels: int, name: str = "the image") -> list[DrawnPair]:
    """Draw ``specs`` from one source (decoded once) and write their files. No database:
    worker processes run it too."""
    ordered = list(specs.values())
    try:
        drawn = render_file(source, ordered, max_pixels=max_pixels, name=name)
    except RenderRefused as refused:
        return [DrawnPair(sha256, digest, error=str(refused)[:1000]) for digest in specs]
    except MemoryError:
        return [DrawnPair(sha256, digest, error=f"{name} needs more memory to decode than "
                          "this process has") for digest in specs]
    pairs = []
    for spec, rendered in zip(ordered, drawn, strict=True):
        write_atomically(rendition_path(spec.spec_hash, sha256, spec.extension), rendered.data)
        pairs.append(DrawnPair(sha256, spec.spec_hash, rendered.width, rendered.height,
                               len(rendered.data)))
    return pairs


def record_pairs(session: Session, pairs: Sequence[DrawnPair]) -> list[str]:
    """Upsert the rows of drawn pairs; announce the assets that failed. Returns their
    sha256s."""
    if not pairs:
        return []
    now = utcnow()
    rows = [{"asset_sha256": p.sha256, "spec_hash": p.spec_hash,
             "status": "failed" if p.error else "ready", "width": p.width, "height": p.height,
             "size": p.size, "error": p.error, "created_at": now} for p in pairs]
    insert_many(session, StoredRendition.__table__, rows,
                renew_on_conflict=("status", "width", "height", "size", "error", "created_at"))
    failed = sorted({p.sha256 for p in pairs if p.error})
    if failed:
        renditions_failed(session, failed)
    return failed


def is_image(asset: Asset) -> bool:
    return asset.media_type.startswith("image/")


def draw_asset(session: Session, sha256: str, spec_hashes: Iterable[str] | None = None, *,
               redraw: bool = False) -> dict[str, Any]:
    """Draw ``sha256``'s renditions: the given specs, or every current spec it lacks (all of
    them with ``redraw``). Safe to run twice: a pair already drawn is left alone."""
    asset = session.get(Asset, sha256)
    if asset is None:
        return {"status": "skipped", "sha256": sha256, "reason": "no such asset"}
    if not is_image(asset):
        return {"status": "skipped", "sha256": sha256,
                "reason": f"{asset.media_type} is not an image: it has no renditions"}
    specs = specs_by_hash(session, spec_hashes) if spec_hashes is not None \
        else current_specs(session)
    if not redraw:
        done = set(session.scalars(select(StoredRendition.spec_hash).where(
            StoredRendition.asset_sha256 == sha256)))
        specs = {digest: spec for digest, spec in specs.items() if digest not in done}
    if not specs:
        return {"status": "unchanged", "sha256": sha256, "drawn": 0}
    pairs = draw_into_store(absolute(asset.path), sha256, specs,
                            max_pixels=get_settings().media_max_pixels, name="the image")
    failed = record_pairs(session, pairs)
    return {"status": "failed" if failed else "drawn", "sha256": sha256,
            "drawn": sum(1 for p in pairs if not p.error),
            "errors": [p.error for p in pairs if p.error][:1]}


@dataclass(frozen=True)
class ServedFile:
    path: Path
    media_type: str
    etag: str
    filename: str = ""


def rendition_to_serve(session: Session, spec_hash: str, filename: str) -> ServedFile:
    """The file behind ``/media/r/{spec_hash}/{filename}``, drawn now if its job has not run
    yet. NotFound for an unknown spec or asset, a wrong extension, or a source that cannot
    be drawn (the reason in the message)."""
    sha256, _, extension = filename.partition(".")
    spec_row = session.get(RenditionSpec, spec_hash) if _hex(spec_hash, 16) else None
    if spec_row is None or not _hex(sha256, 64):
        raise NotFound(f"no rendition {spec_hash}/{filename}")
    spec = Rendition.model_validate(spec_row.spec)
    if extension != EXTENSIONS[spec.format]:
        raise NotFound(f"rendition {spec_hash} is a .{EXTENSIONS[spec.format]} file")
    path = rendition_path(spec_hash, sha256, extension)
    served = ServedFile(path, spec.media_type, f'"{spec_hash}-{sha256}"')
    if path.is_file():
        return served
    row = session.get(StoredRendition, (sha256, spec_hash))
    if row is not None and row.status == "failed":
        raise NotFound(f"rendition {spec_hash}/{filename} cannot be drawn: {row.error}")
    asset = session.get(Asset, sha256)
    if asset is None or not is_image(asset):
        raise NotFound(f"no image asset {sha256}")
    with ON_DEMAND:
        if not path.is_file():
            [pair] = draw_into_store(absolute(asset.path), sha256, {spec_hash: spec},
                                     max_pixels=get_settings().media_max_pixels,
                                     name="the image")
            if pair.error:
                raise NotFound(f"rendition {spec_hash}/{filename} cannot be drawn: "
                               f"{pair.error}")
    return served


def original_to_serve(session: Session, filename: str) -> ServedFile:
    """The stored original behind ``/media/o/{sha256}.{ext}``."""
    sha256, _, extension = filename.partition(".")
    asset = session.get(Asset, sha256) if _hex(sha256, 64) else None
    if asset is None or not asset.path.endswith(f".{extension}"):
        raise NotFound(f"no asset {filename}")
    path = absolute(asset.path)
    if not path.is_file():
        raise NotFound(f"the file of asset {sha256} is missing from the media store")
    return ServedFile(path, asset.media_type, f'"{sha256}"', asset.filename)


def _hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in "0123456789abcdef" for c in text)


# --- What projections need to know.


def asset_facts(session: Session, paths: Iterable[str]) -> dict[str, AssetFacts]:
    """The facts of the stored assets among ``paths`` (content paths), by path."""
    by_sha: dict[str, str] = {}
    for path in paths:
        stored = stored_asset(path)
        if stored is not None:
            by_sha[stored[0]] = path
    if not by_sha:
        return {}
    shas = sorted(by_sha)
    drawn: dict[str, dict[str, tuple[int, int]]] = {}
    failed: dict[str, dict[str, str]] = {}
    for sha, digest, status, width, height, error in session.execute(
            select(StoredRendition.asset_sha256, StoredRendition.spec_hash,
                   StoredRendition.status, StoredRendition.width, StoredRendition.height,
                   StoredRendition.error).where(StoredRendition.asset_sha256.in_(shas))):
        if status == "ready" and width and height:
            drawn.setdefault(sha, {})[digest] = (width, height)
        elif status == "failed":
            failed.setdefault(sha, {})[digest] = error or "it cannot be drawn"
    facts = {}
    for sha, media_type, width, height in session.execute(
            select(Asset.sha256, Asset.media_type, Asset.width, Asset.height)
            .where(Asset.sha256.in_(shas))):
        facts[by_sha[sha]] = AssetFacts(sha, media_type, width, height,
                                        drawn.get(sha, {}), failed.get(sha, {}))
    return facts


def content_paths(values_list: Iterable[dict]) -> set[str]:
    """Every value that looks like a stored asset's path (``ab/cd/<sha256>.<ext>``)."""
    found = set()
    for values in values_list:
        for entries in (values or {}).values():
            for entry in entries:
                data = entry.get("data") if isinstance(entry, dict) else None
                if type(data) is str and 70 < len(data) < 80 and data[2:3] == "/":
                    found.add(data)
    return found


def images_missing(session: Session, spec_hashes: Iterable[str]) -> list[str]:
    """The stored images lacking a row for at least one of ``spec_hashes``."""
    wanted = sorted(set(spec_hashes))
    have: dict[str, int] = {}
    for sha in session.scalars(select(StoredRendition.asset_sha256)
                               .where(StoredRendition.spec_hash.in_(wanted))):
        have[sha] = have.get(sha, 0) + 1
    images = session.scalars(select(Asset.sha256).where(Asset.media_type.like("image/%"))
                             .order_by(Asset.sha256))
    return [sha for sha in images if have.get(sha, 0) < len(wanted)]


def pairs_to_draw(session: Session, specs: Mapping[str, Rendition], *, missing_only: bool
                  ) -> list[tuple[str, str, list[str]]]:
    """``(sha256, path, spec hashes)`` per stored image with work to do."""
    have: dict[str, set[str]] = {}
    if missing_only:
        for sha, digest in session.execute(
                select(StoredRendition.asset_sha256, StoredRendition.spec_hash)
                .where(StoredRendition.spec_hash.in_(sorted(specs)))):
            have.setdefault(sha, set()).add(digest)
    work = []
    for sha, path in session.execute(select(Asset.sha256, Asset.path)
                                     .where(Asset.media_type.like("image/%"))
                                     .order_by(Asset.sha256)):
        todo = [digest for digest in specs if digest not in have.get(sha, ())]
        if todo:
            work.append((sha, path, todo))
    return work


def render_missing(session: Session, shas: Iterable[str]) -> int:
    """Record a ``media.render`` job for each of ``shas`` lacking a current spec; returns
    how many. Used when products gain media values (the asset may predate the specs)."""
    wanted = set(session.scalars(select(ChannelRendition.spec_hash).distinct()))
    shas = sorted(set(shas))
    if not wanted or not shas:
        return 0
    have: dict[str, set[str]] = {}
    for sha, digest in session.execute(
            select(StoredRendition.asset_sha256, StoredRendition.spec_hash)
            .where(StoredRendition.asset_sha256.in_(shas))):
        have.setdefault(sha, set()).add(digest)
    images = set(session.scalars(select(Asset.sha256).where(
        Asset.sha256.in_(shas), Asset.media_type.like("image/%"))))
    count = 0
    for sha in shas:
        missing = sorted(wanted - have.get(sha, set()))
        if sha in images and missing:
            enqueue(MEDIA_RENDER, {"sha256": sha}, session=session,
                    dedupe_key=f"{MEDIA_RENDER}:{sha}:{','.join(missing)}")
            count += 1
    return count
