"""Authorization rows for the media routes: (method, path) -> roles; merged into
test_access.MATRIX. PARAMS maps path placeholders to harmless values."""

ROWS: dict = {
    ("POST", "/api/v1/media"): {"admin", "editor"},
    ("GET", "/api/v1/media/{sha256:str}"): {"admin", "editor", "reviewer", "viewer"},
    # What feeds, channel variants and webhooks link to: fetched by marketplaces and
    # storefronts without a token (content-addressed, unguessable names).
    ("GET", "/media/r/{spec_hash:str}/{name:str}"): "public",
    ("GET", "/media/o/{name:str}"): "public",
}
PARAMS: dict = {"{sha256:str}": "0" * 64, "{spec_hash:str}": "0" * 12,
                "{name:str}": "0" * 64 + ".jpg"}
