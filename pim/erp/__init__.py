"""ERP pulls: connector files (``importers.erp``) applied to the catalog.

``pull(config, session_factory=...)`` writes one pull (incremental from the connector's
watermark, or full); ``list_connectors`` / ``get_connector`` read the connectors' records;
the ``erp.pull`` job runs a pull with progress and keeps connectors on their schedule.
"""

from pim.erp.pull import PullReport, pull
from pim.erp.schemas import ErpConnectorOut
from pim.erp.state import get_connector, list_connectors

__all__ = ["ErpConnectorOut", "PullReport", "get_connector", "list_connectors", "pull"]
