"""Webhook jobs: module-level functions taking ids, safe to run twice (rq or embedded).

``webhooks.deliver`` sends a few deliveries (those of one event, or one delivery) and then
carries on along their ordering chains: when a delivery finishes its turn (succeeded or
finally failed), the same job sends the next delivery of that subscription and ordering key
if it is due, within a budget of time and count, instead of leaving it to a new job. Whatever
happens, it leaves exactly what must happen next in the job queue: a retry scheduled at its
``next_attempt_at``; after the budget, the next deliveries of the chains it was following.
A job whose worker died mid-send is rerun by the jobs runner and takes its own send leases
over at once (the lease names the job); a job that finds its delivery leased by another job
reschedules itself for when that lease runs out. ``webhooks.dispatch_due`` (also ``pim
webhook dispatch``) sends whatever is due and was left without a job, a safety net for a
cron or an operator.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from pim.db import read_session, utcnow
from pim.webhooks.delivery import (
    Outcome,
    claimed_by,
    deliver_many,
    due_heads,
    next_heads,
)

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
JOB_TIMEOUT_SECONDS = 300
# Deliveries claimed (leased) together and sent one after the other: the lease covers them
# all, so a batch must fit the job's timeout with room for the budget below.
CLAIM_BATCH = 4
# How long a job goes on along the ordering chains before handing them to new jobs.
CHAIN_BUDGET_SECONDS = 30.0
CHAIN_BUDGET_DELIVERIES = 500
# Ids per job when many deliveries are enqueued at once (enabling, redelivering).
IDS_PER_JOB = 100


def enqueue_deliveries(session: Session | None, delivery_ids: Iterable[int],
                       run_at: datetime | None = None) -> None:
    """Ask the runner to send these deliveries (after ``session`` commits, when given).

    Deliveries due now go in one job (per ``IDS_PER_JOB``). A scheduled send is keyed by
    delivery and time, so two jobs that both notice the same retry or lease schedule one
    follow-up between them."""
    if enqueue is None:
        return
    ids = list(dict.fromkeys(delivery_ids))
    if run_at is None:
        for start in range(0, len(ids), IDS_PER_JOB):
            chunk = ids[start:start + IDS_PER_JOB]
            payload = {"delivery_id": chunk[0]} if len(chunk) == 1 else {"delivery_ids": chunk}
            enqueue(DELIVER, payload, session=session)
        return
    for delivery_id in ids:
        enqueue(DELIVER, {"delivery_id": delivery_id}, session=session, run_at=run_at,
                dedupe_key=f"webhook-delivery:{delivery_id}:{run_at.isoformat()}")


def send_chains(delivery_ids: list[int], claimer: str | None = None, *,
                resume: bool = False) -> list[Outcome]:
    """Send these deliveries and, as each finishes its turn, the next of its chain (same
    subscription and ordering key) while due and within the budget; then queue what must
    happen next. ``resume`` (a rerun of the job): first take back the deliveries still
    leased to ``claimer``, and look past deliveries already finished, in case the earlier
    run died between finishing one and sending (or queueing) the next."""
    claimer = claimer or f"once:{uuid.uuid4().hex}"
    todo = list(dict.fromkeys(delivery_ids))
    if resume:
        with read_session() as session:
            todo = list(dict.fromkeys([*claimed_by(session, claimer), *todo]))
    started, sent = time.monotonic(), 0
    outcomes: list[Outcome] = []
    while todo:
        batch, todo = todo[:CLAIM_BATCH], todo[CLAIM_BATCH:]
        batch_outcomes = deliver_many(batch, claimer)
        outcomes.extend(batch_outcomes)
        sent += len(batch)
        finished = [o for o in batch_outcomes
                    if o.finished_its_turn or (resume and o.state == "finished")]
        if not finished:
            continue
        with read_session() as session:
            heads = next_heads(session, finished)
        now = utcnow()
        within_budget = (sent < CHAIN_BUDGET_DELIVERIES
                         and time.monotonic() - started < CHAIN_BUDGET_SECONDS)
        due_now = [i for i, due in heads if due is None or due <= now]
        for delivery_id, due in heads:
            if due is not None and due > now:  # a retry or another job's lease: wait for it
                enqueue_deliveries(None, [delivery_id], run_at=due)
        if within_budget:
            todo.extend(i for i in due_now if i not in todo)
        else:
            enqueue_deliveries(None, due_now)
    for outcome in outcomes:
        if outcome.state in ("retry", "not_due") and outcome.next_attempt_at:
            enqueue_deliveries(None, [outcome.delivery_id], run_at=outcome.next_attempt_at)
    return outcomes


def count_states(outcomes: list[Outcome]) -> dict[str, int]:
    states: dict[str, int] = {}
    for outcome in outcomes:
        states[outcome.state] = states.get(outcome.state, 0) + 1
    return states


@job(DELIVER, max_attempts=len(JOB_RETRY_DELAYS) + 1, retry_delays=JOB_RETRY_DELAYS,
     timeout=JOB_TIMEOUT_SECONDS)
def deliver_webhook(ctx, delivery_id: int | None = None,
                    delivery_ids: list[int] | None = None) -> dict:
    ids = [delivery_id] if delivery_id is not None else list(delivery_ids or ())
    outcomes = send_chains(ids, claimer=f"job:{ctx.job_id}", resume=ctx.attempt > 1)
    return {"delivery_ids": ids, "states": count_states(outcomes)}


def send_due_deliveries(limit: int = 100) -> dict[str, int]:
    """Send up to ``limit`` deliveries that are due now (and their chains, within the
    budget), one after the other."""
    with read_session() as session:
        ids = due_heads(session, utcnow(), limit)
    return count_states(send_chains(ids))


@job(DISPATCH_DUE, max_attempts=1, timeout=3600)
def dispatch_due_webhooks(ctx, limit: int = 100) -> dict:
    return send_due_deliveries(limit)
