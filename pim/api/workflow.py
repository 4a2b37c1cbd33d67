"""Completeness, the per-product review workflow, releases and publishing.

- Reads are open to every role; editors submit products and create, fill and submit
  releases; reviewers (and admins) approve and reject; publishing and withdrawing are
  admin work (the role table in ``pim.auth.actor``).
- A review transition moves every SKU it names or none: when one is in the wrong status
  the answer is 409 and its ``errors`` name each such product (``field`` ``skus[i]``,
  ``sku``, ``status``, ``message``).
- Items leave a release through ``POST /releases/{id}/items/remove`` (a DELETE with a body
  is dropped by too many proxies and clients).
- Publishing runs in the request and answers the report product by product: no job exists
  for it (a scheduled release is published by the ``release.publish`` job). ``ready`` with
  no SKUs publishes a whole channel, which for a large catalog takes as long as
  ``pim publish --ready`` does.
- Malformed bodies are 400 with the field path (as everywhere in the API); bodies that are
  well-formed but refused (publish naming nothing, a release without items) are 422.
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Request, Response, get, post
from litestar.params import Parameter

from pim.api.openapi import problems
from pim.api.workflow_schemas import (
    ChannelCompletenessOut,
    CompletenessSummaryOut,
    ProductCompletenessOut,
    ProductWorkflowOut,
    PublishIn,
    PublishReportOut,
    ReleaseIn,
    ReleaseItemsIn,
    ReleaseOut,
    ReleaseRejectIn,
    SkusIn,
    TransitionOut,
    WithdrawIn,
)
from pim.auth.actor import MANAGE, READ, REVIEW, WRITE_CONTENT
from pim.db import read_session, session_scope
from pim.errors import Conflict, Invalid, NotFound
from pim.publishing import releases
from pim.workflow import transitions

ReleaseId = Annotated[int, Parameter(ge=1, le=2**31 - 1, description="The release's id.")]
ChannelQuery = Annotated[str | None, Parameter(max_length=100, description="One channel only.")]
_OK = 200


# -- completeness -----------------------------------------------------------------------------

def product_completeness(session, sku: str, channel: str | None) -> ProductCompletenessOut:
    """The product checked now against each channel (or ``channel``), locale by locale."""
    from pim.workflow.channels import get_channel
    from pim.workflow.checks import check_product
    from pim.workflow.completeness import ProjectionSetup
    from pim.workflow.loading import load_products_by_sku

    if channel is not None:
        get_channel(session, channel)
    setup = ProjectionSetup.load(session, [channel] if channel else None)
    product = load_products_by_sku(session, [sku], setup.models).get(sku)
    if product is None:
        raise NotFound(f"product {sku!r} does not exist")
    channels = []
    for runtime in setup.runtimes.values():
        result = check_product(product, runtime, setup.context)
        locales = [check.as_dict() for _, check in result.variants]
        channels.append(ChannelCompletenessOut(
            channel=runtime.code, in_assortment=result.in_assortment, passed=result.passed,
            locales=locales))
    return ProductCompletenessOut(sku=sku, channels=channels)


@get("/products/{sku:str}/completeness", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), tags=["workflow"],
     summary="A product's completeness per channel and locale, every error pointing at the "
             "attribute, locale and scope to fix")
def product_completeness_route(sku: str, channel: ChannelQuery = None) -> ProductCompletenessOut:
    with read_session() as session:
        return product_completeness(session, sku, channel)


@get("/completeness", opt={"roles": READ}, sync_to_thread=True, responses=problems(404),
     tags=["workflow"],
     summary="Per channel and locale: products, complete, average percent, failing")
def completeness_summary_route(channel: ChannelQuery = None) -> CompletenessSummaryOut:
    from pim.workflow.channels import get_channel
    from pim.workflow.completeness import (
        completeness_summary,
        pending_refresh_count,
        stale_channels,
    )

    with read_session() as session:
        if channel is not None:
            get_channel(session, channel)
        return CompletenessSummaryOut(rows=completeness_summary(session, channel),
                                      pending_refresh=pending_refresh_count(session),
                                      stale_channels=stale_channels(session))


# -- review workflow --------------------------------------------------------------------------

@get("/products/{sku:str}/workflow", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), tags=["workflow"],
     summary="A product's review status in every channel, and whether it changed since "
             "it was published there")
def product_workflow_route(sku: str) -> ProductWorkflowOut:
    with read_session() as session:
        return ProductWorkflowOut(sku=sku, channels=transitions.workflow_status(session, sku))


def _transition(name: Literal["submit", "approve", "reject"], roles: tuple[str, ...],
                summary: str):
    move = {"submit": transitions.submit_for_review, "approve": transitions.approve,
            "reject": transitions.reject}[name]

    @post(f"/workflow/{{channel:str}}/{name}", opt={"roles": roles}, sync_to_thread=True,
          status_code=_OK, responses=problems(404, 409), tags=["workflow"], summary=summary,
          operation_id=f"Workflow{name.capitalize()}")
    def route(request: Request, channel: str, data: SkusIn) -> TransitionOut:
        try:
            with session_scope() as session:
                moved = move(session, channel, data.skus, actor=request.user)
        except Conflict as error:
            raise _pointing_at_skus(error, data.skus) from None
        return TransitionOut(channel=channel, transition=name, results=moved)

    route.__name__ = f"workflow_{name}_route"
    return route


def _pointing_at_skus(error: Conflict, skus: list[str]) -> Conflict:
    """The refusal, each blocked product's entry pointing at its place in the body."""
    index = {sku: i for i, sku in reversed(list(enumerate(skus)))}
    errors = [{"field": f"skus[{index[e['sku']]}]", **e} if e.get("sku") in index else e
              for e in error.errors]
    return Conflict(error.message, errors=errors)


# -- releases ---------------------------------------------------------------------------------

def _release_response(release, status: int = _OK) -> Response[ReleaseOut]:
    return Response(ReleaseOut(**releases.release_out(release)), status_code=status)


@get("/releases", opt={"roles": READ}, sync_to_thread=True, responses=problems(),
     tags=["releases"], summary="Every release (or those in one status)")
def list_releases_route(
    status: Literal["draft", "submitted", "approved", "published", "cancelled"] | None = None,
) -> list[ReleaseOut]:
    with read_session() as session:
        return [ReleaseOut(**releases.release_out(r))
                for r in releases.list_releases(session, status)]


@post("/releases", opt={"roles": WRITE_CONTENT}, sync_to_thread=True, status_code=201,
      responses=problems(422), tags=["releases"],
      summary="Create a draft release (publish_at: when approval publishes it)")
def create_release_route(request: Request, data: ReleaseIn) -> Response[ReleaseOut]:
    with session_scope() as session:
        release = releases.create_release(session, data.name, actor=request.user,
                                          publish_at=data.publish_at,
                                          description=data.description)
        return _release_response(release, 201)


@get("/releases/{release_id:int}", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), tags=["releases"],
     summary="A release with its items and, once published, its report")
def get_release_route(release_id: ReleaseId) -> ReleaseOut:
    with read_session() as session:
        return ReleaseOut(**releases.release_out(releases.get_release(session, release_id)))


@post("/releases/{release_id:int}/items", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Add products in one channel to a draft release (an item already in it stays "
              "once)")
def add_release_items_route(request: Request, release_id: ReleaseId, data: ReleaseItemsIn
                            ) -> Response[ReleaseOut]:
    with session_scope() as session:
        release = releases.add_to_release(session, release_id, data.channel, data.skus,
                                          actor=request.user)
        return _release_response(release)


@post("/releases/{release_id:int}/items/remove", opt={"roles": WRITE_CONTENT},
      sync_to_thread=True, status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Take products in one channel out of a draft release")
def remove_release_items_route(request: Request, release_id: ReleaseId, data: ReleaseItemsIn
                               ) -> Response[ReleaseOut]:
    with session_scope() as session:
        release = releases.remove_from_release(session, release_id, data.channel, data.skus,
                                               actor=request.user)
        return _release_response(release)


@post("/releases/{release_id:int}/submit", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409, 422), tags=["releases"],
      summary="Submit a draft release for review")
def submit_release_route(request: Request, release_id: ReleaseId) -> Response[ReleaseOut]:
    with session_scope() as session:
        return _release_response(releases.submit_release(session, release_id,
                                                         actor=request.user))


@post("/releases/{release_id:int}/approve", opt={"roles": REVIEW}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Approve a submitted release (schedules its publication when it has a "
              "publish_at)")
def approve_release_route(request: Request, release_id: ReleaseId) -> Response[ReleaseOut]:
    with session_scope() as session:
        return _release_response(releases.approve_release(session, release_id,
                                                          actor=request.user))


@post("/releases/{release_id:int}/reject", opt={"roles": REVIEW}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Send a submitted or approved release back to draft, with a reason")
def reject_release_route(request: Request, release_id: ReleaseId,
                         data: ReleaseRejectIn | None = None) -> Response[ReleaseOut]:
    reason = data.reason if data else ""
    with session_scope() as session:
        return _release_response(releases.reject_release(session, release_id,
                                                         actor=request.user, reason=reason))


@post("/releases/{release_id:int}/publish", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Publish an approved release now; items whose product fails its channel "
              "schema are refused, each with the reason")
def publish_release_route(request: Request, release_id: ReleaseId) -> Response[ReleaseOut]:
    with session_scope() as session:
        return _release_response(releases.publish_release(session, release_id,
                                                          actor=request.user))


# -- publishing -------------------------------------------------------------------------------

def _report(report) -> PublishReportOut:
    body = report.as_dict()
    body.pop("release_id")
    return PublishReportOut(summary=report.summary(), **body)


@post("/channels/{code:str}/publish", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 422), tags=["publishing"],
      summary="Publish products to a channel now: what was published, what was refused and "
              "why, product by product")
def publish_channel_route(request: Request, code: str, data: PublishIn) -> PublishReportOut:
    from pim.publishing.snapshots import publish

    if not data.skus and not data.ready:
        raise Invalid("name the SKUs to publish, or publish the ready ones (ready: true)",
                      errors=[{"field": "skus", "message": "name at least one SKU, or set "
                                                          "ready: true"}])
    with session_scope() as session:
        report = publish(session, code, data.skus or None, ready=data.ready,
                         actor=request.user)
        return _report(report)


@post("/channels/{code:str}/withdraw", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=_OK, responses=problems(404), tags=["publishing"],
      summary="Take products out of a channel (feeds list them as withdrawn); products not "
              "published there are refused")
def withdraw_channel_route(request: Request, code: str, data: WithdrawIn) -> PublishReportOut:
    from pim.publishing.snapshots import withdraw

    with session_scope() as session:
        return _report(withdraw(session, code, data.skus, actor=request.user))


ROUTES = [
    product_completeness_route, completeness_summary_route, product_workflow_route,
    _transition("submit", WRITE_CONTENT, "Submit products in a channel for review"),
    _transition("approve", REVIEW, "Approve products in review in a channel"),
    _transition("reject", REVIEW, "Send products in review (or approved) back to draft"),
    list_releases_route, create_release_route, get_release_route, add_release_items_route,
    remove_release_items_route, submit_release_route, approve_release_route,
    reject_release_route, publish_release_route, publish_channel_route,
    withdraw_channel_route,
]
