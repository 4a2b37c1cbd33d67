"""Authorization rows for the media routes: (method, path) -> roles; merged into
test_access.MATRIX. PARAMS maps path placeholders to harmless values."""

ROWS: dict = {
    ("POST", "/api/v1/media"): {"admin", "editor"},
    ("GET", "/api/v1/media/{sha256:str}"): {"admin", "editor", "reviewer", "viewer"},
}
PARAMS: dict = {"{sha256:str}": "0" * 64}
