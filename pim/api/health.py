"""``GET /health``: unauthenticated; 200 when the database answers, 503 otherwise."""

from __future__ import annotations

from litestar import Response, get
from sqlalchemy import text

from pim.api.openapi import problems
from pim.api.schemas import HealthOut
from pim.db import read_session
from pim.search import health as search_health


@get("/health", sync_to_thread=True, exclude_from_auth=True, tags=["health"],
     summary="Liveness and database check", responses=problems(auth=False))
def health_route() -> Response[HealthOut]:
    # Its own session, not an injected one: a database that is gone must answer 503, and an
    # injected session would fail again when it is closed, after the handler.
    try:
        with read_session() as session:
            session.execute(text("SELECT 1"))
            searching = search_health(session)
    except Exception as error:  # the point of a health check is to report, not raise
        return Response(HealthOut(status="unavailable", database=type(error).__name__),
                        status_code=503)
    return Response(HealthOut(status="ok", database="ok", search="ok" if searching["ok"]
                              else f"unavailable: {searching.get('error', '')}"[:200]))
