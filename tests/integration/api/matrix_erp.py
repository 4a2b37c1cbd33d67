"""Authorization rows for the ERP routes; merged into test_access.MATRIX. Connector records
are content work's (admin, editor): they name the ERP and the products it refused."""

_CONTENT = {"admin", "editor"}

ROWS: dict = {
    ("GET", "/api/v1/erp/connectors"): _CONTENT,
    ("GET", "/api/v1/erp/connectors/{name:str}"): _CONTENT,
}
PARAMS: dict = {"{name:str}": "no-such-connector"}
