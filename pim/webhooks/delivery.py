"""Sending one delivery: claim it, POST it, record the attempt and decide what comes next.

A delivery is sent only when it is *claimable*: pending, due (``next_attempt_at`` has
passed), its subscription active, and no earlier pending delivery (lower sequence, then
lower id) exists for the same subscription and ordering key. So one product's versions go
out one at a time and in order: a newer version waits behind an older one's retries, and
proceeds once that one succeeds or finally fails.

Claiming is one conditional UPDATE (for the few deliveries a job sends together) that also
pushes ``next_attempt_at`` past the longest their attempts can take (a lease): two workers
never send the same delivery at once, and when a worker dies mid-send the delivery becomes
due again once the lease runs out, so it is sent again (at least once) with the same
``webhook-id``. HTTP connections are pooled per thread and kept alive; the address policy
is still checked before every request.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from pim.config import get_settings
from pim.db import session_scope, utcnow
from pim.webhooks.models import Attempt, Delivery, Message, Subscription
from pim.webhooks.signing import webhook_headers
from pim.webhooks.ssrf import UnsafeTarget, pin_target

RESPONSE_BODY_LIMIT = 2048  # bytes of the receiver's answer kept in the attempt log
LEASE_MARGIN_SECONDS = 5.0
MAX_RETRY_AFTER_SECONDS = 86_400.0  # a receiver cannot park a delivery for more than a day
RETRIED_STATUSES = frozenset({408, 429})
USER_AGENT = "pim-hub-webhooks/1"


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    subscription_id: int
    ordering_key: str
    attempt_number: int
    url: str
    signing_secrets: list[str]
    message_id: str
    body: str


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None = None
    latency_ms: int | None = None
    response_body: str = ""
    error: str | None = None
    retry_after: float | None = None
    network_failure: bool = False  # timeouts, refused connections, DNS: worth retrying

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        if self.status_code is None:
            return self.network_failure
        return self.status_code in RETRIED_STATUSES or self.status_code >= 500


@dataclass(frozen=True)
class Outcome:
    """What happened to one delivery job. ``state`` is ``succeeded``, ``failed``, ``retry``
    (sent, will be retried at ``next_attempt_at``) or, when nothing was sent, ``finished``,
    ``blocked`` (an earlier delivery goes first), ``paused`` (subscription disabled) or
    ``not_due`` (retry or another worker's lease until ``next_attempt_at``)."""

    delivery_id: int
    state: str
    subscription_id: int | None = None
    ordering_key: str | None = None
    next_attempt_at: datetime | None = None

    @property
    def finished_its_turn(self) -> bool:
        return self.state in ("succeeded", "failed")


def attempt_budget_seconds() -> float:
    """The longest one attempt may hold its claim: connect, write and read each get the
    timeout, plus a margin for the database round trips around it."""
    return 3 * get_settings().webhook_timeout + LEASE_MARGIN_SECONDS


_earlier = aliased(Delivery, name="earlier")
# Built once: these expressions are the hot path of every send.
EARLIER_PENDING_EXISTS = exists().where(
    _earlier.subscription_id == Delivery.subscription_id,
    _earlier.ordering_key == Delivery.ordering_key,
    _earlier.status == "pending",
    or_(_earlier.sequence < Delivery.sequence,
        and_(_earlier.sequence == Delivery.sequence, _earlier.id < Delivery.id)),
)
SUBSCRIPTION_ACTIVE = exists().where(Subscription.id == Delivery.subscription_id,
                                     Subscription.active.is_(True))
CLAIM_VIEW = (
    select(Delivery.id, Delivery.status, Delivery.subscription_id, Delivery.ordering_key,
           Delivery.attempt_count, Delivery.next_attempt_at, Subscription.active,
           Subscription.url, Subscription.secret, Subscription.previous_secret,
           Subscription.previous_secret_expires_at, Message.id.label("message_id"),
           Message.body)
    .join(Subscription, Subscription.id == Delivery.subscription_id)
    .join(Message, Message.id == Delivery.message_id)
)


def claim(session: Session, delivery_id: int, now: datetime, claimer: str) -> Claim | Outcome:
    """Take the send lease of one delivery (see :func:`claim_many`)."""
    [taken] = claim_many(session, [delivery_id], now, claimer)
    return taken


def claim_many(session: Session, delivery_ids: list[int], now: datetime,
               claimer: str) -> list[Claim | Outcome]:
    """Take the send leases of these deliveries in one UPDATE: a :class:`Claim` for each one
    taken, in the order given, an :class:`Outcome` saying why for each one not taken.

    The lease covers sending all of them one after the other. ``claimer`` names the job:
    when the jobs runner reruns a job whose worker died mid-send, the rerun takes its own
    leases over instead of waiting them out."""
    ids = list(dict.fromkeys(delivery_ids))
    lease_until = now + timedelta(seconds=attempt_budget_seconds() * len(ids))
    claimed = set(session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == "pending",
               or_(Delivery.next_attempt_at <= now, Delivery.claimed_by == claimer),
               ~EARLIER_PENDING_EXISTS, SUBSCRIPTION_ACTIVE)
        .values(next_attempt_at=lease_until, attempt_count=Delivery.attempt_count + 1,
                claimed_by=claimer)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ))
    rows = {row.id: row for row in session.execute(CLAIM_VIEW.where(Delivery.id.in_(ids)))}
    taken: list[Claim | Outcome] = []
    for delivery_id in ids:
        row = rows.get(delivery_id)
        if row is None:
            taken.append(Outcome(delivery_id, "finished"))
        elif delivery_id not in claimed:
            taken.append(Outcome(delivery_id, why_not_claimable(row, now),
                                 row.subscription_id, row.ordering_key, row.next_attempt_at))
        else:
            secrets = [row.secret]
            expires = row.previous_secret_expires_at
            if row.previous_secret and (expires is None or expires > now):
                secrets.append(row.previous_secret)
            taken.append(Claim(delivery_id, row.subscription_id, row.ordering_key,
                               row.attempt_count, row.url, secrets, row.message_id, row.body))
    return taken


def why_not_claimable(row, now: datetime) -> str:
    if row.status != "pending":
        return "finished"
    if not row.active:
        return "paused"
    if row.next_attempt_at and row.next_attempt_at > now:
        return "not_due"
    return "blocked"


_clients = threading.local()


def client_for(server_name: str) -> httpx.Client:
    """One pooled client per thread and host name: connections go to pinned addresses, so a
    pool shared across names could reuse a TLS session made for another name."""
    clients = getattr(_clients, "by_name", None)
    if clients is None:
        clients = _clients.by_name = {}
    client = clients.get(server_name)
    if client is None:
        # trust_env=False: a proxy from the environment would bypass the address checks.
        client = clients[server_name] = httpx.Client(
            timeout=get_settings().webhook_timeout, follow_redirects=False, trust_env=False,
            headers={"user-agent": USER_AGENT},
        )
    return client


def post(claimed: Claim) -> AttemptResult:
    """One HTTP attempt. Never raises: every failure becomes an :class:`AttemptResult`."""
    started = time.perf_counter()

    def elapsed_ms() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        target = pin_target(claimed.url)
    except UnsafeTarget as refused:
        return AttemptResult(error=f"refused: {refused.message}", latency_ms=elapsed_ms())
    except ConnectionError as error:
        return AttemptResult(error=str(error), network_failure=True, latency_ms=elapsed_ms())
    headers = webhook_headers(claimed.signing_secrets, claimed.message_id, int(time.time()),
                              claimed.body)
    headers["host"] = target.host_header
    extensions = {"sni_hostname": target.server_name} if target.url.startswith("https") else {}
    try:
        with client_for(target.server_name).stream(
            "POST", target.url, content=claimed.body.encode(), headers=headers,
            extensions=extensions,
        ) as response:
            body = read_prefix(response)
            return AttemptResult(
                status_code=response.status_code, latency_ms=elapsed_ms(), response_body=body,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
    except httpx.TimeoutException as error:
        return AttemptResult(error=f"timeout ({type(error).__name__}) after "
                                   f"{get_settings().webhook_timeout:g}s",
                             network_failure=True, latency_ms=elapsed_ms())
    except httpx.HTTPError as error:
        return AttemptResult(error=f"{type(error).__name__}: {error}", network_failure=True,
                             latency_ms=elapsed_ms())


def read_prefix(response: httpx.Response) -> str:
    """The first RESPONSE_BODY_LIMIT bytes; the rest is never read."""
    kept = bytearray()
    for chunk in response.iter_bytes():
        kept += chunk
        if len(kept) >= RESPONSE_BODY_LIMIT:
            break
    return bytes(kept[:RESPONSE_BODY_LIMIT]).decode("utf-8", errors="replace")


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as delta-seconds or an HTTP date, in seconds from now."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - utcnow()).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def retry_delay(attempt_number: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt, or None when the schedule is exhausted. The schedule
    gets up to 10% jitter (never earlier), so receivers recovering from an outage are not
    hit by every retry at once; a Retry-After wins when it asks for longer."""
    schedule = get_settings().schedule(get_settings().webhook_retry_schedule)
    if attempt_number > len(schedule):
        return None
    delay = schedule[attempt_number - 1] * (1 + random.uniform(0, 0.1))
    return max(delay, retry_after or 0.0)


def record(session: Session, claimed: Claim, result: AttemptResult, now: datetime) -> Outcome:
    """Log the attempt and settle the delivery: succeeded, failed, or due again later."""
    session.execute(insert(Attempt).values(
        delivery_id=claimed.delivery_id, attempted_at=now, status_code=result.status_code,
        latency_ms=result.latency_ms, response_body=result.response_body, error=result.error))
    delay = retry_delay(claimed.attempt_number, result.retry_after) \
        if result.retryable and not result.succeeded else None
    if result.succeeded:
        state, changes = "succeeded", {"status": "succeeded", "completed_at": now,
                                       "next_attempt_at": None, "last_error": None}
    elif delay is not None and result.status_code != 410:
        state, changes = "retry", {"next_attempt_at": now + timedelta(seconds=delay),
                                   "last_error": describe(result)}
    else:
        state, changes = "failed", {"status": "failed", "completed_at": now,
                                    "next_attempt_at": None, "last_error": describe(result)}
    settled = session.execute(
        update(Delivery)
        .where(Delivery.id == claimed.delivery_id, Delivery.status == "pending")
        .values(claimed_by=None, **changes)
        .execution_options(synchronize_session=False)
    ).rowcount
    outcome = Outcome(claimed.delivery_id, state, claimed.subscription_id,
                      claimed.ordering_key, changes.get("next_attempt_at"))
    if not settled:  # finished by a later claim after our lease ran out
        return replace(outcome, state="finished", next_attempt_at=None)
    if result.succeeded:
        session.execute(
            update(Subscription)
            .where(Subscription.id == claimed.subscription_id,
                   or_(Subscription.consecutive_failures != 0, Subscription.flagged))
            .values(consecutive_failures=0, flagged=False)
        )
    elif result.status_code == 410:
        disable(session, claimed.subscription_id, "the endpoint answered 410 Gone")
    elif state == "failed":
        count_failed_delivery(session, claimed.subscription_id)
    return outcome


def record_many(session: Session, sent: list[tuple[Claim, AttemptResult]],
                now: datetime) -> list[Outcome]:
    """:func:`record` for several attempts. When all succeeded (the usual case) it takes a
    few statements for all of them; otherwise each is recorded in turn, in order, so the
    failure count of a subscription sees them as they happened."""
    if not sent:
        return []
    if not all(result.succeeded for _, result in sent):
        return [record(session, claimed, result, now) for claimed, result in sent]
    session.execute(insert(Attempt), [
        {"delivery_id": claimed.delivery_id, "attempted_at": now,
         "status_code": result.status_code, "latency_ms": result.latency_ms,
         "response_body": result.response_body, "error": None}
        for claimed, result in sent])
    settled = set(session.scalars(
        update(Delivery)
        .where(Delivery.id.in_([claimed.delivery_id for claimed, _ in sent]),
               Delivery.status == "pending")
        .values(status="succeeded", completed_at=now, next_attempt_at=None, last_error=None,
                claimed_by=None)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ))
    reset = {claimed.subscription_id for claimed, _ in sent if claimed.delivery_id in settled}
    if reset:
        session.execute(
            update(Subscription)
            .where(Subscription.id.in_(reset),
                   or_(Subscription.consecutive_failures != 0, Subscription.flagged))
            .values(consecutive_failures=0, flagged=False)
            .execution_options(synchronize_session=False)
        )
    # not settled: finished by a later claim after our lease ran out
    return [Outcome(claimed.delivery_id, "succeeded", claimed.subscription_id,
                    claimed.ordering_key) if claimed.delivery_id in settled
            else Outcome(claimed.delivery_id, "finished", claimed.subscription_id,
                         claimed.ordering_key)
            for claimed, _ in sent]


def describe(result: AttemptResult) -> str:
    return result.error or f"HTTP {result.status_code}"


def disable(session: Session, subscription_id: int, reason: str) -> None:
    session.execute(update(Subscription).where(Subscription.id == subscription_id)
                    .values(active=False, flagged=True, disabled_reason=reason))


def count_failed_delivery(session: Session, subscription_id: int) -> None:
    """Flag the subscription; disable it after PIM_WEBHOOK_DISABLE_AFTER failed deliveries
    in a row (a success resets the count)."""
    session.execute(update(Subscription).where(Subscription.id == subscription_id).values(
        flagged=True, consecutive_failures=Subscription.consecutive_failures + 1))
    limit = get_settings().webhook_disable_after
    session.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id, Subscription.active.is_(True),
               Subscription.consecutive_failures >= limit)
        .values(active=False,
                disabled_reason=f"disabled after {limit} consecutive failed deliveries")
    )


def deliver(delivery_id: int, claimer: str | None = None) -> Outcome:
    """Claim, send and record one delivery (see :func:`deliver_many`)."""
    [outcome] = deliver_many([delivery_id], claimer)
    return outcome


def deliver_many(delivery_ids: list[int], claimer: str | None = None) -> list[Outcome]:
    """Claim these deliveries, send the ones claimed one after the other, record the
    attempts: two short transactions in all, none open during the HTTP requests.
    ``claimer``: the job id, so a rerun of the job can resume. One outcome per id."""
    with session_scope() as session:
        taken = claim_many(session, delivery_ids, utcnow(),
                           claimer or f"once:{uuid.uuid4().hex}")
    sent = [(claimed, post(claimed)) for claimed in taken if isinstance(claimed, Claim)]
    if sent:
        with session_scope() as session:
            recorded = iter(record_many(session, sent, utcnow()))
    else:
        recorded = iter(())
    return [next(recorded) if isinstance(claimed, Claim) else claimed for claimed in taken]


def next_in_line(session: Session, subscription_id: int, ordering_key: str) -> Delivery | None:
    """The pending delivery whose turn it is for this subscription and ordering key."""
    return session.scalars(
        select(Delivery)
        .where(Delivery.subscription_id == subscription_id,
               Delivery.ordering_key == ordering_key, Delivery.status == "pending")
        .order_by(Delivery.sequence, Delivery.id).limit(1)
    ).first()


def due_heads(session: Session, now: datetime, limit: int) -> list[int]:
    """Deliveries that are claimable now (overdue retries, expired leases, lost jobs)."""
    return list(session.scalars(
        select(Delivery.id)
        .where(Delivery.status == "pending", Delivery.next_attempt_at <= now,
               ~EARLIER_PENDING_EXISTS, SUBSCRIPTION_ACTIVE)
        .order_by(Delivery.next_attempt_at).limit(limit)
    ))


def next_heads(session: Session, finished: list[Outcome]) -> list[tuple[int, datetime | None]]:
    """The pending deliveries whose turn it now is after these ones finished theirs (one
    per subscription and ordering key, at most): ``[(id, next_attempt_at)]``."""
    keys = {(o.subscription_id, o.ordering_key) for o in finished
            if o.subscription_id is not None and o.ordering_key is not None}
    if not keys:
        return []
    rows = session.execute(
        select(Delivery.id, Delivery.subscription_id, Delivery.ordering_key,
               Delivery.next_attempt_at)
        .where(Delivery.subscription_id.in_({s for s, _ in keys}),
               Delivery.ordering_key.in_({k for _, k in keys}),
               Delivery.status == "pending", ~EARLIER_PENDING_EXISTS)
        .order_by(Delivery.id)
    )
    return [(row.id, row.next_attempt_at) for row in rows
            if (row.subscription_id, row.ordering_key) in keys]


def claimed_by(session: Session, claimer: str) -> list[int]:
    """Pending deliveries still leased to ``claimer`` (a rerun of a job resumes them)."""
    return list(session.scalars(
        select(Delivery.id).where(Delivery.claimed_by == claimer, Delivery.status == "pending")
        .order_by(Delivery.sequence, Delivery.id)
    ))
