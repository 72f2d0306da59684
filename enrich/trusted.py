"""Message models built from values the tagger computed itself.

pydantic validates every field when a model is built (5-20 µs each), and
``model_construct`` still walks every field in Python (~3 µs). The tagger
builds a few dozen models per article (events, times, amounts, producers)
from values it made and typed itself, and at the issue-3 target of 1,000
articles/s per core that is a noticeable share of the budget. ``trusted``
does exactly what ``model_construct`` does when every field is given, and
nothing else: callers must pass every field, already of the right type
(tests/unit/test_tagger.py checks the result equals a validated model).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


def trusted(cls: type[M], values: dict) -> M:
    """``cls`` with ``values`` as its fields, without validation (every field given)."""
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model
