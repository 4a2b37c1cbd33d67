"""API routes for workflow (being built)."""

ROUTES: list = []
