"""Publishing jobs: feeds exported to files under ``var/exports``, and releases published
at their ``publish_at``. Module-level functions taking JSON-safe arguments, safe to run
twice: an export rewrites the same file, a release already published is left alone."""

from __future__ import annotations

from datetime import datetime

from pim.auth.actor import SYSTEM
from pim.db import session_scope
from pim.jobs import JobContext, job
from pim.publishing.exports import export_path, write_feed_file
from pim.publishing.feeds import exporter_for
from pim.publishing.releases import RELEASE_PUBLISH, publish_release

EXPORT = "export"


@job(EXPORT, max_attempts=2)
def export_job(ctx: JobContext, channel: str, format: str, locale: str | None = None,
               since: str | None = None) -> dict:
    """Write the feed to ``var/exports/<channel>-<format>-<job id>.<ext>``."""
    exporter = exporter_for(format)
    path = export_path(channel, format, exporter.extension, ctx.job_id)
    moment = datetime.fromisoformat(since) if since else None
    written = write_feed_file(channel, format, path, locale=locale, since=moment)
    return {"path": str(written.path) if written.path else None, "bytes": written.bytes,
            "products": written.products, "withdrawn": written.withdrawn,
            "media_type": exporter.media_type, "message": written.describe(channel, moment)}


@job(RELEASE_PUBLISH, max_attempts=3)
def publish_release_job(ctx: JobContext, release_id: int) -> dict:
    """Publish an approved release once its time has come (``if_due``)."""
    with session_scope() as session:
        release = publish_release(session, release_id, actor=SYSTEM, if_due=True)
        return {"release_id": release_id, "status": release.status,
                "report": release.report}
