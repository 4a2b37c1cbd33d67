"""ERP connectors: their watermarks and last pulls (admin or editor: a connector's record
names the ERP's address and the products it refused)."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath

from pim.api.openapi import problems
from pim.api.sessions import ReadSession
from pim.auth.actor import WRITE_CONTENT
from pim.erp import ErpConnectorOut, get_connector, list_connectors

TAGS = ["erp"]


@get("/erp/connectors", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
     responses=problems(), summary="ERP connectors, their watermarks and last pulls",
     tags=TAGS)
def list_connectors_route(reader: ReadSession) -> list[ErpConnectorOut]:
    return list_connectors(reader)


@get("/erp/connectors/{name:str}", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
     responses=problems(404), summary="One ERP connector", tags=TAGS)
def get_connector_route(name: FromPath[str], reader: ReadSession) -> ErpConnectorOut:
    return get_connector(reader, name)


ROUTES = [list_connectors_route, get_connector_route]
