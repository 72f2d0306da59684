"""Make an enriched article fit the topic's largest message.

Tags can make an article much larger than its text: every event carries its
sentence, so a long text without sentence breaks repeats itself once per event
(a 1.1 MB article became an 8.97 MB message). When the encoded article is over
the budget, fields are trimmed in this order until it fits, and each trimmed
field is named in ``truncated_fields``:

1. ``tags.events.sentence``: each event's sentence cut to ``SENTENCE_CAP``;
2. ``text``, ``summary``, ``title``: cut by what is still over;
3. ``tags.events``: the last events dropped.

If even that does not fit, :class:`TooLarge` is raised and the record is
dead-lettered.
"""

from __future__ import annotations

from collections.abc import Callable

from newsflow.models import EnrichedArticle, encode

SENTENCE_CAP = 1000


class TooLarge(ValueError):
    """The enriched article does not fit the topic even with its text fields trimmed."""


def fit(enriched: EnrichedArticle, budget: int) -> EnrichedArticle:
    """``enriched`` unchanged if it fits in ``budget`` bytes, else a trimmed copy."""
    size = len(encode(enriched))
    if size <= budget:
        return enriched
    steps: list[tuple[str, Callable[[EnrichedArticle, int], EnrichedArticle]]] = [
        ("tags.events.sentence", _cap_sentences),
        ("text", _cutter("text")),
        ("summary", _cutter("summary")),
        ("title", _cutter("title")),
        ("tags.events", _drop_events),
    ]
    truncated = list(enriched.truncated_fields)
    for name, step in steps:
        trimmed = step(enriched, size - budget)
        if trimmed is enriched:
            continue
        enriched = trimmed
        if name not in truncated:
            truncated.append(name)
        size = len(encode(enriched.model_copy(update={"truncated_fields": truncated})))
        if size <= budget:
            return enriched.model_copy(update={"truncated_fields": truncated})
    raise TooLarge(f"enriched article is {size} bytes after trimming; the topic takes {budget}")


def _cap_sentences(enriched: EnrichedArticle, _over: int) -> EnrichedArticle:
    events = enriched.tags.events
    if all(len(e.sentence) <= SENTENCE_CAP for e in events):
        return enriched
    capped = [
        e if len(e.sentence) <= SENTENCE_CAP else e.model_copy(update={"sentence": e.sentence[:SENTENCE_CAP]})
        for e in events
    ]
    return enriched.model_copy(update={"tags": enriched.tags.model_copy(update={"events": capped})})


def _cutter(field: str) -> Callable[[EnrichedArticle, int], EnrichedArticle]:
    def cut(enriched: EnrichedArticle, over: int) -> EnrichedArticle:
        value = getattr(enriched.article, field) or ""
        if not value:
            return enriched
        shorter = _shorten(value, over)
        article = enriched.article.model_copy(update={field: shorter})
        return enriched.model_copy(update={"article": article})

    return cut


def _shorten(value: str, over: int) -> str:
    """``value`` cut by at least ``over`` bytes as encoded, with a little room for the list of names."""
    encoded = encode_len(value)
    keep = encoded - over - 256
    if keep <= 0:
        return ""
    # Cut on UTF-8 bytes, then shrink while JSON escaping still makes it too long.
    shorter = value.encode("utf-8")[:keep].decode("utf-8", "ignore")
    while shorter and encode_len(shorter) > keep:
        shorter = shorter[: len(shorter) * 9 // 10]
    return shorter


def encode_len(value: str) -> int:
    from pydantic_core import to_json

    return len(to_json(value))


def _drop_events(enriched: EnrichedArticle, over: int) -> EnrichedArticle:
    events = list(enriched.tags.events)
    if not events:
        return enriched
    freed = 0
    while events and freed < over + 256:
        freed += len(encode(events.pop()))
    return enriched.model_copy(update={"tags": enriched.tags.model_copy(update={"events": events})})
