"""API routes for webhooks (being built)."""

ROUTES: list = []
