"""Publishing jobs: feeds exported to files under ``var/exports``."""

from __future__ import annotations

from pim.jobs.registry import job

EXPORT = "export"


@job(EXPORT, max_attempts=2)
def export_job(ctx, channel: str, format: str, locale: str | None = None,
               since: str | None = None) -> dict:
    """Write the feed to ``var/exports/<channel>-<format>-<job id>.<ext>``; running it twice
    rewrites the same file."""
    from datetime import datetime

    from pim.publishing.exports import export_path, write_feed_file
    from pim.publishing.feeds import exporter_for

    exporter = exporter_for(format)
    path = export_path(channel, format, exporter.extension, ctx.job_id)
    moment = datetime.fromisoformat(since) if since else None
    written = write_feed_file(channel, format, path, locale=locale, since=moment)
    return {"path": str(written.path) if written.path else None, "bytes": written.bytes,
            "products": written.products, "withdrawn": written.withdrawn,
            "media_type": exporter.media_type, "message": written.describe(channel, moment)}
