"""Extraction inside an ingest worker (no pool): results as the pool's, and a runaway page is cut."""

from __future__ import annotations

import asyncio
import time

import pytest

from ingest.extract import extract_page
from ingest.extraction import InlineExtractor
from newsflow.errors import TransientError
from tests.integration.ingest_site import article_html


def _spin(seconds: float) -> int:
    """Pure-Python work standing in for a pathological page."""
    deadline, n = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        n += 1
    return n


def _burn(cpu_seconds: float) -> int:
    """Spin until this thread has used ``cpu_seconds`` of CPU (wall time depends on the machine's load)."""
    deadline, n = time.thread_time() + cpu_seconds, 0
    while time.thread_time() < deadline:
        n += 1
    return n


def test_inline_extraction_gives_the_page() -> None:
    html = article_html(7, "Story 7").encode()
    page = asyncio.run(InlineExtractor().run(extract_page, html, "text/html; charset=utf-8", "http://x.test/7"))
    assert page.ok and "Paragraph 5 of story 7" in page.text


def test_a_runaway_extraction_is_cut_and_the_next_one_runs() -> None:
    extractor = InlineExtractor(timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(TransientError, match="timed out"):
        asyncio.run(extractor.run(_spin, 30.0))
    assert time.monotonic() - started < 5
    assert asyncio.run(extractor.run(_spin, 0.01)) > 0  # the alarm was cleared
    time.sleep(0.3)  # and does not fire later


def test_the_cpu_of_each_function_is_counted_apart() -> None:
    # bench_pipeline.py tells a worker's extraction CPU from the rest of its work by these counts.
    extractor = InlineExtractor()
    html = article_html(3, "Story 3").encode()
    asyncio.run(extractor.run(extract_page, html, "text/html", "http://x.test/3"))
    asyncio.run(extractor.run(extract_page, html, "text/html", "http://x.test/3"))
    asyncio.run(extractor.run(_burn, 0.05))
    assert extractor.cpu["extract_page"][1] == 2 and extractor.cpu["_burn"][1] == 1
    assert extractor.cpu["_burn"][0] >= 0.04  # the CPU it burnt, whatever the wall time
    assert extractor.cpu["extract_page"][0] > 0
