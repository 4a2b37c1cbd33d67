"""A batch's two transactions: claim a subscription's due deliveries, record what happened.

A delivery is claimable when it is pending, due (``next_attempt_at`` has passed) and no
earlier pending delivery (lower sequence, then lower id) exists for its subscription and
ordering key. So a batch holds at most one delivery per product, and one product's
versions go out one at a time and in order: a newer version waits behind an older one's
retries and proceeds once that one succeeds or is given up.

Claiming sets ``claimed_by`` and pushes ``next_attempt_at`` to the end of the batch's lease:
nobody else sends those deliveries meanwhile, and if the worker dies they fall due again
when the lease runs out (or at once, when the jobs runner reruns the same job), and are sent
again with the same ``webhook-id``: at least once. Recording settles the whole batch in one
transaction: the attempt rows, every delivery's status or next attempt, the subscription's
failure count, its circuit, and (410, repeated failures) its disabling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from pim.config import get_settings
from pim.db import affected
from pim.webhooks.delivery import AttemptResult, Claim, describe, retry_delay
from pim.webhooks.models import Attempt, Delivery, Message, Subscription
from pim.webhooks.settings import get_send_settings

CIRCUIT_BASE_SECONDS = 1.0  # an open circuit's first pause; each failed probe doubles it

_earlier = aliased(Delivery, name="earlier")
EARLIER_PENDING_EXISTS = exists().where(
    _earlier.subscription_id == Delivery.subscription_id,
    _earlier.ordering_key == Delivery.ordering_key,
    _earlier.status == "pending",
    or_(_earlier.sequence < Delivery.sequence,
        and_(_earlier.sequence == Delivery.sequence, _earlier.id < Delivery.id)),
)
_deliveries = Delivery.__table__
_subscriptions = Subscription.__table__


@dataclass(frozen=True)
class SenderState:
    """What a send job needs of its subscription, read when it takes the sender lease."""

    id: int
    url: str
    signing_secrets: list[str]
    active: bool
    circuit_failures: int
    circuit_open_until: datetime | None
    send_generation: int


def read_state(session: Session, subscription_id: int, now: datetime) -> SenderState | None:
    row = session.get(Subscription, subscription_id, populate_existing=True)
    if row is None:
        return None
    secrets = [row.secret]
    expires = row.previous_secret_expires_at
    if row.previous_secret and (expires is None or expires > now):
        secrets.append(row.previous_secret)
    return SenderState(row.id, row.url, secrets, row.active, row.circuit_failures,
                       row.circuit_open_until, row.send_generation)


def due_heads(session: Session, subscription_id: int, now: datetime, limit: int) -> list[int]:
    """The claimable deliveries of a subscription, oldest due first."""
    return list(session.scalars(
        select(Delivery.id)
        .where(Delivery.subscription_id == subscription_id, Delivery.status == "pending",
               Delivery.next_attempt_at <= now, ~EARLIER_PENDING_EXISTS)
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    ))


def claim_batch(session: Session, subscription_id: int, claimer: str, now: datetime,
                limit: int, lease_until: datetime) -> list[Claim]:
    """Take up to ``limit`` claimable deliveries until ``lease_until``, in the order to send
    them. The UPDATE repeats the conditions, so two claimers never take the same one."""
    ids = due_heads(session, subscription_id, now, limit)
    if not ids:
        return []
    claimed = set(session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == "pending",
               Delivery.next_attempt_at <= now)
        .values(claimed_by=claimer, next_attempt_at=lease_until)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ))
    rows = {row.id: row for row in session.execute(
        select(Delivery.id, Delivery.ordering_key, Delivery.attempt_count,
               Message.id.label("message_id"), Message.body)
        .join(Message, Message.id == Delivery.message_id)
        .where(Delivery.id.in_(claimed))
    )}
    return [Claim(i, rows[i].ordering_key, rows[i].attempt_count + 1, rows[i].message_id,
                  rows[i].body) for i in ids if i in rows]


def release_claims_of(session: Session, subscription_id: int, claimer: str,
                      now: datetime) -> int:
    """Make the deliveries ``claimer`` still holds due again (a rerun of a job whose worker
    died mid-batch sends them again at once, same webhook-id)."""
    return affected(session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status == "pending",
               Delivery.claimed_by == claimer)
        .values(claimed_by=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)))


@dataclass
class BatchRecord:
    """What recording a batch decided."""

    states: dict[str, int] = field(default_factory=dict)  # succeeded, retry, failed, released
    disabled: str | None = None  # why the subscription was disabled, when it was
    circuit_failures: int = 0
    circuit_open_until: datetime | None = None

    def count(self, state: str, n: int = 1) -> None:
        if n:
            self.states[state] = self.states.get(state, 0) + n


def settle(claimed: Claim, result: AttemptResult, now: datetime) -> tuple[str, dict]:
    """The delivery's state after this attempt and the columns that say so."""
    if result.succeeded:
        return "succeeded", {"status": "succeeded", "completed_at": now,
                             "next_attempt_at": None, "last_error": None}
    delay = retry_delay(claimed.attempt_number, result.retry_after) \
        if result.retryable else None
    if delay is not None:
        return "retry", {"status": "pending", "completed_at": None,
                         "next_attempt_at": now + timedelta(seconds=delay),
                         "last_error": describe(result)}
    return "failed", {"status": "failed", "completed_at": now, "next_attempt_at": None,
                      "last_error": describe(result)}


def next_circuit(failures_before: int, results: list[AttemptResult], now: datetime
                 ) -> tuple[int, datetime | None]:
    """The circuit after these attempts (in the order they finished): the count of
    consecutive retryable failures, and until when sending pauses (None: closed).

    It opens after PIM_WEBHOOK_CIRCUIT_THRESHOLD such failures in a row, for 1 s doubling
    with each failed probe up to PIM_WEBHOOK_CIRCUIT_MAX_SECONDS, and for as long as a
    Retry-After asks (even when requests already in flight then succeed); any answer that
    is not worth retrying (a success, a 4xx) resets the count."""
    settings = get_send_settings()
    failures, retry_after = failures_before, None
    for result in results:
        if result.retryable:
            failures += 1
            if result.retry_after is not None:
                retry_after = max(retry_after or 0.0, result.retry_after)
        else:
            failures = 0
    pauses = []
    if failures >= settings.circuit_threshold:
        doublings = min(failures - settings.circuit_threshold, 30)
        pauses.append(min(CIRCUIT_BASE_SECONDS * 2 ** doublings, settings.circuit_max_seconds))
    if retry_after is not None:
        pauses.append(retry_after)
    if not pauses:
        return failures, None
    return failures, now + timedelta(seconds=max(pauses))


def record_batch(session: Session, state: SenderState, claimer: str,
                 sent: list[tuple[Claim, AttemptResult]], unsent: list[Claim],
                 now: datetime) -> BatchRecord:
    """Settle a batch in the caller's transaction (one per batch). ``sent`` in the order
    the answers came; ``unsent`` go back to the queue as they were (no attempt counted)."""
    record = BatchRecord()
    ids = [c.delivery_id for c, _ in sent] + [c.delivery_id for c in unsent]
    # Still ours: a batch that outlived its lease may have been taken over meanwhile; the
    # attempt is logged anyway (it happened), the delivery is the new holder's to settle.
    ours = set(session.scalars(
        select(Delivery.id).where(Delivery.id.in_(ids), Delivery.status == "pending",
                                  Delivery.claimed_by == claimer)
        .with_for_update()
    )) if ids else set()
    if sent:
        session.execute(insert(Attempt), [
            {"delivery_id": c.delivery_id, "attempted_at": now, "status_code": r.status_code,
             "latency_ms": r.latency_ms, "response_body": r.response_body, "error": r.error}
            for c, r in sent])
    succeeded, settled = [], []
    given_up_run, success_seen, given_up = 0, False, 0
    for claimed, result in sent:
        outcome, values = settle(claimed, result, now)
        if claimed.delivery_id not in ours:
            record.count("finished")
            continue
        record.count(outcome)
        if outcome == "succeeded":
            succeeded.append(claimed.delivery_id)
            given_up_run, success_seen = 0, True
        else:
            settled.append({"b_id": claimed.delivery_id,
                            **{f"b_{name}": value for name, value in values.items()}})
            if outcome == "failed":
                given_up_run, given_up = given_up_run + 1, given_up + 1
    if succeeded:
        session.execute(
            update(_deliveries).where(_deliveries.c.id.in_(succeeded))
            .values(status="succeeded", completed_at=now, next_attempt_at=None,
                    last_error=None, claimed_by=None,
                    attempt_count=_deliveries.c.attempt_count + 1))
    if settled:
        session.execute(
            update(_deliveries).where(_deliveries.c.id == bindparam("b_id"))
            .values(status=bindparam("b_status"), completed_at=bindparam("b_completed_at"),
                    next_attempt_at=bindparam("b_next_attempt_at"),
                    last_error=bindparam("b_last_error"), claimed_by=None,
                    attempt_count=_deliveries.c.attempt_count + 1),
            settled)
    back = [c.delivery_id for c in unsent if c.delivery_id in ours]
    if back:
        session.execute(update(_deliveries).where(_deliveries.c.id.in_(back))
                        .values(claimed_by=None, next_attempt_at=now))
        record.count("released", len(back))
    record.circuit_failures, record.circuit_open_until = next_circuit(
        state.circuit_failures, [r for _, r in sent], now) if sent \
        else (state.circuit_failures, state.circuit_open_until)
    changes: dict = {}
    if record.circuit_failures != state.circuit_failures \
            or record.circuit_open_until != state.circuit_open_until:
        changes.update(circuit_failures=record.circuit_failures,
                       circuit_open_until=record.circuit_open_until)
    # A success resets the count of consecutive failed deliveries and the flag; each
    # delivery given up counts one (in the order the answers came).
    if success_seen:
        changes.update(consecutive_failures=given_up_run, flagged=given_up_run > 0)
    elif given_up:
        changes.update(consecutive_failures=_subscriptions.c.consecutive_failures + given_up,
                       flagged=True)
    if changes:
        session.execute(update(_subscriptions).where(_subscriptions.c.id == state.id)
                        .values(**changes))
    if any(r.gone for c, r in sent if c.delivery_id in ours):
        record.disabled = "the endpoint answered 410 Gone"
        disable(session, state.id, record.disabled)
    elif given_up:
        record.disabled = disable_after_failures(session, state.id)
    return record


def disable(session: Session, subscription_id: int, reason: str) -> None:
    session.execute(update(_subscriptions).where(_subscriptions.c.id == subscription_id)
                    .values(active=False, flagged=True, disabled_reason=reason))


def disable_after_failures(session: Session, subscription_id: int) -> str | None:
    """Disable the subscription once PIM_WEBHOOK_DISABLE_AFTER deliveries in a row were
    given up; returns the reason when it did."""
    limit = get_settings().webhook_disable_after
    reason = f"disabled after {limit} consecutive failed deliveries"
    done = affected(session.execute(
        update(_subscriptions)
        .where(_subscriptions.c.id == subscription_id, _subscriptions.c.active.is_(True),
               _subscriptions.c.consecutive_failures >= limit)
        .values(active=False, disabled_reason=reason)))
    return reason if done else None
