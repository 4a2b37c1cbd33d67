"""Signatures verify with the reference ``standardwebhooks`` implementation."""

from __future__ import annotations

import base64
import time

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
