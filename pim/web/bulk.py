"""Bulk workflow actions from the product grid: submit the selected products for review in
the grid's channel (editors), approve or reject them (reviewers). One call of the workflow
service, all or nothing (``pim.workflow.transitions``: a product in the wrong status refuses
the whole batch, naming it), then back to the same view of the grid (post, redirect, get).
A refused batch answers that view of the grid at once (409), the selection still checked
and the refusal beside the bulk bar, so the person can uncheck the product named and retry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from litestar import Request, Response, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from pim.errors import Conflict, Invalid, NotFound
from pim.web.grid import PATH, GridState
from pim.web.products import grid_page
from pim.web.security import local_path
from pim.web.sessions import ReadSession, WriteSession
from pim.workflow import transitions

ACTIONS = {"submit": transitions.submit_for_review, "approve": transitions.approve,
           "reject": transitions.reject}
MAX_SELECTED = 500  # a page holds 50; more is no form of ours


def _values(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    items = value if isinstance(value, list) else ([value] if value else [])
    return [str(v) for v in items if str(v).strip()]


@post("/workflow/bulk", include_in_schema=False, sync_to_thread=True)
def bulk_workflow(request: Request, data: URLEncodedBody[dict[str, Any]],
                  session: WriteSession, reader: ReadSession) -> Response | Template:
    action = str(data.get("action") or "")
    if action not in ACTIONS:
        raise Invalid.not_one_of("action", action, ACTIONS, "bulk action")
    channel = str(data.get("channel") or "")
    if not channel:
        raise Invalid("channel: choose a channel first",
                      errors=[{"field": "channel", "message": "required"}])
    skus = _values(data, "sku")[:MAX_SELECTED + 1]
    if not skus:
        raise Invalid("sku: select at least one product",
                      errors=[{"field": "sku", "message": "select at least one product"}])
    if len(skus) > MAX_SELECTED:
        raise Invalid(f"sku: at most {MAX_SELECTED} products at once",
                      errors=[{"field": "sku", "message": f"at most {MAX_SELECTED}"}])
    back = local_path(str(data.get("back") or PATH))
    if not back.startswith(PATH):
        back = PATH
    try:
        moved = ACTIONS[action](session, channel, skus, actor=request.user)
    except (Conflict, Invalid, NotFound) as refused:
        session.rollback()  # all or nothing: the batch wrote nothing
        query = parse_qs(urlsplit(back).query)
        # the channel acted in, whatever the view named: its bulk bar shows the refusal
        state = replace(GridState.from_query(lambda name: query.get(name, [])),
                        channel=channel)
        return grid_page(request, reader, state, status=refused.status,
                         selected=frozenset(skus), bulk_error=refused.message)
    separator = "&" if "?" in back else "?"
    return Redirect(f"{back}{separator}{urlencode({'done': action, 'n': len(moved)})}",
                    status_code=303)


ROUTES = [bulk_workflow]
