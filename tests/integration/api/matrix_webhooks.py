"""Authorization rows for the webhooks routes: (method, path) -> roles; merged into
test_access.MATRIX. PARAMS maps path placeholders to harmless values.

Webhook subscriptions are admin-managed, and reading them is too: URLs may carry the
receiver's credentials and the delivery log keeps the receivers' response bodies."""

_ADMIN = {"admin"}
_SUB = "/api/v1/webhooks/{subscription_id:int}"
_DELIVERY = "/api/v1/webhook-deliveries/{delivery_id:int}"

ROWS: dict = {
    ("GET", "/api/v1/webhooks"): _ADMIN,
    ("POST", "/api/v1/webhooks"): _ADMIN,
    ("GET", _SUB): _ADMIN,
    ("PATCH", _SUB): _ADMIN,
    ("DELETE", _SUB): _ADMIN,
    ("POST", f"{_SUB}/disable"): _ADMIN,
    ("POST", f"{_SUB}/enable"): _ADMIN,
    ("POST", f"{_SUB}/rotate-secret"): _ADMIN,
    ("GET", f"{_SUB}/deliveries"): _ADMIN,
    ("POST", f"{_SUB}/redeliver-failed"): _ADMIN,
    ("GET", _DELIVERY): _ADMIN,
    ("POST", f"{_DELIVERY}/redeliver"): _ADMIN,
}
PARAMS: dict = {"{subscription_id:int}": "999999", "{delivery_id:int}": "999999"}
