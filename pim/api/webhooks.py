"""Webhook subscriptions and their delivery log (admin only).

Subscriptions are admin-managed (``pim.auth.actor``), and so is reading them and the log:
a URL may carry the receiver's own credentials in its query, and the logged response bodies
are whatever the receiver chose to answer. The secret is shown twice in a subscription's
life: when it is created and when it is rotated.

A URL is checked when it is given, never connected to: the scheme, a host that can be named,
and the outbound address policy (``pim.net``) for a literal address, then the
service resolves the name and checks every address it resolves to. Each send checks again.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, overload

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from pim.api.filters import one_of
from pim.api.openapi import problems
from pim.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from pim.api.sessions import ReadSession, WriteSession
from pim.auth.actor import MANAGE
from pim.errors import Invalid, NotFound
from pim.net import UnsafeTarget, webhook_policy
from pim.webhooks import (
    change_subscription,
    create_subscription,
    delete_subscription,
    disable_subscription,
    enable_subscription,
    get_delivery,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    redeliver,
    redeliver_failed_since,
    rotate_secret,
)
from pim.webhooks.models import DELIVERY_STATUSES, EVENT_TYPES
from pim.webhooks.schemas import (
    DeliveryOut,
    RedeliveredCount,
    RedeliverFailedIn,
    SubscriptionChanges,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionWithSecret,
)

TAGS = ["webhooks"]
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
MAX_GRACE_HOURS = 24 * 30
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NUL = re.compile("\x00")

SubscriptionId = Annotated[int, PathParameter(ge=1, le=MAX_ID,
                                              description="The subscription.")]
DeliveryId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="The delivery.")]
DeliveryStatus = Annotated[str | None, one_of(DELIVERY_STATUSES, "Deliveries in this status.")]
ChannelCode = Annotated[str | None, QueryParameter(max_length=100,
                                                   description="Channel code.")]
_EVENTS = ", ".join(f"`{e}`" for e in EVENT_TYPES)


def _plain(field: str, value: str | None, forbidden: re.Pattern = _CONTROL) -> str | None:
    """Text the database can store as given (PostgreSQL refuses NUL characters)."""
    if value is not None and forbidden.search(value):
        raise Invalid.at(field, "must not contain control characters")
    return value


@overload
def _aware(field: str, moment: datetime) -> datetime: ...
@overload
def _aware(field: str, moment: None) -> None: ...
def _aware(field: str, moment: datetime | None) -> datetime | None:
    """Times without a zone are UTC."""
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise Invalid.at(field, "out of range") from None


def checked_url(url: str) -> str:
    """What can be said of a URL without the network: http(s), a well-formed host and port,
    no credentials, and a literal address the outbound policy allows."""
    url = url.strip()
    _plain("url", url)
    try:
        parts = webhook_policy().split(url)
        parts.port  # noqa: B018 (raises ValueError when the port is not a number in range)
    except UnsafeTarget as error:
        raise Invalid.at("url", error.message) from None
    except ValueError as error:
        raise Invalid.at("url", f"not a valid URL: {error}") from None
    host = parts.hostname or ""  # split() refuses a URL without one
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            name = host.encode("idna").decode("ascii")
        except UnicodeError:
            name = ""
        if len(name) > 253 or not _HOST_NAME.fullmatch(name):
            raise Invalid.at("url", f"{host!r} is not a valid host name") from None
        return url
    try:
        webhook_policy().check(host, [address])
    except UnsafeTarget as error:
        raise Invalid.at("url", error.message) from None
    return url


def _resolved(work):
    """Run a service call that resolves a URL's host: a refusal names the ``url`` field."""
    try:
        return work()
    except UnsafeTarget as error:
        raise Invalid.at("url", error.message) from None


# -- subscriptions ----------------------------------------------------------------------------

@get("/webhooks", opt={"roles": MANAGE}, sync_to_thread=True, responses=problems(422),
     tags=TAGS, summary="List webhook subscriptions (never their secrets)")
def list_webhooks_route(reader: ReadSession, channel: ChannelCode = None,
                        active: FromQuery[bool | None] = None) -> list[SubscriptionOut]:
    return list_subscriptions(reader, channel=_plain("channel", channel), active=active)


@post("/webhooks", opt={"roles": MANAGE}, sync_to_thread=True, status_code=201,
      responses=problems(422), tags=TAGS,
      summary="Subscribe a URL to a channel's events (the secret is shown here only)",
      description=(f"`events` among {_EVENTS} (default: all). The URL must be http or https "
                   "and its host must not be, or resolve to, a loopback, private, link-local "
                   "or metadata address unless `PIM_WEBHOOK_ALLOW_HOSTS` lists it; nothing is "
                   "sent to it until an event happens. Keep `secret` now: it is not shown "
                   "again (rotate it to get a new one)."))
def create_webhook_route(data: JSONBody[SubscriptionIn], session: WriteSession
                         ) -> Response[SubscriptionWithSecret]:
    body = data.model_copy(update={"url": checked_url(data.url),
                                   "channel": _plain("channel", data.channel),
                                   "description": _plain("description", data.description, _NUL)})
    try:
        created = _resolved(lambda: create_subscription(session, body))
    except NotFound as error:  # the only thing it looks up is the channel
        raise Invalid.at("channel", error.message) from None
    return Response(created, status_code=201,
                    headers={"Location": f"/api/v1/webhooks/{created.id}"})


@get("/webhooks/{subscription_id:int}", opt={"roles": MANAGE}, sync_to_thread=True,
     responses=problems(404), tags=TAGS, summary="A webhook subscription (never its secret)")
def get_webhook_route(subscription_id: SubscriptionId, reader: ReadSession) -> SubscriptionOut:
    return get_subscription(reader, subscription_id)


@patch("/webhooks/{subscription_id:int}", opt={"roles": MANAGE}, sync_to_thread=True,
       responses=problems(404, 422), tags=TAGS,
       summary="Change a subscription's URL, events, description or active state",
       description=("Absent (or null) fields are untouched. `active: false` disables it "
                    "(pending deliveries wait); `active: true` enables it, clears its flag and "
                    "failure count, and sends what waited."))
def patch_webhook_route(request: Request, subscription_id: SubscriptionId,
                        data: JSONBody[SubscriptionChanges], session: WriteSession
                        ) -> SubscriptionOut:
    changes = data.model_copy(update={
        "url": checked_url(data.url) if data.url is not None else None,
        "description": _plain("description", data.description, _NUL)})
    return _resolved(lambda: change_subscription(session, subscription_id, changes,
                                                 changed_by=request.user.name))


@delete("/webhooks/{subscription_id:int}", opt={"roles": MANAGE}, sync_to_thread=True,
        responses=problems(404), tags=TAGS,
        summary="Delete a subscription with its delivery log (nothing more is sent)")
def delete_webhook_route(subscription_id: SubscriptionId, session: WriteSession) -> None:
    delete_subscription(session, subscription_id)


@post("/webhooks/{subscription_id:int}/disable", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=200, responses=problems(404), tags=TAGS,
      summary="Stop sending (pending deliveries wait until it is enabled)")
def disable_webhook_route(request: Request, subscription_id: SubscriptionId,
                          session: WriteSession) -> SubscriptionOut:
    return disable_subscription(session, subscription_id, f"disabled by {request.user.name}")


@post("/webhooks/{subscription_id:int}/enable", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=200, responses=problems(404), tags=TAGS,
      summary="Resume sending: clears the flag and the failure count, sends what waited")
def enable_webhook_route(subscription_id: SubscriptionId, session: WriteSession
                         ) -> SubscriptionOut:
    return enable_subscription(session, subscription_id)


@post("/webhooks/{subscription_id:int}/rotate-secret", opt={"roles": MANAGE},
      sync_to_thread=True, status_code=200, responses=problems(404), tags=TAGS,
      summary="Issue a new secret (shown here only); the previous one keeps signing for a "
              "while",
      description=("Until `rotating_until` every request carries two signatures, one per "
                   "secret, so the receiver can switch over without dropping a webhook."))
def rotate_webhook_secret_route(
    subscription_id: SubscriptionId,
    session: WriteSession,
    grace_hours: Annotated[float, QueryParameter(
        ge=0, le=MAX_GRACE_HOURS, description="How long the previous secret signs too.")] = 24,
) -> SubscriptionWithSecret:
    return rotate_secret(session, subscription_id, grace=timedelta(hours=grace_hours))


# -- the delivery log -------------------------------------------------------------------------

@get("/webhooks/{subscription_id:int}/deliveries", opt={"roles": MANAGE}, sync_to_thread=True,
     responses=problems(404, 422), tags=TAGS,
     summary="A subscription's deliveries, newest first (one page; attempts via each one)")
def list_deliveries_route(
    subscription_id: SubscriptionId,
    reader: ReadSession,
    status: DeliveryStatus = None,
    since: Annotated[datetime | None, QueryParameter(
        description="Created at or after (UTC unless a zone is given).")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size.")]
    = DEFAULT_LIMIT,
    cursor: Annotated[str | None, QueryParameter(
        max_length=200, description="next_cursor of the previous page.")] = None,
) -> Page[DeliveryOut]:
    before = decode_cursor(cursor)
    items = list_deliveries(reader, subscription_id, status=status,
                            since=_aware("since", since), limit=limit, before_id=before)
    last = items[-1].id if len(items) == limit else None
    return Page[DeliveryOut](items=items, limit=limit,
                             next_cursor=encode_cursor(last) if last is not None else None)


@post("/webhooks/{subscription_id:int}/redeliver-failed", opt={"roles": MANAGE},
      sync_to_thread=True, status_code=200, responses=problems(404, 409, 422), tags=TAGS,
      summary="Send again every message whose delivery failed since a time",
      description=("In their original order, each with its original `webhook-id`. Messages "
                   "already pending again or delivered since are skipped, so asking twice "
                   "sends once. 409 when the subscription is disabled."))
def redeliver_failed_route(subscription_id: SubscriptionId, data: JSONBody[RedeliverFailedIn],
                           session: WriteSession) -> RedeliveredCount:
    since = _aware("since", data.since)
    return RedeliveredCount(count=redeliver_failed_since(session, subscription_id, since))


@get("/webhook-deliveries/{delivery_id:int}", opt={"roles": MANAGE}, sync_to_thread=True,
     responses=problems(404), tags=TAGS,
     summary="One delivery with its attempts (time, status, latency, response body prefix)")
def get_delivery_route(delivery_id: DeliveryId, reader: ReadSession) -> DeliveryOut:
    return get_delivery(reader, delivery_id)


@post("/webhook-deliveries/{delivery_id:int}/redeliver", opt={"roles": MANAGE},
      sync_to_thread=True, status_code=201, responses=problems(404, 409), tags=TAGS,
      summary="Send a delivery's message again, as a new delivery with the same webhook-id",
      description=("Whatever the delivery's status. The new delivery queues behind whatever "
                   "is pending for the same product and locale. 409 when the subscription is "
                   "disabled."))
def redeliver_route(delivery_id: DeliveryId, session: WriteSession) -> Response[DeliveryOut]:
    copy = redeliver(session, delivery_id)
    return Response(copy, status_code=201,
                    headers={"Location": f"/api/v1/webhook-deliveries/{copy.id}"})


ROUTES = [list_webhooks_route, create_webhook_route, get_webhook_route, patch_webhook_route,
          delete_webhook_route, disable_webhook_route, enable_webhook_route,
          rotate_webhook_secret_route, list_deliveries_route, redeliver_failed_route,
          get_delivery_route, redeliver_route]
