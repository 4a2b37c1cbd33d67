"""Why a pull cannot go on. Problems with one product are ``RowError`` records instead: those
never stop a pull, these always do.

Every message here is safe to show, log and store: no password, token, session or
credential-bearing URL ever reaches one (``importers.erp.http.Redactor`` cleans what comes
from the network before it is put in a message).
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A pull cannot go on; the message says why in words an operator acts on."""

    transient = False  # True: the same pull may succeed later (network, server restarting)

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ConnectorConfigError(ConnectorError):
    """The connector file is wrong: ``key`` names the faulty key (dotted path)."""

    def __init__(self, message: str, *, key: str | None = None, path: str | None = None):
        self.key = key
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{key}: {message}" if key else f"{where}{message}")


class ErpAuthError(ConnectorError):
    """The ERP refused the credentials (login failed, HTTP 401/403)."""


class ErpUnavailable(ConnectorError):
    """The ERP could not be reached or kept failing after the retries (network errors,
    timeouts, HTTP 429/502/503/504)."""

    transient = True


class ErpProtocolError(ConnectorError):
    """The ERP answered something the connector cannot read (not JSON, too large, an RPC
    error, a page without the configured item list)."""
