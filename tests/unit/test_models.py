"""Message models: round trips, and every kind of bad Kafka value is one typed error."""

from __future__ import annotations

import json

import pytest

from newsflow.errors import DecodeError
from newsflow.models import EnrichedArticle, RawArticle, Tags, article_id, decode, encode
from tests.factories import raw_article


def test_raw_article_round_trips():
    article = raw_article(3)
    assert decode(RawArticle, encode(article)) == article


def test_article_id_is_stable_and_short():
    assert article_id("https://a.example/x") == article_id("https://a.example/x")
    assert article_id("https://a.example/x") != article_id("https://a.example/y")
    assert len(article_id("https://a.example/x")) == 32


BAD_VALUES = [
    pytest.param(b'"\\ud800"', id="lone-surrogate-string"),
    pytest.param(json.dumps({"id": "a\u0000b"}).encode(), id="nul-in-wrong-schema"),
    pytest.param(b"\xff\xfe", id="raw-ff-fe"),
    pytest.param(b'{"schema_version": 1, "id": "abc", "url": "htt', id="truncated-json"),
    pytest.param(b"", id="empty"),
    pytest.param(None, id="tombstone"),
    pytest.param(b"[1, 2, 3]", id="not-an-object"),
]


@pytest.mark.parametrize("value", BAD_VALUES)
def test_bad_values_raise_decode_error_with_raw_bytes(value):
    with pytest.raises(DecodeError) as caught:
        decode(RawArticle, value)
    assert caught.value.raw == value


def test_wrong_schema_version_is_rejected():
    value = json.loads(encode(raw_article(1)))
    value["schema_version"] = 2
    with pytest.raises(DecodeError, match="schema_version"):
        decode(RawArticle, json.dumps(value).encode())


def test_lone_surrogate_inside_a_valid_article_is_rejected_or_kept_as_text():
    value = encode(raw_article(1)).replace(b'"Story 1"', b'"Story \\ud800"')
    try:
        decoded = decode(RawArticle, value)
    except DecodeError:
        return
    # If the JSON parser accepts it, the text must still be a str the sink can clean.
    assert isinstance(decoded.title, str)


def test_enriched_article_round_trips():
    enriched = EnrichedArticle(
        article=raw_article(1), tags=Tags(), tagger_version="t", enriched_at=raw_article(1).fetched_at
    )
    assert decode(EnrichedArticle, encode(enriched)) == enriched
