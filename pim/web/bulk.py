"""Bulk workflow actions from the product grid: submit the selected products for review in
the grid's channel (editors), approve or reject them (reviewers). One call of the workflow
service, all or nothing (``pim.workflow.transitions``: a product in the wrong status refuses
the whole batch, naming it), then back to the same view of the grid (post, redirect, get)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect

from pim.errors import Invalid
from pim.web.grid import PATH
from pim.web.security import local_path
from pim.web.sessions import WriteSession
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
                  session: WriteSession) -> Response:
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
    moved = ACTIONS[action](session, channel, skus, actor=request.user)
    back = local_path(str(data.get("back") or PATH))
    if not back.startswith(PATH):
        back = PATH
    separator = "&" if "?" in back else "?"
    return Redirect(f"{back}{separator}{urlencode({'done': action, 'n': len(moved)})}",
                    status_code=303)


ROUTES = [bulk_workflow]
