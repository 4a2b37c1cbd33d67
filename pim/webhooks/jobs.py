"""Webhook jobs: module-level functions taking ids, safe to run twice (rq or embedded).

``webhooks.send`` sends one subscription's due deliveries in batches (``sender.py``).
Publishing wakes it through :func:`wake_subscriptions` in the publishing transaction: the
job row is written with the deliveries and reaches a runner after commit, and while it has
not started every further publication joins it instead of adding a job, so a burst of
publications costs a handful of jobs, not one per delivery. A rerun of a job whose worker
died takes its sender lease and its batch back at once and sends them again (same
``webhook-id``). ``webhooks.dispatch_due`` (also ``pim webhook dispatch``) sends whatever is
due right now, a safety net for a cron or an operator. The runners' maintenance runs
:func:`wake_overdue_subscriptions`, the safety net without a cron: deliveries left pending
past their time (their send job failed for good, say) get a send job again.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from pim.db import read_session, session_scope, utcnow
from pim.jobs import enqueue, job
from pim.jobs.models import Job
from pim.jobs.state import ACTIVE
from pim.webhooks.models import Delivery, Subscription
from pim.webhooks.sender import hold_publication_locks, send_subscription

log = logging.getLogger("pim.webhooks")

SEND = "webhooks.send"
DELIVER = "webhooks.deliver"  # before batches: jobs of this kind queued then still run
DISPATCH_DUE = "webhooks.dispatch_due"
# A job that raises (a database hiccup, not an HTTP failure: those are the deliveries' own
# retries) is rerun by the runner on this schedule.
JOB_RETRY_DELAYS = [1, 5, 30, 120]
JOB_TIMEOUT_SECONDS = 300


SENDERS = select(Subscription.id, Subscription.send_generation, Subscription.sender_until) \
    .where(Subscription.id.in_(bindparam("ids", expanding=True)))
EXISTING_JOBS = select(Job.dedupe_key).where(Job.dedupe_key.in_(bindparam("keys", expanding=True)))


def send_key(subscription_id: int, generation: int) -> str:
    return f"webhook-send:{subscription_id}:g{generation}"


def wake_subscriptions(session: Session | None, subscription_ids: Iterable[int], *,
                       senders: dict[int, tuple[int, datetime | None]] | None = None) -> None:
    """Make sure each subscription's deliveries committed with ``session`` (or now, without
    a session) get sent: by the send job under way, which looks again before it stops;
    else by a job not started yet, joined; else by a new job.

    ``senders``: each subscription's ``(send_generation, sender_until)`` as read in this
    transaction (on SQLite they cannot have moved since; PostgreSQL reads them again under
    the publication lock)."""
    ids = sorted(set(subscription_ids))
    if not ids:
        return
    if session is None:
        with session_scope() as own:
            wake_subscriptions(own, ids)
        return
    if session.get_bind().dialect.name == "postgresql" or senders is None:
        hold_publication_locks(session, ids)
        # Read after the lock (a Core select, not the identity map): a job that started
        # before has bumped the generation, so this publication does not join it.
        senders = {row.id: (row.send_generation, row.sender_until)
                   for row in session.execute(SENDERS, {"ids": ids})}
    now = utcnow()
    keys = {send_key(i, senders[i][0]): i for i in ids
            if i in senders and ((until := senders[i][1]) is None or until <= now)}
    if not keys:
        return  # every one has a send job under way
    joined = set(session.scalars(EXISTING_JOBS, {"keys": list(keys)}))
    for key, subscription_id in keys.items():
        if key not in joined:
            enqueue(SEND, {"subscription_id": subscription_id}, session=session,
                    dedupe_key=key)


def wake_now(subscription_id: int, generation: int) -> None:
    """A send job handing over: the next one goes to the back of the queue."""
    enqueue(SEND, {"subscription_id": subscription_id},
            dedupe_key=send_key(subscription_id, generation))


def schedule_send(subscription_id: int, at: datetime) -> None:
    """A send job at ``at`` (a retry falling due, a lease running out, a circuit closing);
    one per subscription and second, whoever asks."""
    at = at.replace(microsecond=0) + timedelta(seconds=math.ceil(at.microsecond / 1e6))
    enqueue(SEND, {"subscription_id": subscription_id}, run_at=at,
            dedupe_key=f"webhook-send:{subscription_id}:at:{at.isoformat()}")


def enqueue_deliveries(session: Session | None, delivery_ids: Iterable[int]) -> None:
    """Wake the send jobs of these deliveries' subscriptions (enabling, redelivering)."""
    ids = list(dict.fromkeys(delivery_ids))
    if not ids:
        return
    with read_session() if session is None else nullcontext(session) as reader:
        subscriptions = reader.scalars(select(Delivery.subscription_id).distinct()
                                       .where(Delivery.id.in_(ids))).all()
    wake_subscriptions(session, subscriptions)


def send_now(subscription_id: int, claimer: str | None = None, *,
             resume: bool = False) -> dict[str, int]:
    """Send a subscription's due deliveries here (a job's body, the CLI, tests)."""
    return send_subscription(subscription_id, claimer or f"once:{uuid.uuid4().hex}",
                             resume=resume, wake=wake_now, schedule=schedule_send)


@job(SEND, max_attempts=len(JOB_RETRY_DELAYS) + 1, retry_delays=JOB_RETRY_DELAYS,
     timeout=JOB_TIMEOUT_SECONDS)
def send_webhooks(ctx, subscription_id: int) -> dict:
    states = send_now(subscription_id, f"job:{ctx.job_id}", resume=ctx.attempt > 1)
    return {"subscription_id": subscription_id, "states": states}


@job(DELIVER, max_attempts=len(JOB_RETRY_DELAYS) + 1, retry_delays=JOB_RETRY_DELAYS,
     timeout=JOB_TIMEOUT_SECONDS)
def deliver_webhook(ctx, delivery_id: int | None = None,
                    delivery_ids: list[int] | None = None) -> dict:
    ids = [delivery_id] if delivery_id is not None else list(delivery_ids or ())
    enqueue_deliveries(None, ids)
    return {"delivery_ids": ids, "woken": True}


def subscriptions_with_due(limit: int) -> list[int]:
    with read_session() as session:
        return list(session.scalars(
            select(Delivery.subscription_id).distinct()
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= utcnow(),
                   Subscription.active.is_(True))
            .order_by(Delivery.subscription_id).limit(limit)))


def add_states(total: dict[str, int], states: dict[str, int]) -> dict[str, int]:
    for name, n in states.items():
        total[name] = total.get(name, 0) + n
    return total


def send_due_deliveries(limit: int = 100) -> dict[str, int]:
    """Send what is due now for up to ``limit`` subscriptions, one after the other."""
    total: dict[str, int] = {}
    for subscription_id in subscriptions_with_due(limit):
        add_states(total, send_now(subscription_id))
    return total


@job(DISPATCH_DUE, max_attempts=1, timeout=3600)
def dispatch_due_webhooks(ctx, limit: int = 100) -> dict:
    return send_due_deliveries(limit)


# A due delivery is overdue when no send job took it this long after its time: longer than
# a batch's round (a sender under way looks again before it stops).
OVERDUE_AFTER = timedelta(minutes=2)


def overdue_subscriptions(limit: int = 1000) -> list[int]:
    """Active subscriptions with a delivery pending past its time, whose sender lease (if
    any) has run out: nothing is sending them."""
    now = utcnow()
    with read_session() as session:
        return list(session.scalars(
            select(Delivery.subscription_id).distinct()
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.status == "pending",
                   Delivery.next_attempt_at <= now - OVERDUE_AFTER,
                   Subscription.active.is_(True),
                   (Subscription.sender_until.is_(None)) | (Subscription.sender_until <= now))
            .order_by(Delivery.subscription_id).limit(limit)))


def wake_overdue_subscriptions() -> list[int]:
    """The runners' maintenance: a send job for each subscription left with overdue
    deliveries and no send job queued or running. Returns the subscriptions given one.

    Not :func:`wake_subscriptions`: a job that failed for good before it started sending
    keeps its generation's key, which that would join. The key here names the maintenance
    slot, so however many runners look in one slot, one job is added."""
    ids = overdue_subscriptions()
    if not ids:
        return []
    slot = int(utcnow().timestamp() // OVERDUE_AFTER.total_seconds())
    with session_scope() as session:
        busy = {payload.get("subscription_id") for payload in session.scalars(
            select(Job.payload).where(Job.kind == SEND, Job.status.in_(ACTIVE)))}
        woken = [i for i in ids if i not in busy]
        for subscription_id in woken:
            enqueue(SEND, {"subscription_id": subscription_id}, session=session,
                    dedupe_key=f"webhook-send:{subscription_id}:overdue:{slot}")
    if woken:
        log.warning("webhooks: deliveries overdue with no send job; sending again for "
                    "subscription(s) %s", ", ".join(map(str, woken)))
    return woken
