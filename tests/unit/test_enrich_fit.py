"""enrich.fit: an enriched article always fits the topic, and says what was trimmed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from enrich.fit import SENTENCE_CAP, TooLarge, fit
from newsflow.models import EnrichedArticle, Event, Tags, encode
from tests.factories import raw_article


def _enriched(text: str, events: int = 0, sentence: str = "Alrosa halted sales.") -> EnrichedArticle:
    tags = Tags(events=[Event(actor="Alrosa", action="sales_halt", sentence=sentence, start=0, end=5)] * events)
    return EnrichedArticle(
        article=raw_article(1, text=text), tags=tags, tagger_version="t", enriched_at=datetime(2024, 1, 1, tzinfo=UTC)
    )


def test_an_article_that_fits_is_unchanged():
    enriched = _enriched("short text", events=2)
    assert fit(enriched, 1_000_000) is enriched


def test_long_event_sentences_are_capped_first():
    long_sentence = "x" * 50_000
    enriched = _enriched("short", events=10, sentence=long_sentence)
    fitted = fit(enriched, 100_000)
    assert fitted.truncated_fields == ["tags.events.sentence"]
    assert all(len(e.sentence) == SENTENCE_CAP for e in fitted.tags.events)
    assert len(fitted.tags.events) == 10 and fitted.article.text == "short"


@pytest.mark.parametrize("char", ["a", "é", "\u2028", "\x01"])  # JSON escapes some characters: 1 to 6 bytes
def test_text_is_cut_to_the_budget_whatever_its_encoding(char):
    enriched = _enriched(char * 300_000, events=3)
    fitted = fit(enriched, 100_000)
    assert len(encode(fitted)) <= 100_000
    assert fitted.truncated_fields == ["text"]
    assert fitted.article.text and enriched.article.text.startswith(fitted.article.text)
    assert len(fitted.tags.events) == 3


def test_events_go_last_and_too_large_raises_when_nothing_is_left_to_trim():
    enriched = _enriched("t" * 1000, events=2000)
    fitted = fit(enriched, 50_000)
    assert len(encode(fitted)) <= 50_000
    assert "tags.events" in fitted.truncated_fields and "text" in fitted.truncated_fields
    assert 0 < len(fitted.tags.events) < 2000
    with pytest.raises(TooLarge):
        fit(enriched, 500)
