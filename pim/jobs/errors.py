"""What a job function raises to steer the retry policy, and what the runners raise."""

from __future__ import annotations

from pim.errors import DomainError


class TransientError(Exception):
    """A failure worth retrying (a peer timed out, a lock was busy). Any exception other
    than :class:`PermanentError` is retried too; raising this one says so explicitly."""


class PermanentError(Exception):
    """A failure that another attempt cannot fix (bad input, a missing row): the job fails
    at once, whatever attempts remain."""


class JobCancelled(Exception):
    """Raised by ``ctx.progress`` when the record no longer belongs to this run: the job was
    cancelled, or recovered and handed to another worker. Let it propagate."""


class UnknownJobKind(DomainError):
    status = 422
    title = "Unknown job kind"
