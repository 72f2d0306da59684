"""Where CPU-bound work runs (feed parsing, page extraction): a process pool, or inline.

``ingest`` alone hands the work to :class:`ExtractPool` (forkserver processes,
restarted when one hangs or dies); an ingest worker process (``ingest_workers``)
runs it in its own thread with :class:`InlineExtractor`, so no page crosses a
process boundary. Both have the same interface: ``await run(function, *args)``,
``workers``, ``shutdown()``; a call that overruns fails with a TransientError.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ingest.lifeline import die_with_parent
from newsflow.errors import TransientError

log = logging.getLogger(__name__)

T = TypeVar("T")

# Longest a single parse or extraction may take (trafilatura needs ~15 ms a page).
EXTRACT_TIMEOUT_S = 60.0


class _ExtractionOverrun(Exception):
    """Raised by SIGALRM inside an inline extraction that ran out of time."""


class InlineExtractor:
    """Parsing and extraction in this process (an ingest worker): no page crosses a process boundary.

    The same interface as :class:`ExtractPool`. A pathological page is cut
    by SIGALRM after ``timeout_s`` (main thread only; the signal lands when
    the C code in hand returns to Python) instead of by restarting a pool.
    """

    workers = 1

    def __init__(self, timeout_s: float = EXTRACT_TIMEOUT_S) -> None:
        self._timeout_s = timeout_s
        # Per function run here (extract_page, parse_feed): CPU seconds and
        # calls, so the worker's last log line tells extraction apart from the
        # rest of its work (bench_pipeline.py reads it, issue 9 #4).
        self.cpu: dict[str, list[float]] = {}
        self._alarm = threading.current_thread() is threading.main_thread()
        if self._alarm:
            signal.signal(signal.SIGALRM, _overrun)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        started = time.thread_time()
        try:
            return self._run(function, *args)
        finally:
            spent = self.cpu.setdefault(function.__name__, [0.0, 0])
            spent[0] += time.thread_time() - started
            spent[1] += 1

    def _run(self, function: Callable[..., T], *args: Any) -> T:
        if not self._alarm:
            return function(*args)
        signal.setitimer(signal.ITIMER_REAL, self._timeout_s)
        try:
            return function(*args)
        except _ExtractionOverrun as exc:
            log.error("%s took over %.0fs; abandoned", function.__name__, self._timeout_s)
            raise TransientError(f"{function.__name__} timed out after {self._timeout_s:.0f}s") from exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def shutdown(self) -> None:
        pass


def _overrun(_signum: int, _frame: Any) -> None:
    raise _ExtractionOverrun()


class ExtractPool:
    """The process pool for CPU-bound work (feed parsing, page extraction).

    forkserver, not fork: the parent has threads (Kafka's sender, asyncio's
    resolver) that fork would copy mid-lock. A call that outlives
    ``timeout_s`` (a pathological page) or a worker killed by the OS breaks
    the pool: the workers are stopped, a new pool replaces it, and the items
    in hand fail with a TransientError (their entries go out feed-only).
    """

    def __init__(self, workers: int, timeout_s: float = EXTRACT_TIMEOUT_S) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._timeout_s = timeout_s
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["ingest.lifeline", "ingest.extract", "ingest.feeds"])
        # The lifeline: only this process holds the writing end, each worker
        # watches the reading end (issue 8 #6).
        self._lifeline, self._lifeline_writer = self._context.Pipe(duplex=False)
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=self._context,
            initializer=die_with_parent, initargs=(self._lifeline,),
        )
        # Start the workers now, while the broker and database connections are
        # being made, instead of when the first page arrives.
        for _ in range(self.workers):
            executor.submit(os.getpid)
        return executor

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        executor = self._executor
        try:
            return await asyncio.wait_for(loop.run_in_executor(executor, function, *args), self._timeout_s)
        except TimeoutError as exc:
            log.error("%s took over %.0fs; restarting the extraction pool", function.__name__, self._timeout_s)
            self._replace(executor)
            raise TransientError(f"{function.__name__} timed out after {self._timeout_s:.0f}s") from exc
        except BrokenProcessPool as exc:
            log.error("an extraction worker died; restarting the extraction pool")
            self._replace(executor)
            raise TransientError("extraction worker died") from exc

    def _replace(self, executor: ProcessPoolExecutor) -> None:
        if executor is not self._executor:
            return  # another failure already replaced it
        self._executor = self._new_executor()
        # concurrent.futures (before 3.14) cannot stop a busy worker; a stuck
        # one must be terminated or it would hold a core for ever.
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._lifeline_writer.close()
        self._lifeline.close()
