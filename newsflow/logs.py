"""Logging set-up: one format (text or JSON), secrets redacted, other people's loggers quiet.

kafka-python's admin client logs its whole configuration, SASL password
included, at DEBUG; a redacting filter on the handler keeps any known secret
out of the output whatever level a user turns on.

Libraries log a lot at INFO (pgserver prints every initdb and pg_ctl command
with its output, kafka-python every connection, httpx every request URL, which
may carry a feed token): below DEBUG, only their warnings and errors get
through, and newsflow's own loggers speak at the chosen level (issue 10).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

REDACTED = "**********"
#: Top-level packages whose loggers are ours; everything else is third-party.
OWN_PACKAGES = frozenset({"newsflow", "commands", "devstack", "ingest", "enrich", "sinks", "webapp", "seeds", "__main__"})


class RedactingFilter(logging.Filter):
    """Replaces every known secret value in a formatted record."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self._secrets:
            redacted = redacted.replace(secret, REDACTED)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class ThirdPartyFilter(logging.Filter):
    """Lets a library's record through only from ``min_level`` up; ours always."""

    def __init__(self, min_level: int) -> None:
        super().__init__()
        self._min_level = min_level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self._min_level or is_own_logger(record.name)


def is_own_logger(name: str) -> bool:
    return name.split(".", 1)[0] in OWN_PACKAGES


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message``, ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), log_format: str = "text") -> None:
    """Send every log record to stderr in ``log_format``; libraries' below WARNING only at DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    handler.addFilter(ThirdPartyFilter(logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING))
    # Records kafka-python would only build to drop: skip building them.
    if root.level > logging.DEBUG:
        logging.getLogger("kafka").setLevel(logging.WARNING)
