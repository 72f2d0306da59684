"""The one reconnect policy: waits grow with failures in a row, are said once a try, and reset on success."""

from __future__ import annotations

import logging
import random

import pytest

from newsflow.reconnect import Reconnect


def test_waits_grow_up_to_the_cap_and_start_over_after_a_success(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="test.reconnect")
    outage = Reconnect(logging.getLogger("test.reconnect"), base_s=0.5, cap_s=4.0, rng=random.Random(7))
    waits = [outage.failed("database unavailable (connection refused)") for _ in range(8)]
    assert waits[0] == 0.5  # the first wait is the base: no jitter below it
    assert all(0.5 <= w <= 4.0 for w in waits) and max(waits[3:]) > 2.0
    assert caplog.text.count("database unavailable (connection refused); reconnecting in") == 8
    outage.succeeded()
    assert outage.failures == 0 and outage.failed("again") == 0.5
