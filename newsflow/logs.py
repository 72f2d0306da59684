"""Logging set-up: one format, and secrets redacted from every line.

kafka-python's admin client logs its whole configuration, SASL password
included, at DEBUG; a redacting filter on the handler keeps any known secret
out of the output whatever level a user turns on.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

REDACTED = "**********"


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


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # kafka-python is chatty at INFO about every connection; keep it to warnings
    # unless the user asked for DEBUG.
    if root.level > logging.DEBUG:
        logging.getLogger("kafka").setLevel(logging.WARNING)
