"""Authorization rows for the workflow routes: (method, path) -> roles; merged into
test_access.MATRIX. PARAMS maps path placeholders to harmless values."""

ROWS: dict = {}
PARAMS: dict = {}
