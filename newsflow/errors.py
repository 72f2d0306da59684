"""One exception hierarchy for the whole pipeline.

Stages classify failures once, at their boundary, into *transient* (retry with
backoff) and *permanent* (record it, dead-letter it, move on).
"""

from __future__ import annotations


class NewsflowError(Exception):
    """Base class of every error newsflow raises on purpose."""


class TransientError(NewsflowError):
    """Worth retrying later: timeouts, connection resets, 5xx, broker unavailable."""


class PermanentError(NewsflowError):
    """Retrying will not help: malformed input, refused address, 4xx, oversized body."""


class DecodeError(PermanentError):
    """A Kafka record that cannot be decoded or validated as a newsflow message.

    Keeps the raw bytes so the dead-letter record carries exactly what arrived.
    """

    def __init__(self, message: str, raw: bytes | None) -> None:
        super().__init__(message)
        self.raw = raw


class ConfigError(NewsflowError):
    """The configuration (settings or feeds file) is invalid; raised at start-up."""
