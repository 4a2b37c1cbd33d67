"""Signatures verify with the reference ``standardwebhooks`` implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from pim.webhooks.signing import generate_secret, webhook_headers


def test_generated_secrets_are_whsec_base64_of_24_to_64_bytes():
    for size in (24, 32, 64):
        secret = generate_secret(size)
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == size
    with pytest.raises(ValueError):
        generate_secret(16)


def test_headers_verify_with_standardwebhooks():
    secret, body = generate_secret(), '{"type":"product.published","data":{}}'
    headers = webhook_headers([secret], "msg_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {"type": "product.published", "data": {}}


def test_a_signature_with_another_secret_does_not_verify():
    body = "{}"
    headers = webhook_headers([generate_secret()], "msg_1", int(time.time()), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)


def test_two_secrets_give_two_space_separated_signatures_each_verifiable():
    old, new, body = generate_secret(), generate_secret(), "{}"
    headers = webhook_headers([new, old], "msg_1", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)


README = Path(__file__).resolve().parents[3] / "README.md"


def _readme_verification() -> str:
    """The Python block of the README's "Receiving webhooks" paragraph."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("**Receiving webhooks.**"):]
    return section[section.index("```python\n") + 10:section.index("```\n", 10)]


def _readme_verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    scope = {"base64": base64, "hashlib": hashlib, "hmac": hmac, "secret": secret,
             "headers": headers, "body": body}
    exec(_readme_verification(), scope)  # noqa: S102 - the README's own example
    return bool(scope["ok"])


def test_the_readme_recipe_verifies_what_the_hub_signs_and_nothing_else():
    """A receiver written from the README accepts the hub's deliveries (a non-ASCII body,
    during a rotation: two signatures) and refuses a changed body or another secret."""
    old, new = generate_secret(), generate_secret()
    body = '{"type":"product.published","data":{"name":"Größe Ü"}}'
    headers = webhook_headers([new, old], "msg_1", int(time.time()), body)
    raw = body.encode()
    assert _readme_verifies(new, headers, raw)
    assert _readme_verifies(old, headers, raw)
    assert not _readme_verifies(new, headers, raw.replace(b"Gr", b"gr"))
    assert not _readme_verifies(generate_secret(), headers, raw)
