"""What an HTTP answer means for a fetch: status classes and the headers that steer them.

Errors are classified here, once, into :class:`~newsflow.errors.TransientError`
(5xx, 408/425/429, a 304 nobody asked for: retry later, honouring a sane
Retry-After) and :class:`~newsflow.errors.PermanentError` (other 4xx, a
redirect without a Location, stacked or unknown content codings).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from newsflow.errors import PermanentError, TransientError

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRYABLE_4XX = frozenset({408, 425, 429})


class RetryLater(TransientError):
    """A transient HTTP status; ``retry_after_s`` is the server's Retry-After, if any."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def classify_status(status: int, headers: Mapping[str, str], conditional: bool) -> None:
    """Raise the error a non-success status means; return for 2xx and a proper 304."""
    if 200 <= status < 300:
        return
    if status == 304:
        if conditional:
            return
        # RFC 9110 §15.4.5: 304 only answers a conditional request.
        raise TransientError("HTTP 304 to an unconditional request")
    if status in _RETRYABLE_4XX or status >= 500:
        raise RetryLater(f"HTTP {status}", parse_retry_after(headers.get("retry-after")))
    if status in REDIRECTS:
        raise PermanentError(f"HTTP {status} without a Location")
    raise PermanentError(f"HTTP {status}")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def content_encoding(headers: Mapping[str, str]) -> str | None:
    """The one content coding to undo, or None; stacked or unknown codings are refused."""
    codings = [c.strip().lower() for c in headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > 1:
        raise PermanentError(f"refused stacked content encodings {', '.join(codings)}")
    if not codings:
        return None
    if codings[0] in ("gzip", "x-gzip"):
        return "gzip"
    if codings[0] == "deflate":
        return "deflate"
    raise PermanentError(f"unsupported content encoding {codings[0]!r}")
