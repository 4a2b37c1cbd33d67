"""ERP connectors: an ERP's API in, normalized product records out. No database.

    from importers.erp import load_connector_file, open_connector

    config = load_connector_file("tryton.yaml")      # validated; errors name the key
    with open_connector(config) as source:             # TrytonSource or RestSource
        for item in source.pull(since=None):          # None: everything; else a watermark
            ...   # ErpProduct | ErpStock | RowError, then one PullEnd

The hub's ``pim.erp`` slice keeps the watermark, resolves the mapping against the catalog,
writes what comes out and schedules pulls; see ``importers/erp/examples/`` for files.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from importers.erp.config import (
    TRYTON_DEFAULT_MAPPING,
    ConnectorFile,
    RestConnector,
    Target,
    TrytonConnector,
    load_connector_file,
    parse_connector,
)
from importers.erp.errors import (
    ConnectorConfigError,
    ConnectorError,
    ErpAuthError,
    ErpProtocolError,
    ErpUnavailable,
)
from importers.erp.http import Redactor
from importers.erp.items import ErpItem, ErpProduct, ErpStock, PullEnd
from importers.erp.rest import RestSource
from importers.erp.tryton import TrytonSource

Source = TrytonSource | RestSource


@contextmanager
def open_connector(config: TrytonConnector | RestConnector,
                   mapping: dict[str, Target] | None = None) -> Iterator[Source]:
    """The source for ``config`` (``mapping``: the field map the hub resolved; default the
    file's mapping over the connector's defaults), closed when the block ends."""
    source: Source
    if isinstance(config, TrytonConnector):
        source = TrytonSource(config, mapping)
    else:
        source = RestSource(config, mapping)
    try:
        yield source
    finally:
        source.close()


__all__ = [
    "TRYTON_DEFAULT_MAPPING", "ConnectorConfigError", "ConnectorError", "ConnectorFile",
    "ErpAuthError", "ErpItem", "ErpProduct", "ErpProtocolError", "ErpStock", "ErpUnavailable",
    "PullEnd", "Redactor", "RestConnector", "RestSource", "Source", "Target",
    "TrytonConnector", "TrytonSource", "load_connector_file", "open_connector",
    "parse_connector",
]
