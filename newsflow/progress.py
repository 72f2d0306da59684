"""Progress of a long operator command: a bar on a terminal, plain lines elsewhere.

On a TTY the bar is redrawn in place (``\\r``), at most a few times a second.
Anywhere else (a log file, cron, CI) a carriage-return bar would be one
endless line, so a plain line is printed every ``every_s`` seconds instead,
and a last one at the end.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_S = 0.2


class Progress:
    """Counts ``done`` out of ``total`` and shows it on ``stream`` (stderr by default)."""

    def __init__(
        self, label: str, total: int, done: int = 0, stream: TextIO | None = None, every_s: float = 5.0
    ) -> None:
        self.label, self.total, self.done = label, total, done
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._every_s = REDRAW_S if self._tty else every_s
        self._started = time.monotonic()
        self._start_done = done
        self._shown_at = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._shown_at >= self._every_s:
            self._show(now)

    def finish(self) -> None:
        self._show(time.monotonic())
        if self._tty:
            self._stream.write("\n")
        self._stream.flush()

    def _show(self, now: float) -> None:
        self._shown_at = now
        line = self.line(now - self._started)
        self._stream.write(f"\r{line}\033[K" if self._tty else f"{line}\n")
        self._stream.flush()

    def line(self, elapsed_s: float) -> str:
        """``label [#####.....] done/total pct rate ETA`` (the bar only on a TTY)."""
        # Articles stored while a retag runs can push done past the total counted at its start.
        share = min(1.0, self.done / self.total) if self.total else 1.0
        rate = (self.done - self._start_done) / elapsed_s if elapsed_s > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else None
        bar = ""
        if self._tty:
            filled = round(share * BAR_WIDTH)
            bar = "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "] "
        eta = f", about {left:.0f} s left" if left is not None and self.done < self.total else ""
        return f"{self.label}: {bar}{self.done}/{self.total} ({share:.0%}), {rate:.0f}/s{eta}"
