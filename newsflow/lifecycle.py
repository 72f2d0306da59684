"""Stopping services cleanly.

On SIGTERM or SIGINT a service stops taking work, finishes the batch in hand,
flushes, commits and exits 0. Workers poll :class:`Stopper` between batches.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


class Stopper:
    """A stop request shared by the threads of one process."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    def stop(self, reason: str = "requested") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to ``timeout_s``; True if a stop was requested meanwhile."""
        return self._event.wait(timeout_s)

    def install_signal_handlers(self) -> None:
        """Turn SIGTERM/SIGINT into a stop request (main thread only)."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop(signal.Signals(signum).name)
