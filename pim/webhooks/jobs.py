"""Webhook jobs: module-level functions taking ids, safe to run twice (rq or embedded).

``webhooks.deliver`` sends one delivery. Whatever happens, it leaves exactly what must
happen next in the job queue: a retry scheduled at its ``next_attempt_at``; after a
delivery's final outcome, the next delivery of the same subscription and ordering key.
A job whose worker died mid-send is rerun by the jobs runner and takes its own send lease
over at once (the lease names the job); a job that finds its delivery leased by another
job reschedules itself for when that lease runs out. ``webhooks.dispatch_due`` (also ``pim webhook dispatch``) sends whatever is due
and was left without a job, a safety net for a cron or an operator.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from pim.db import read_session, utcnow
from pim.webhooks.delivery import Outcome, deliver, due_heads, next_in_line

try:
    from pim.jobs import enqueue, job
except ImportError:  # the jobs slice has not landed: functions stay plain and callable
    enqueue = None

    def job(kind, **_options):
        return lambda function: function

DELIVER = "webhooks.deliver"
DISPATCH_DUE = "webhooks.dispatch_due"
# A job that raises (a database hiccup, not an HTTP failure: those are the delivery's own
# retries) is rerun by the runner on this schedule.
JOB_RETRY_DELAYS = [1, 5, 30, 120]


def enqueue_deliveries(session: Session | None, delivery_ids: Iterable[int],
                       run_at: datetime | None = None) -> None:
    """Ask the runner to send these deliveries (after ``session`` commits, when given).

    A scheduled send is keyed by delivery and time, so two jobs that both notice the same
    retry or lease schedule one follow-up between them."""
    if enqueue is None:
        return
    for delivery_id in delivery_ids:
        key = f"webhook-delivery:{delivery_id}:{run_at.isoformat()}" if run_at else None
        enqueue(DELIVER, {"delivery_id": delivery_id}, session=session, run_at=run_at,
                dedupe_key=key)


def schedule_follow_up(outcome: Outcome) -> None:
    if outcome.state in ("retry", "not_due") and outcome.next_attempt_at:
        enqueue_deliveries(None, [outcome.delivery_id], run_at=outcome.next_attempt_at)
    elif outcome.finished_its_turn:
        with read_session() as session:
            following = next_in_line(session, outcome.subscription_id, outcome.ordering_key)
            if following is None:
                return
            due = following.next_attempt_at
            following_id = following.id
        enqueue_deliveries(None, [following_id],
                           run_at=due if due and due > utcnow() else None)


@job(DELIVER, max_attempts=len(JOB_RETRY_DELAYS) + 1, retry_delays=JOB_RETRY_DELAYS,
     timeout=300)
def deliver_webhook(ctx, delivery_id: int) -> dict:
    outcome = deliver(delivery_id, claimer=f"job:{ctx.job_id}")
    schedule_follow_up(outcome)
    return {"delivery_id": delivery_id, "state": outcome.state}


def send_due_deliveries(limit: int = 100) -> dict[str, int]:
    """Send, one after the other, up to ``limit`` deliveries that are due now."""
    with read_session() as session:
        ids = due_heads(session, utcnow(), limit)
    states: dict[str, int] = {}
    for delivery_id in ids:
        outcome = deliver(delivery_id)
        schedule_follow_up(outcome)
        states[outcome.state] = states.get(outcome.state, 0) + 1
    return states


@job(DISPATCH_DUE, max_attempts=1, timeout=3600)
def dispatch_due_webhooks(ctx, limit: int = 100) -> dict:
    return send_due_deliveries(limit)
