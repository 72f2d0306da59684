"""Telling a poison record from a bad moment, and finding the poison in a batch.

A *poison* error comes from the data: retrying the same rows fails the same
way, so the record is dead-lettered and the sink moves on. A *transient* error
comes from the database or the network: the batch is retried, unchanged, after
a reconnect. Anything else is a bug in the sink and is allowed to stop it
loudly rather than dead-letter every record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import psycopg
from psycopg import errors as pg_errors

T = TypeVar("T")

_POISON: tuple[type[BaseException], ...] = (
    psycopg.DataError,  # e.g. NUL in text, value out of range
    psycopg.IntegrityError,  # a constraint the rows break
    pg_errors.ProgramLimitExceeded,  # e.g. an index entry too large
    ValueError,  # includes UnicodeEncodeError (lone surrogate), not a psycopg.Error
)


def is_poison(error: BaseException) -> bool:
    return isinstance(error, _POISON)


def is_transient(error: BaseException) -> bool:
    """Connection lost, server shutting down, deadlock, serialization failure, timeout."""
    if is_poison(error):  # ProgramLimitExceeded is an OperationalError too
        return False
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)


def isolate_poison(
    items: Sequence[T],
    attempt: Callable[[Sequence[T]], None],
    whole_failed: bool = False,
) -> tuple[list[T], list[tuple[T, BaseException]]]:
    """Write what can be written; return (written, [(poison item, its error)]).

    ``attempt`` writes a slice atomically (a savepoint) or raises. Bisection
    finds k poison items among n in about k*log2(n) attempts, so one bad record
    never costs the good ones beside it. Pass ``whole_failed`` when ``items``
    as a whole is already known to fail, to skip that attempt.
    """
    if not items:
        return [], []
    if not whole_failed:
        try:
            attempt(items)
            return list(items), []
        except Exception as exc:
            if not is_poison(exc):
                raise
            if len(items) == 1:
                return [], [(items[0], exc)]
    elif len(items) == 1:
        return _single(items[0], attempt)
    middle = len(items) // 2
    good_left, bad_left = isolate_poison(items[:middle], attempt)
    good_right, bad_right = isolate_poison(items[middle:], attempt)
    return good_left + good_right, bad_left + bad_right


def _single(item: T, attempt: Callable[[Sequence[T]], None]) -> tuple[list[T], list[tuple[T, BaseException]]]:
    """A lone item already known to fail: try once more to get its error to record."""
    return isolate_poison([item], attempt)
