"""Sending one subscription's deliveries in batches: the body of a ``webhooks.send`` job.

One job at a time sends for a subscription: it takes the *sender lease* on the
subscription row (``sender``, ``sender_until``), then repeats claim a batch -> send it ->
record it until nothing is due, its circuit opens, or its time budget is spent (then it
hands over to a new job at the back of the queue, so a busy subscription never keeps a
worker from the others). A batch keeps PIM_WEBHOOK_CONCURRENCY requests in flight over the
subscription's own keep-alive pool; a batch holds one delivery per product at most, so a
product's versions never race each other.

Waking a sender (``jobs.wake_subscriptions``) never loses a publication, and a burst of
publications costs a handful of jobs, not one per delivery:

- A publication that finds the sender lease held queues nothing: the holder looks for due
  deliveries again after it lets the lease go, and takes it back when there are.
- Otherwise it queues a job keyed on the subscription's ``send_generation`` (``dedupe_key``),
  so it joins a job that has not started yet, or makes a new one; each job bumps the
  generation when it starts.
- Those reads and the publication's commit are one step for the sender: on PostgreSQL a
  publication holds a shared advisory lock on the subscription from its read to its commit,
  which a job takes exclusively to start and to let the lease go; on SQLite the write lock
  already orders them.
- A job that finds the lease held leaves, and schedules a look for when the lease runs
  out, in case the holder died (the jobs runner reruns a dead job too: the rerun takes its
  own lease and deliveries back at once).
- A job leaving with deliveries waiting on a retry or an open circuit schedules a job for
  the earliest of them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from pim.db import affected, read_session, session_scope, utcnow
from pim.net import UnsafeTarget, webhook_policy
from pim.webhooks.batch import (
    BatchRecord,
    SenderState,
    claim_batch,
    due_heads,
    read_state,
    record_batch,
    release_claims_of,
)
from pim.webhooks.delivery import (
    AttemptResult,
    Claim,
    attempt_budget_seconds,
    client_for,
    post,
)
from pim.webhooks.models import Delivery, Subscription
from pim.webhooks.settings import get_send_settings

log = logging.getLogger("pim.webhooks")

# A send job hands its subscription over to a new job after this long, so that with few
# workers every subscription gets its turn (a batch under way finishes first).
SEND_BUDGET_SECONDS = 5.0
# PostgreSQL advisory locks: (this space, subscription id). See the module docstring.
LOCK_SPACE = 0x77686B


def hold_publication_locks(session: Session, subscription_ids: list[int]) -> None:
    """PostgreSQL: keep the subscriptions' send jobs from starting until ``session``
    commits (shared: publications never wait for each other)."""
    if subscription_ids and session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            "SELECT pg_advisory_xact_lock_shared(CAST(:space AS integer), x) "
            "FROM unnest(CAST(:ids AS integer[])) AS x"),
            {"space": LOCK_SPACE, "ids": sorted(subscription_ids)})


def wait_for_publications(session: Session, subscription_id: int) -> None:
    """PostgreSQL: wait until every publication that read the current generation has
    committed (held to the end of ``session``'s transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            "SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:id AS integer))"),
            {"space": LOCK_SPACE, "id": subscription_id})


@dataclass(frozen=True)
class Start:
    state: SenderState | None  # None: the subscription is gone
    held_by_other_until: datetime | None = None  # the lease is another job's


def start_sending(subscription_id: int, claimer: str, lease_seconds: float,
                  resume: bool) -> Start:
    """Bump the generation and take the sender lease (or learn who holds it)."""
    with session_scope() as session:
        wait_for_publications(session, subscription_id)
        now = utcnow()
        taken = affected(session.execute(
            update(Subscription)
            .where(Subscription.id == subscription_id,
                   or_(Subscription.sender.is_(None), Subscription.sender_until <= now,
                       Subscription.sender == claimer))
            .values(sender=claimer, sender_until=now + timedelta(seconds=lease_seconds),
                    send_generation=Subscription.send_generation + 1)
            .execution_options(synchronize_session=False)))
        if not taken:
            session.execute(update(Subscription).where(Subscription.id == subscription_id)
                            .values(send_generation=Subscription.send_generation + 1)
                            .execution_options(synchronize_session=False))
            held = session.scalar(select(Subscription.sender_until)
                                  .where(Subscription.id == subscription_id))
            return Start(read_state(session, subscription_id, now), held or now)
        if resume:
            released = release_claims_of(session, subscription_id, claimer, now)
            if released:
                log.info("subscription %s: %s deliveries of %s sent again", subscription_id,
                         released, claimer)
        return Start(read_state(session, subscription_id, now))


def stop_sending(subscription_id: int, claimer: str) -> int | None:
    """Let the lease go, once the publications that saw it held have committed (they
    queued no job: this one looks again after letting go). Returns the generation then (a
    job keyed on it has not started)."""
    with session_scope() as session:
        wait_for_publications(session, subscription_id)
        session.execute(update(Subscription)
                        .where(Subscription.id == subscription_id,
                               Subscription.sender == claimer)
                        .values(sender=None, sender_until=None)
                        .execution_options(synchronize_session=False))
        return session.scalar(select(Subscription.send_generation)
                              .where(Subscription.id == subscription_id))


class BatchSender:
    """Sends a batch with up to ``concurrency`` requests in flight, stopping early when
    the receiver answers 410 or the circuit would open (the rest go back unsent)."""

    def __init__(self, state: SenderState, concurrency: int, threshold: int):
        self.state, self.concurrency, self.threshold = state, concurrency, threshold
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def send(self, claims: list[Claim], deadline: float
             ) -> tuple[list[tuple[Claim, AttemptResult]], list[Claim]]:
        try:
            target = webhook_policy().pin(self.state.url)
        except UnsafeTarget as refused:
            return [(c, AttemptResult(error=f"refused: {refused.message}")) for c in claims], []
        except ConnectionError as error:  # DNS: one attempt fails, the rest wait
            return [(claims[0], AttemptResult(error=str(error), network_failure=True))], \
                claims[1:]
        client = client_for(self.state.id, target.server_name, self.concurrency)
        todo, sent, lock = deque(claims), [], threading.Lock()
        failures, stop = self.state.circuit_failures, False

        def work() -> None:
            nonlocal failures, stop
            while True:
                with lock:
                    if stop or not todo or time.monotonic() >= deadline:
                        return
                    claimed = todo.popleft()
                result = post(client, target, self.state.signing_secrets, claimed)
                with lock:
                    sent.append((claimed, result))
                    if result.gone:
                        stop = True
                    elif result.retryable:
                        failures += 1
                        stop = stop or result.retry_after is not None \
                            or failures >= self.threshold
                    else:
                        failures = 0

        workers = min(self.concurrency, len(claims))
        if workers <= 1:
            work()
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency,
                                                thread_name_prefix=f"webhook-{self.state.id}")
            for running in [self._pool.submit(work) for _ in range(workers)]:
                running.result()
        return sent, list(todo)


def send_batches(state: SenderState, claimer: str, budget_end: float,
                 record: BatchRecord) -> str:
    """Claim, send and record batches while the lease lasts. Returns why it stopped:
    ``idle`` (nothing due), ``budget``, ``circuit`` (open) or ``disabled``."""
    settings = get_send_settings()
    sender = BatchSender(state, settings.concurrency, settings.circuit_threshold)
    try:
        while time.monotonic() < budget_end:
            now = utcnow()
            if state.circuit_open_until is not None and state.circuit_open_until > now:
                return "circuit"
            probing = state.circuit_failures >= settings.circuit_threshold
            deadline = min(budget_end, time.monotonic() + settings.batch_seconds)
            lease_until = now + timedelta(seconds=deadline - time.monotonic()
                                          + attempt_budget_seconds())
            with session_scope() as session:
                claims = claim_batch(session, state.id, claimer, now,
                                     1 if probing else settings.batch_size, lease_until)
            if not claims:
                return "idle"
            sent, unsent = sender.send(claims, deadline)
            with session_scope() as session:
                batch = record_batch(session, state, claimer, sent, unsent, utcnow())
            for name, n in batch.states.items():
                record.count(name, n)
            state = replace(state, circuit_failures=batch.circuit_failures,
                            circuit_open_until=batch.circuit_open_until)
            if batch.disabled:
                log.warning("subscription %s disabled: %s", state.id, batch.disabled)
                return "disabled"
        return "budget"
    finally:
        sender.close()


def has_due(subscription_id: int) -> bool:
    with read_session() as session:
        return bool(due_heads(session, subscription_id, utcnow(), 1))


def next_look(subscription_id: int) -> datetime | None:
    """When this subscription next has something to send: its earliest retry or lease
    end, no earlier than its open circuit allows; None when nothing is pending."""
    now = utcnow()
    with read_session() as session:
        earliest = session.scalar(
            select(func.min(Delivery.next_attempt_at))
            .where(Delivery.subscription_id == subscription_id, Delivery.status == "pending",
                   Delivery.next_attempt_at > now))
        row = session.execute(select(Subscription.active, Subscription.circuit_open_until)
                              .where(Subscription.id == subscription_id)).first()
    if row is None or not row.active:
        return None
    if row.circuit_open_until is not None and row.circuit_open_until > now:
        pending = earliest is not None or has_due(subscription_id)
        return max(earliest or row.circuit_open_until, row.circuit_open_until) \
            if pending else None
    return earliest


def send_subscription(subscription_id: int, claimer: str, *, resume: bool = False,
                      wake=None, schedule=None) -> dict[str, int]:
    """Send what is due for one subscription, as one job (see the module docstring).
    ``wake(subscription_id, generation)`` queues a job to go on now; ``schedule(
    subscription_id, at)`` queues one for later. Returns the count of each outcome."""
    record = BatchRecord()
    budget_end = time.monotonic() + SEND_BUDGET_SECONDS
    lease = SEND_BUDGET_SECONDS + get_send_settings().batch_seconds \
        + attempt_budget_seconds()
    while True:
        start = start_sending(subscription_id, claimer, lease, resume)
        resume = False
        if start.state is None:
            return record.states
        if start.held_by_other_until is not None:
            record.count("held_by_another_job")
            if schedule is not None and start.state.active:
                schedule(subscription_id, start.held_by_other_until)
            return record.states
        try:
            stopped = send_batches(start.state, claimer, budget_end, record) \
                if start.state.active else "disabled"
        except BaseException:
            # Let the lease go if the database lets us (the job is retried, and meanwhile
            # publications wake another); the batch's own lease keeps its deliveries.
            with contextlib.suppress(Exception):
                stop_sending(subscription_id, claimer)
            raise
        generation = stop_sending(subscription_id, claimer)
        if stopped == "idle" and has_due(subscription_id):
            if time.monotonic() < budget_end:
                continue  # published while the lease was let go: take it back
            stopped = "budget"
        if stopped == "budget" and wake is not None and generation is not None:
            wake(subscription_id, generation)
        break
    at = next_look(subscription_id)
    if at is not None and schedule is not None:
        schedule(subscription_id, at)
    return record.states
