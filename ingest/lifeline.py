"""Pool workers that die with the ingest process (issue 8 #6).

Imported by the extraction pool's workers: kept small, so a worker does not
load the service's Kafka, Postgres and HTTP modules.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection


def die_with_parent(lifeline: Connection) -> None:
    """Make this pool worker exit when the ingest process dies, even by SIGKILL (issue 8 #6).

    A worker's parent is the forkserver, which itself lives as long as any
    worker does, and a worker blocked on the task queue never notices that the
    process feeding it is gone: after a SIGKILL the forkserver, the workers and
    the resource tracker lived on under PID 1. So each worker watches a pipe
    whose only writer is the ingest process: when the kernel closes it, the
    read sees end-of-file and the worker exits, and with the workers gone the
    forkserver and the resource tracker exit on their own. On Linux the worker
    also asks for SIGKILL when its parent, the forkserver, dies.
    """
    _kill_me_with_my_parent()
    threading.Thread(target=_exit_on_eof, args=(lifeline,), name="lifeline", daemon=True).start()


def _exit_on_eof(lifeline: Connection) -> None:
    try:
        while True:
            lifeline.recv_bytes()  # nothing is ever sent: this waits for end-of-file
    except (EOFError, OSError):
        os._exit(0)


_PR_SET_PDEATHSIG = 1


def _kill_me_with_my_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) on Linux; elsewhere the lifeline alone does it."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
