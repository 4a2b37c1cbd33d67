"""Background jobs: one record, two runners (rq over Redis, or threads in this process).

Other slices register job functions with :func:`job` and start them with :func:`enqueue`
(or :func:`run_inline` from the CLI); the API and UI read records with :func:`get_job`,
:func:`list_jobs` and cancel them with :func:`cancel_job`.
"""

from pim.jobs.context import JobContext
from pim.jobs.dispatch import enqueue
from pim.jobs.embedded import start_embedded_runner, stop_embedded_runner
from pim.jobs.errors import JobCancelled, PermanentError, TransientError, UnknownJobKind
from pim.jobs.inline import run_inline
from pim.jobs.registry import job, load_job_modules
from pim.jobs.schemas import JobOut
from pim.jobs.service import cancel_job, get_job, list_jobs

__all__ = [
    "JobCancelled", "JobContext", "JobOut", "PermanentError", "TransientError",
    "UnknownJobKind", "cancel_job", "enqueue", "get_job", "job", "list_jobs",
    "load_job_modules", "run_inline", "start_embedded_runner", "stop_embedded_runner",
]
