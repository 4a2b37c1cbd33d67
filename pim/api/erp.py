"""ERP connectors: their watermarks and last pulls (admin or editor: a connector's record
names the ERP's address and the products it refused)."""

from __future__ import annotations

from litestar import get

from pim.api.openapi import problems
from pim.auth.actor import WRITE_CONTENT
from pim.db import read_session
from pim.erp import ErpConnectorOut, get_connector, list_connectors

TAGS = ["erp"]


@get("/erp/connectors", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
     responses=problems(), summary="ERP connectors, their watermarks and last pulls",
     tags=TAGS)
def list_connectors_route() -> list[ErpConnectorOut]:
    with read_session() as session:
        return list_connectors(session)


@get("/erp/connectors/{name:str}", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
     responses=problems(404), summary="One ERP connector", tags=TAGS)
def get_connector_route(name: str) -> ErpConnectorOut:
    with read_session() as session:
        return get_connector(session, name)


ROUTES = [list_connectors_route, get_connector_route]
