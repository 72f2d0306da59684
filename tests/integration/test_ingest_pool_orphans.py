"""A SIGKILLed ingest leaves no extraction pool behind (issue 8 #6).

Before: the forkserver, its workers and the resource tracker lived on under
PID 1, about 150 MB per crash.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from newsflow.settings import FeedConfig, FetchConfig, Settings

from .ingest_site import Site, article_html, rss, serve, start_ingest
from .test_ingest_kill import _wait_for_seen

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, start time) of a process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[1]), fields[0], fields[19]


def _descendants(root: int) -> dict[int, str]:
    """Every process below ``root``, with its start time (so a reused pid is not mistaken for it)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            parents[int(entry)] = stat
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _, started) in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = started
                frontier.append(pid)
    return found


def _alive(pid: int, started: str) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[1] not in ("Z", "X")


def test_sigkill_of_ingest_leaves_no_pool_process(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    with serve(Site()) as site:
        site.page_delay_s = 0.2  # keep it busy: the kill lands mid-run
        for n in range(40):
            site.set(f"/news/{n}", article_html(n, f"Story {n}"))
        site.set("/feed.xml", rss([(f"s{n}", f"{site.base_url}/news/{n}", f"Story {n}") for n in range(40)]))
        settings = make_settings(
            feeds=[FeedConfig(url=f"{site.base_url}/feed.xml")],
            fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=10.0),
            extract_workers=2,
        )
        proc = start_ingest(settings, tmp_path)
        try:
            _wait_for_seen(settings, 3, proc)
            pool = _descendants(proc.pid)
            # the forkserver, 2 workers, the resource tracker
            assert len(pool) >= 4, pool
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            deadline = time.monotonic() + 10
            while (survivors := [p for p, started in pool.items() if _alive(p, started)]) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pid, started in pool.items() if "pool" in locals() else ():
                if _alive(pid, started):
                    os.kill(pid, signal.SIGKILL)  # never leak them from the test itself
        assert survivors == [], f"{len(survivors)} of {len(pool)} pool processes survived their parent"
