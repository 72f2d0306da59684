"""Ingest workers (issue 9 #1): processes that each poll, fetch, decode, extract and publish.

With ``ingest_workers: N`` (N >= 1), ``newsflow ingest`` supervises N worker
processes instead of polling itself. Each worker is a poller of its own
(``ingest/scheduler.py``): the database hands out the feed polls, as leases,
and the pages of every poll, one by one, to any worker (``ingest/pagejobs.py``);
a worker fetches, decodes, extracts and publishes each page it takes in its own
process, so no page's HTML crosses a process boundary (the single-process mode
ships each page to its extraction pool).
The per-host cap holds across the workers through shared memory
(``ingest/hostslots.py``); the fetch limits are per request, so they hold in
each worker as they are.

The supervisor restarts a worker that dies, giving back the host slots it
held; its feeds come back through their leases. On a stop it sends SIGTERM to
the workers, which finish their polls in hand, and waits for them.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnProcess

from ingest.hostslots import SharedHostSlots
from newsflow.backoff import backoff
from newsflow.lifecycle import Stopper
from newsflow.settings import Settings

log = logging.getLogger(__name__)

# A worker that dies sooner than this after its start counts as crash-looping:
# its restarts are spaced out by a growing backoff.
_HEALTHY_AFTER_S = 10.0
# How long stopped workers get to finish their polls in hand before they are killed.
_STOP_GRACE_S = 60.0


def run_workers(settings: Settings, stopper: Stopper) -> None:
    """Supervise ``settings.ingest_workers`` worker processes until ``stopper`` is stopped."""
    context = multiprocessing.get_context("spawn")  # no copied locks or threads, and no inherited sockets
    slots = SharedHostSlots(context, settings.ingest_workers, settings.fetch.per_host_concurrency)
    # The workers exit when this pipe closes: when the supervisor dies, even by SIGKILL.
    lifeline, lifeline_writer = context.Pipe(duplex=False)
    workers: dict[int, SpawnProcess] = {}
    crashes: dict[int, int] = {}
    try:
        for index in range(settings.ingest_workers):
            workers[index] = _start(context, settings, slots, lifeline, index)
        log.info("ingest: %d workers started (pids %s)", len(workers), ", ".join(str(w.pid) for w in workers.values()))
        while not stopper.stopped:
            by_sentinel = {worker.sentinel: index for index, worker in workers.items()}
            for sentinel in wait(list(by_sentinel), timeout=1.0):
                index = by_sentinel[sentinel]
                crashes[index] = _restart_pause(workers[index], crashes.get(index, 0))
                freed = slots.reclaim(index)
                log.error("ingest worker %d (pid %s) exited with code %s; %d host slot(s) given back; restarting",
                          index, workers[index].pid, workers[index].exitcode, freed)
                if crashes[index] and stopper.wait(backoff(crashes[index], 1.0, 60.0)):
                    break
                workers[index] = _start(context, settings, slots, lifeline, index)
    finally:
        _stop(workers)
        lifeline_writer.close()
        lifeline.close()


def _restart_pause(worker: SpawnProcess, crashes: int) -> int:
    """Crashes in a row: reset once a worker had lived a while."""
    worker.join()
    lived = time.monotonic() - getattr(worker, "_newsflow_started", 0.0)
    return 0 if lived >= _HEALTHY_AFTER_S else crashes + 1


def _start(
    context: multiprocessing.context.SpawnContext, settings: Settings, slots: SharedHostSlots,
    lifeline: Connection, index: int,
) -> SpawnProcess:
    worker = context.Process(
        target=worker_main, args=(settings, slots, lifeline, index), name=f"ingest-worker-{index}", daemon=False
    )
    worker.start()
    worker._newsflow_started = time.monotonic()  # type: ignore[attr-defined]
    return worker


def _stop(workers: dict[int, SpawnProcess]) -> None:
    """SIGTERM every worker (each finishes its polls in hand), then wait; kill what outlives the grace."""
    for worker in workers.values():
        if worker.is_alive():
            worker.terminate()
    deadline = time.monotonic() + _STOP_GRACE_S
    for index, worker in workers.items():
        worker.join(max(0.0, deadline - time.monotonic()))
        if worker.is_alive():
            log.error("ingest worker %d (pid %s) did not stop within %.0fs; killing it", index, worker.pid, _STOP_GRACE_S)
            worker.kill()
            worker.join()


def worker_main(settings: Settings, slots: SharedHostSlots, lifeline: Connection, index: int) -> None:
    """A worker process: its own poller, fetcher, extraction and producer."""
    from ingest.lifeline import die_with_parent
    from ingest.service import run_ingest_worker
    from newsflow.logs import configure_logging

    die_with_parent(lifeline)
    configure_logging(settings.log_level, settings.secret_values())
    stopper = Stopper()
    stopper.install_signal_handlers()
    # Ctrl-C reaches the whole process group; the supervisor's SIGTERM is the one stop that counts.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    run_ingest_worker(settings, stopper, slots.for_worker(index))
