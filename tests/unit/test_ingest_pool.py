"""The extraction process pool survives a stuck or dying worker."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from ingest.extraction import ExtractPool
from newsflow.errors import TransientError


def test_a_stuck_call_times_out_and_the_pool_is_replaced() -> None:
    pool = ExtractPool(1, timeout_s=1.0)

    async def scenario() -> int:
        with pytest.raises(TransientError, match="timed out"):
            await pool.run(time.sleep, 30)
        return await pool.run(abs, -7)

    started = time.monotonic()
    try:
        assert asyncio.run(scenario()) == 7
    finally:
        pool.shutdown()
    assert time.monotonic() - started < 10


def test_a_dead_worker_is_replaced() -> None:
    pool = ExtractPool(1)

    async def scenario() -> int:
        with pytest.raises(TransientError, match="died"):
            await pool.run(os._exit, 3)
        return await pool.run(abs, -8)

    try:
        assert asyncio.run(scenario()) == 8
    finally:
        pool.shutdown()
