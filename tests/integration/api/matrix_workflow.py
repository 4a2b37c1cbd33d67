"""Authorization rows for the workflow routes: (method, path) -> roles; merged into
test_access.MATRIX. PARAMS maps path placeholders to harmless values.

Everyone reads completeness, statuses and releases; editors submit products and create,
fill and submit releases; reviewers approve and reject; publishing is admin work."""

_ALL = {"admin", "editor", "reviewer", "viewer"}
_CONTENT = {"admin", "editor"}
_REVIEW = {"admin", "reviewer"}
_ADMIN = {"admin"}
_RELEASE = "/api/v1/releases/{release_id:int}"

ROWS: dict = {
    ("GET", "/api/v1/products/{sku:str}/completeness"): _ALL,
    ("GET", "/api/v1/completeness"): _ALL,
    ("GET", "/api/v1/products/{sku:str}/workflow"): _ALL,
    ("POST", "/api/v1/workflow/{channel:str}/submit"): _CONTENT,
    ("POST", "/api/v1/workflow/{channel:str}/approve"): _REVIEW,
    ("POST", "/api/v1/workflow/{channel:str}/reject"): _REVIEW,
    ("GET", "/api/v1/releases"): _ALL,
    ("POST", "/api/v1/releases"): _CONTENT,
    ("GET", _RELEASE): _ALL,
    ("POST", f"{_RELEASE}/items"): _CONTENT,
    ("POST", f"{_RELEASE}/items/remove"): _CONTENT,
    ("POST", f"{_RELEASE}/submit"): _CONTENT,
    ("POST", f"{_RELEASE}/approve"): _REVIEW,
    ("POST", f"{_RELEASE}/reject"): _REVIEW,
    ("POST", f"{_RELEASE}/publish"): _ADMIN,
    ("POST", "/api/v1/channels/{code:str}/publish"): _ADMIN,
    ("POST", "/api/v1/channels/{code:str}/withdraw"): _ADMIN,
}
PARAMS: dict = {"{release_id:int}": "999999"}
