"""API routes for jobs (being built)."""

ROUTES: list = []
