"""Authorization rows for the webhooks routes: (method, path) -> roles; merged into
test_access.MATRIX. PARAMS maps path placeholders to harmless values."""

ROWS: dict = {}
PARAMS: dict = {}
