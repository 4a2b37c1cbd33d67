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
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from pim.api.filters import one_of
from pim.api.openapi import problems
from pim.api.sessions import ReadSession, WriteSession
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
from pim.errors import Conflict, ErrorItem, Invalid
from pim.publishing import releases
from pim.publishing.models import RELEASE_STATUSES
from pim.publishing.snapshots import PublishReport, publish, withdraw
from pim.workflow import transitions
from pim.workflow.completeness import check_product_now, completeness_overview

ReleaseId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="The release's id.")]
ChannelQuery = Annotated[str | None, QueryParameter(max_length=100,
                                                    description="One channel only.")]
_OK = 200


# -- completeness -----------------------------------------------------------------------------

@get("/products/{sku:str}/completeness", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), tags=["workflow"],
     summary="A product's completeness per channel and locale, every error pointing at the "
             "attribute, locale and scope to fix")
def product_completeness_route(sku: FromPath[str], reader: ReadSession,
                               channel: ChannelQuery = None) -> ProductCompletenessOut:
    checks = check_product_now(reader, sku, channel)
    return ProductCompletenessOut(sku=sku, channels=[ChannelCompletenessOut(**c)
                                                     for c in checks])


@get("/completeness", opt={"roles": READ}, sync_to_thread=True, responses=problems(404),
     tags=["workflow"],
     summary="Per channel and locale: products, complete, average percent, failing")
def completeness_summary_route(reader: ReadSession,
                               channel: ChannelQuery = None) -> CompletenessSummaryOut:
    return CompletenessSummaryOut(**completeness_overview(reader, channel))


# -- review workflow --------------------------------------------------------------------------

@get("/products/{sku:str}/workflow", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), tags=["workflow"],
     summary="A product's review status in every channel, and whether it changed since "
             "it was published there")
def product_workflow_route(sku: FromPath[str], reader: ReadSession) -> ProductWorkflowOut:
    return ProductWorkflowOut(sku=sku, channels=transitions.workflow_status(reader, sku))


def _transition(name: Literal["submit", "approve", "reject"], roles: tuple[str, ...],
                summary: str):
    move = {"submit": transitions.submit_for_review, "approve": transitions.approve,
            "reject": transitions.reject}[name]

    @post(f"/workflow/{{channel:str}}/{name}", opt={"roles": roles}, sync_to_thread=True,
          status_code=_OK, responses=problems(404, 409, 422), tags=["workflow"], summary=summary,
          operation_id=f"{name}_products", name=f"workflow_{name}_route")
    def route(request: Request, channel: FromPath[str], data: JSONBody[SkusIn],
              session: WriteSession) -> TransitionOut:
        try:
            moved = move(session, channel, data.skus, actor=request.user)
        except Conflict as error:
            raise _pointing_at_skus(error, data.skus) from None
        return TransitionOut(channel=channel, transition=name, results=moved)

    return route


def _pointing_at_skus(error: Conflict, skus: list[str]) -> Conflict:
    """The refusal, each blocked product's entry pointing at its place in the body."""
    index = {sku: i for i, sku in reversed(list(enumerate(skus)))}
    errors: list[ErrorItem] = [
        {**e, "field": f"skus[{index[e['sku']]}]"} if e.get("sku") in index else e
        for e in error.errors]
    return Conflict(error.message, errors=errors)


# -- releases ---------------------------------------------------------------------------------

def _release_response(release, status: int = _OK) -> Response[ReleaseOut]:
    return Response(ReleaseOut(**releases.release_out(release)), status_code=status)


@get("/releases", opt={"roles": READ}, sync_to_thread=True, responses=problems(),
     tags=["releases"], summary="Every release (or those in one status)")
def list_releases_route(
    reader: ReadSession,
    status: Annotated[str | None, one_of(RELEASE_STATUSES, "Releases in this status.")] = None,
) -> list[ReleaseOut]:
    return [ReleaseOut(**releases.release_out(r))
            for r in releases.list_releases(reader, status)]


@post("/releases", opt={"roles": WRITE_CONTENT}, sync_to_thread=True, status_code=201,
      responses=problems(422), tags=["releases"],
      summary="Create a draft release (publish_at: when approval publishes it)")
def create_release_route(request: Request, data: JSONBody[ReleaseIn],
                         session: WriteSession) -> Response[ReleaseOut]:
    release = releases.create_release(session, data.name, actor=request.user,
                                      publish_at=data.publish_at, description=data.description)
    return _release_response(release, 201)


@get("/releases/{release_id:int}", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), tags=["releases"],
     summary="A release with its items and, once published, its report")
def get_release_route(release_id: ReleaseId, reader: ReadSession) -> ReleaseOut:
    return ReleaseOut(**releases.release_out(releases.get_release(reader, release_id)))


@post("/releases/{release_id:int}/items", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Add products in one channel to a draft release (an item already in it stays "
              "once)")
def add_release_items_route(request: Request, release_id: ReleaseId,
                            data: JSONBody[ReleaseItemsIn], session: WriteSession
                            ) -> Response[ReleaseOut]:
    return _release_response(releases.add_to_release(session, release_id, data.channel,
                                                     data.skus, actor=request.user))


@post("/releases/{release_id:int}/items/remove", opt={"roles": WRITE_CONTENT},
      sync_to_thread=True, status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Take products in one channel out of a draft release")
def remove_release_items_route(request: Request, release_id: ReleaseId,
                               data: JSONBody[ReleaseItemsIn], session: WriteSession
                               ) -> Response[ReleaseOut]:
    return _release_response(releases.remove_from_release(session, release_id, data.channel,
                                                          data.skus, actor=request.user))


@post("/releases/{release_id:int}/submit", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409, 422), tags=["releases"],
      summary="Submit a draft release for review")
def submit_release_route(request: Request, release_id: ReleaseId,
                         session: WriteSession) -> Response[ReleaseOut]:
    return _release_response(releases.submit_release(session, release_id, actor=request.user))


@post("/releases/{release_id:int}/approve", opt={"roles": REVIEW}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Approve a submitted release (schedules its publication when it has a "
              "publish_at)")
def approve_release_route(request: Request, release_id: ReleaseId,
                          session: WriteSession) -> Response[ReleaseOut]:
    return _release_response(releases.approve_release(session, release_id,
                                                      actor=request.user))


@post("/releases/{release_id:int}/reject", opt={"roles": REVIEW}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Send a submitted or approved release back to draft, with a reason")
def reject_release_route(request: Request, release_id: ReleaseId, session: WriteSession,
                         data: JSONBody[ReleaseRejectIn | None] = None
                         ) -> Response[ReleaseOut]:
    reason = data.reason if data else ""
    return _release_response(releases.reject_release(session, release_id, actor=request.user,
                                                     reason=reason))


@post("/releases/{release_id:int}/publish", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 409), tags=["releases"],
      summary="Publish an approved release now; items whose product fails its channel "
              "schema are refused, each with the reason")
def publish_release_route(request: Request, release_id: ReleaseId,
                          session: WriteSession) -> Response[ReleaseOut]:
    return _release_response(releases.publish_release(session, release_id,
                                                      actor=request.user))


# -- publishing -------------------------------------------------------------------------------

def _report(report: PublishReport) -> PublishReportOut:
    body = report.as_dict()
    body.pop("release_id")
    return PublishReportOut(summary=report.summary(), **body)


@post("/channels/{code:str}/publish", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=_OK, responses=problems(404, 422), tags=["publishing"],
      summary="Publish products to a channel now: what was published, what was refused and "
              "why, product by product")
def publish_channel_route(request: Request, code: FromPath[str], data: JSONBody[PublishIn],
                          session: WriteSession) -> PublishReportOut:
    if not data.skus and not data.ready:
        raise Invalid("name the SKUs to publish, or publish the ready ones (ready: true)",
                      errors=[{"field": "skus", "message": "name at least one SKU, or set "
                                                          "ready: true"}])
    return _report(publish(session, code, data.skus or None, ready=data.ready,
                           actor=request.user))


@post("/channels/{code:str}/withdraw", opt={"roles": MANAGE}, sync_to_thread=True,
      status_code=_OK, responses=problems(404), tags=["publishing"],
      summary="Take products out of a channel (feeds list them as withdrawn); products not "
              "published there are refused")
def withdraw_channel_route(request: Request, code: FromPath[str], data: JSONBody[WithdrawIn],
                           session: WriteSession) -> PublishReportOut:
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
