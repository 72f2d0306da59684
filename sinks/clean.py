"""Make values safe for Postgres, recording what had to change.

Strangers write the text we store (docs/bad-inputs.md). Postgres refuses a
NUL in ``text`` (psycopg raises ``DataError``), psycopg cannot encode a lone
surrogate (it raises ``UnicodeEncodeError``, which is *not* a ``psycopg.Error``),
a btree index entry above ~2.7 kB fails the whole statement, and ``NaN`` has no
place in an analyst's ``sum()``. Everything here is a pure function; a
:class:`Cleaner` collects the names of the fields it truncated so the row can
say so (``articles.truncated_fields``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

NUL = "\x00"

# Byte limits (UTF-8) per kind of field. Names are indexed, and a btree entry
# must stay well under Postgres' ~2704-byte limit; prose fields are capped so
# that one article cannot balloon a batch.
TEXT_LIMIT = 1_000_000
SUMMARY_LIMIT = 64 * 1024
TITLE_LIMIT = 2 * 1024
URL_LIMIT = 8 * 1024
SENTENCE_LIMIT = 8 * 1024
NAME_LIMIT = 512
SHORT_LIMIT = 1024

# Item limits for lists (a feed can carry 10,000 categories, bad-inputs #18).
AUTHORS_LIMIT = 100
TAGS_LIMIT = 2_000
EVENTS_LIMIT = 5_000

INT4_MAX = 2**31 - 1

_SURROGATE = re.compile("[\ud800-\udfff]")


def strip_nul(value: str) -> str:
    return value.replace(NUL, "") if NUL in value else value


def replace_lone_surrogates(value: str) -> str:
    """Replace unpaired UTF-16 surrogates with U+FFFD; join a split pair into its character."""
    if not _SURROGATE.search(value):
        return value
    # Round-tripping through UTF-16 joins a high+low pair and turns a lone
    # half into U+FFFD, which plain UTF-8 "replace" would not distinguish.
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def cap_utf8(value: str, limit: int) -> tuple[str, bool]:
    """Cut ``value`` to at most ``limit`` UTF-8 bytes on a character boundary."""
    if len(value) * 4 <= limit:  # no character is longer than 4 bytes
        return value, False
    encoded = value.encode("utf-8")
    if len(encoded) <= limit:
        return value, False
    return encoded[:limit].decode("utf-8", "ignore"), True


def safe_text(value: str) -> str:
    """Text Postgres and psycopg will accept: no NUL, no lone surrogate."""
    if value.isascii():  # O(1) in CPython; the common case
        return strip_nul(value)
    return replace_lone_surrogates(strip_nul(value))


def finite(value: float | None) -> float | None:
    """``None`` for NaN and infinities (valid JSON to pydantic, useless in SQL aggregates)."""
    if value is None or math.isfinite(value):
        return value
    return None


def aware(value: datetime | None) -> datetime | None:
    """A timezone-aware datetime; a naive one is taken to be UTC, not the server's zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def clamp_int(value: int, low: int = 0, high: int = INT4_MAX) -> int:
    return min(max(value, low), high)


class Cleaner:
    """Cleans the fields of one article and remembers which were truncated."""

    def __init__(self) -> None:
        self._truncated: set[str] = set()

    @property
    def truncated(self) -> list[str]:
        return sorted(self._truncated)

    def text(self, value: str, field: str, limit: int) -> str:
        capped, cut = cap_utf8(safe_text(value), limit)
        if cut:
            self._truncated.add(field)
        return capped

    def optional(self, value: str | None, field: str, limit: int) -> str | None:
        return None if value is None else self.text(value, field, limit)

    def texts(self, values: list[str], field: str, limit: int, max_items: int) -> list[str]:
        """Clean, drop empties and duplicates (keeping first-seen order), cap the count."""
        unique = list(dict.fromkeys(v for v in (self.text(x, field, limit) for x in values) if v))
        return self.items(unique, field, max_items)

    def items(self, values: list, field: str, max_items: int) -> list:
        if len(values) > max_items:
            self._truncated.add(field)
            return values[:max_items]
        return values

    def offset(self, value: int, field: str) -> int:
        clamped = clamp_int(value)
        if clamped != value:
            self._truncated.add(field)
        return clamped
