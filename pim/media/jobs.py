"""The media jobs. ``media.render`` draws one asset's missing renditions (recorded when the
asset is stored, or when a product gains it as a value); ``media.render_spec`` draws new
specs for every stored image (recorded when a channel's renditions change).

``media_download``: fetch a media URL an import wrote, store it, and point the
value at the stored asset.

The import writes the URL itself as the value and enqueues this job after its batch
commits. The job replaces that value only while it still holds the same URL (a person or a
later import may have changed it meanwhile), through ``write_products`` with the import's
history source. Running it twice is harmless: the second run finds the value already
pointing at the asset and changes nothing; the same bytes are stored once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.catalog.models import Product, ProductModel
from pim.catalog.product_models import write_product_models
from pim.catalog.products import WritePolicy, write_products
from pim.jobs import JobContext, PermanentError, TransientError, job
from pim.media.errors import MediaTooLarge, UnsupportedMedia
from pim.media.fetch import DownloadFailed
from pim.media.renditions import MEDIA_RENDER, MEDIA_RENDER_SPEC, draw_asset, images_missing
from pim.media.service import fetch_url, store_download
from pim.net import UnsafeTarget
from pim.records import ProductRecord, RecordKind, ValueKey, get_value

MEDIA_DOWNLOAD = "media_download"


@job(MEDIA_DOWNLOAD, queue="media", max_attempts=3)
def media_download(ctx: JobContext, *, url: str, sku: str, attribute: str,
                   locale: str | None = None, scope: str | None = None,
                   kind: RecordKind = "product",
                   source: str | None = None) -> dict[str, Any]:
    """Download ``url`` into the media store and set ``sku``'s value to the asset's path."""
    key = ValueKey(attribute, locale, scope)
    where = {"sku": sku, "attribute": attribute, "locale": locale, "scope": scope}
    with ctx.session() as session:
        current = current_value(session, kind, sku, key)
    if current != url:
        return {"status": "skipped", **where,
                "reason": "the value no longer holds this URL", "value": current}
    try:
        fetched = fetch_url(url)
    except (UnsafeTarget, UnsupportedMedia, MediaTooLarge) as refused:
        raise PermanentError(f"{url}: {refused.message}") from None
    except DownloadFailed as failed:
        raise (TransientError if failed.retryable else PermanentError)(str(failed)) from None
    with ctx.session() as session:
        try:
            asset = store_download(session, fetched, url)
        except (UnsupportedMedia, MediaTooLarge) as refused:
            raise PermanentError(f"{url}: {refused.message}") from None
        if current_value(session, kind, sku, key) != url:  # changed while downloading
            return {"status": "skipped", **where, "path": asset.path,
                    "reason": "the value changed during the download"}
        status = set_media_value(session, kind, sku, key, asset.path,
                                 actor=ctx.created_by, source=source or f"media:{ctx.job_id}")
    return {"status": status, **where, "path": asset.path, "sha256": asset.sha256}


def current_value(session: Session, kind: RecordKind, sku: str, key: ValueKey) -> Any:
    query = select(Product.values).where(Product.sku == sku) if kind == "product" else \
        select(ProductModel.values).where(ProductModel.code == sku)
    values = session.scalar(query)
    if values is None:
        raise PermanentError(f"no {kind.replace('_', ' ')} {sku!r}")
    return get_value(values, key)


def set_media_value(session: Session, kind: RecordKind, sku: str, key: ValueKey, path: str, *,
                    actor: str | None, source: str) -> str:
    """Write the asset path through the catalog's one write path. The value being replaced
    is the URL the import itself wrote, so a pim-owned attribute is not a conflict here."""
    record = ProductRecord(sku=sku, kind=kind, values={key.attribute: [
        {"locale": key.locale, "scope": key.scope, "data": path}]})
    write = write_products if kind == "product" else write_product_models
    [result] = write(session, [record], actor=actor, source=source,
                     policy=WritePolicy("import", overwrite_pim_owned=True))
    if not result.ok:
        messages = "; ".join(e.get("message", "") for e in result.errors)
        raise PermanentError(f"{sku}: the catalog refused {key} = {path!r}: {messages}")
    return result.status


@job(MEDIA_RENDER, queue="media", max_attempts=3)
def media_render(ctx: JobContext, *, sha256: str,
                 spec_hashes: list[str] | None = None) -> dict[str, Any]:
    """Draw one asset's missing renditions (or those of ``spec_hashes``)."""
    with ctx.session() as session:
        return draw_asset(session, sha256, spec_hashes)


@job(MEDIA_RENDER_SPEC, queue="media", max_attempts=3, timeout=6 * 3600)
def media_render_spec(ctx: JobContext, *, spec_hashes: list[str]) -> dict[str, Any]:
    """Draw new specs for every stored image that lacks them, one asset per transaction
    (progress counts assets)."""
    with ctx.session() as session:
        shas = images_missing(session, spec_hashes)
    drawn = failed = 0
    for done, sha256 in enumerate(shas, start=1):
        with ctx.session() as session:
            result = draw_asset(session, sha256, spec_hashes)
        drawn += result.get("drawn", 0)
        failed += result["status"] == "failed"
        ctx.progress(done, len(shas))
    return {"assets": len(shas), "drawn": drawn, "failed": failed}
