"""The circuit of a subscription: when it opens, for how long, and what resets it."""

from __future__ import annotations

import pytest

from pim.config import reset_settings
from pim.db import utcnow
from pim.webhooks.batch import next_circuit
from pim.webhooks.delivery import AttemptResult

OK = AttemptResult(status_code=204)
DOWN = AttemptResult(error="ConnectError", network_failure=True)
ERROR = AttemptResult(status_code=503)
REJECTED = AttemptResult(status_code=422)


@pytest.fixture(autouse=True)
def threshold(monkeypatch):
    monkeypatch.setenv("PIM_WEBHOOK_CIRCUIT_THRESHOLD", "3")
    monkeypatch.setenv("PIM_WEBHOOK_CIRCUIT_MAX_SECONDS", "10")
    reset_settings()
    yield
    reset_settings()


def pause(failures_before, results):
    now = utcnow()
    failures, until = next_circuit(failures_before, results, now)
    return failures, None if until is None else round((until - now).total_seconds(), 3)


def test_failures_below_the_threshold_leave_it_closed():
    assert pause(0, [DOWN, ERROR]) == (2, None)


def test_it_opens_at_the_threshold_for_one_second_then_doubles_per_failed_probe():
    assert pause(0, [DOWN, ERROR, DOWN]) == (3, 1.0)
    assert pause(3, [DOWN]) == (4, 2.0)
    assert pause(5, [ERROR]) == (6, 8.0)
    assert pause(50, [ERROR]) == (51, 10.0)  # PIM_WEBHOOK_CIRCUIT_MAX_SECONDS


def test_an_answer_not_worth_retrying_resets_the_count():
    assert pause(2, [OK]) == (0, None)
    assert pause(2, [REJECTED, DOWN]) == (1, None)
    assert pause(0, [DOWN, DOWN, OK, DOWN]) == (1, None)


def test_retry_after_pauses_even_when_requests_in_flight_then_succeed():
    limited = AttemptResult(status_code=429, retry_after=30.0)
    assert pause(0, [limited, OK, OK]) == (0, 30.0)
    assert pause(0, [ERROR, ERROR, limited]) == (3, 30.0)  # the longer pause wins


def test_retry_after_on_a_success_or_a_client_error_is_ignored():
    assert pause(0, [AttemptResult(status_code=200, retry_after=30.0)]) == (0, None)
    assert pause(0, [AttemptResult(status_code=400, retry_after=30.0)]) == (0, None)
