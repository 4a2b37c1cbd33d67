"""Where the slices meet: every cross-slice reaction is connected here, once, at start-up.

A lower slice announces what happened through a listener registry it owns
(``pim.listeners.Listeners``); the slices above subscribe here, so the catalog knows nothing
of the workflow, and publishing nothing of webhooks. This module also imports every module
that defines jobs, so a process that wired the slices knows every job kind.

``connect_listeners()`` is idempotent and cheap after the first call. Every entry point calls
it before it serves: the app factory (``pim.app.create_app``), the ``pim`` command (and so
``pim worker``, whose rq work horses and embedded runner threads inherit it), the test
set-up (``tests/conftest.py``) and the benchmark harness. An entry point that forgets fails
loudly at its first announcement (``pim.listeners.ListenersNotConnected``) rather than
leaving completeness or webhooks silently behind.

To add a reaction: give the lower slice a ``Listeners`` (in its ``listeners.py`` or
``events.py``), call it where the thing happens, and connect the upper slice's function in
``connect_listeners`` below.
"""

from __future__ import annotations

import threading

# The modules defining jobs, imported for their @job registrations.
import pim.catalog.jobs
import pim.erp.jobs
import pim.media.jobs
import pim.publishing.jobs
import pim.search.jobs
import pim.webhooks.jobs
import pim.workflow.jobs  # noqa: F401
from pim import listeners
from pim.auth.access import access_changed
from pim.auth.web_sessions import end_sessions_of_disabled_user
from pim.catalog import listeners as catalog
from pim.jobs.recovery import maintenance_tasks
from pim.media.hooks import draw_renditions_of_changed_products
from pim.media.importing import import_media_hook
from pim.media.renditions import renditions_failed
from pim.publishing import events as publishing
from pim.search.indexing import mark_dirty as mark_search_dirty
from pim.webhooks.events import record_publishing_event
from pim.webhooks.jobs import wake_overdue_subscriptions
from pim.workflow.channel_usage import channels_naming
from pim.workflow.channels import channel_codes
from pim.workflow.hooks import products_changed, products_showing_assets_changed
from pim.workflow.imported_channels import apply_imported_channel

_lock = threading.Lock()


def connect_listeners() -> None:
    """Connect every slice's listeners to the registries of the slices below it."""
    if listeners.listeners_connected():
        return
    with _lock:
        # catalog -> workflow: completeness and "changed since published"; channels are the
        # scopes values may name, and an import's channel rows are channel definitions.
        catalog.products_changed.connect(products_changed)
        # catalog -> search: the changed products (and a model's variants) are indexed by
        # the batched job once the transaction commits.
        catalog.products_changed.connect(mark_search_dirty)
        catalog.channel_codes.connect(channel_codes)
        catalog.structure_rows.connect(apply_imported_channel)
        # catalog -> workflow: structure a channel's definition names is not deleted.
        catalog.structure_users.connect(channels_naming)
        # catalog -> media: an import stores its media files and downloads its media URLs.
        catalog.import_hooks.connect(import_media_hook)
        # catalog -> media: a product that gains a media value gets its renditions drawn.
        catalog.products_changed.connect(draw_renditions_of_changed_products)
        # media -> workflow: an image that cannot be drawn is a completeness error.
        renditions_failed.connect(products_showing_assets_changed)
        # publishing -> webhooks: each event becomes deliveries, in the same transaction.
        publishing.event_recorded.connect(record_publishing_event)
        # jobs -> webhooks: every runner's maintenance sends deliveries no job will send.
        maintenance_tasks.connect(wake_overdue_subscriptions)
        # auth -> auth: a disabled user's web sessions end (they are refused at once anyway).
        access_changed.connect(end_sessions_of_disabled_user)
        listeners.mark_connected()
