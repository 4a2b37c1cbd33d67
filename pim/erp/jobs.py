"""ERP pulls as jobs: ``erp.pull`` runs one connector file's pull with progress, and a
connector with ``schedule: every 15m`` has its next pull scheduled on the jobs scheduler.

A scheduled pull's slot is aligned on the interval (every 15 minutes: :00, :15, :30, :45)
and its dedupe key names the connector and the slot, so however many processes schedule
"the next pull" (the CLI, a pull finishing, a retry), one job is recorded per slot. Each
pull, whatever its outcome, schedules the next one; the job payload holds the file's path,
never its credentials (the worker reads the file, and the environment for ``*_env``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from importers.erp import (
    ConnectorConfigError,
    ConnectorError,
    RestConnector,
    TrytonConnector,
    load_connector_file,
)
from pim.db import session_factory, utcnow
from pim.erp.pull import pull
from pim.erp.state import PULL_KIND
from pim.errors import Conflict
from pim.jobs import JobContext, PermanentError, TransientError, enqueue, job

SCHEDULER = "scheduler"


@job(PULL_KIND, queue="imports", max_attempts=3)
def pull_connector(ctx: JobContext, *, file: str, connector: str, full: bool = False,
                   scheduled: bool = False) -> dict[str, Any]:
    """Pull one connector file's ERP into the catalog; the result is the pull's report."""
    try:
        config = load_connector_file(file)
    except ConnectorConfigError as error:
        raise PermanentError(error.message) from None
    if config.connector_name != connector:
        raise PermanentError(f"{file} now names connector {config.connector_name!r}, "
                             f"not {connector!r}")
    try:
        report = pull(config, session_factory=session_factory(), full=full,
                      actor=ctx.created_by or f"erp:{connector}", job_id=ctx.job_id,
                      progress=lambda done, message: ctx.progress(done, None, message))
    except ConnectorError as error:
        # Messages only, no chained exceptions: a job record keeps what it is given.
        if error.transient:
            raise TransientError(error.message) from None
        raise PermanentError(error.message) from None
    except Conflict as error:
        raise PermanentError(error.message) from None
    finally:
        if scheduled or config.schedule:
            schedule_next_pull(config)
    return report.as_dict()


def pull_payload(config: TrytonConnector | RestConnector, *, full: bool = False,
                 scheduled: bool = False) -> dict[str, Any]:
    if not config.path:
        raise ValueError("a pull job reads its connector from a file")
    return {"file": config.path, "connector": config.connector_name, "full": full,
            "scheduled": scheduled}


def next_slot(interval_seconds: float, now: datetime | None = None) -> datetime:
    """The first slot of the interval's grid after ``now``."""
    moment = (now or utcnow()).timestamp()
    return datetime.fromtimestamp((math.floor(moment / interval_seconds) + 1) * interval_seconds,
                                  UTC)


def schedule_next_pull(config: TrytonConnector | RestConnector,
                       now: datetime | None = None) -> str | None:
    """Record the connector's next scheduled pull (once per slot); its job id, or None
    when the connector has no schedule."""
    if config.schedule is None or not config.path:
        return None
    run_at = next_slot(config.schedule.total_seconds(), now)
    return enqueue(PULL_KIND, pull_payload(config, scheduled=True), created_by=SCHEDULER,
                   run_at=run_at,
                   dedupe_key=f"{PULL_KIND}:{config.connector_name}:{int(run_at.timestamp())}")
