"""The dashboard (``/``): where each channel stands, what ran lately, what is failing. Each
number links to the product grid filtered to exactly those products.

It reads several slices' read services (workflow, jobs, webhooks), each one call: a summary
page is the one view that composes services rather than calling one."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from pim.jobs.service import recent_jobs
from pim.web.pages import page
from pim.web.sessions import ReadSession
from pim.webhooks.jobs import DELIVER, DISPATCH_DUE, SEND
from pim.webhooks.service import failing_subscriptions
from pim.workflow.completeness import completeness_summary
from pim.workflow.overview import channel_counts

IMPORT_KINDS = ("import", "import_catalog")
# Webhook sends run after every publication: listed, they would hide every other job.
QUIET_KINDS = (SEND, DELIVER, DISPATCH_DUE, *IMPORT_KINDS)


def chart_data(rows: list[dict]) -> dict:
    """Completeness per channel (labels) and locale (one dataset each), for Chart.js."""
    channels = sorted({r["channel"] for r in rows})
    locales = sorted({r["locale"] for r in rows})
    value = {(r["channel"], r["locale"]): r["average_percent"] for r in rows}
    return {"labels": channels,
            "datasets": [{"label": locale,
                          "data": [value.get((channel, locale)) for channel in channels]}
                         for locale in locales]}


@get("/", include_in_schema=False, sync_to_thread=True)
def dashboard_page(request: Request, reader: ReadSession) -> Template:
    summary = completeness_summary(reader)
    return page(request, "dashboard.html", title="Dashboard",
                channels=channel_counts(reader), completeness=summary,
                chart=chart_data(summary),
                imports=recent_jobs(reader, kinds=IMPORT_KINDS, limit=8),
                jobs=recent_jobs(reader, exclude_kinds=QUIET_KINDS, limit=8),
                failing=failing_subscriptions(reader))


ROUTES = [dashboard_page]
