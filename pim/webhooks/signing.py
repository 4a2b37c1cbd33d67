"""Standard Webhooks signing: ``whsec_`` secrets and ``v1,<base64 HMAC-SHA256>`` signatures
over ``{webhook-id}.{webhook-timestamp}.{body}``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes


def generate_secret(nbytes: int = SECRET_BYTES) -> str:
    if not 24 <= nbytes <= 64:
        raise ValueError("a webhook secret has 24 to 64 random bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key: the base64-decoded bytes after ``whsec_``."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(signing_secrets: list[str], message_id: str, timestamp: int,
                     body: str) -> str:
    """One signature per secret, space-separated: during a rotation the receiver may still
    hold the previous secret, and either signature verifies."""
    return " ".join(sign(s, message_id, timestamp, body) for s in signing_secrets)


def webhook_headers(signing_secrets: list[str], message_id: str, timestamp: int,
                    body: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(signing_secrets, message_id, timestamp, body),
    }
