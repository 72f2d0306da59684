"""One bad character reference no longer rejects a whole feed (issue 8 #8)."""

from __future__ import annotations

import pytest

from ingest.feeds import parse_feed, replace_bad_char_refs

URL = "https://news.example.com/feed.xml"
BAD = ["&#xD800;", "&#xDFFF;", "&#x110000;", "&#99999999999;", "&#55296;", "&#0;", "&#x" + "f" * 40 + ";"]


def _feed(bad: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
        f"<item><guid isPermaLink='false'>urn:g1</guid><title>Gold {bad} up</title><link>https://e.com/1</link></item>"
        "<item><guid isPermaLink='false'>urn:g2</guid><title>Caf&#xE9; &#8364;5 &#x1F600;</title><link>https://e.com/2</link></item>"
        f"<item><guid isPermaLink='false'>urn:g3</guid><title>Copper</title><description>down {bad}{bad} again</description>"
        "<link>https://e.com/3</link></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("bad", BAD)
def test_bad_references_are_replaced_and_every_entry_is_kept(bad: str) -> None:
    parsed = parse_feed(URL, _feed(bad))
    assert [e.entry_id for e in parsed.entries] == ["urn:g1", "urn:g2", "urn:g3"]
    assert parsed.entries[0].title == "Gold \ufffd up"
    assert parsed.entries[1].title == "Caf\u00e9 \u20ac5 \U0001F600"  # good references untouched
    assert parsed.entries[2].summary == "down \ufffd\ufffd again"
    assert parsed.warnings == ("3 invalid character reference(s) replaced with U+FFFD",)


def test_a_clean_feed_has_no_warning() -> None:
    assert parse_feed(URL, _feed("")).warnings == ()


@pytest.mark.parametrize(
    ("raw", "repaired", "count"),
    [
        (b"a&#xD800;b", b"a&#xFFFD;b", 1),
        (b"&#x10FFFF;&#x110000;", b"&#x10FFFF;&#xFFFD;", 1),
        (b"&#65;&#x41;&#0065;", b"&#65;&#x41;&#0065;", 0),
        (b"&#1114111;&#1114112;", b"&#1114111;&#xFFFD;", 1),
        (b"&amp;#xD800; &lt;", b"&amp;#xD800; &lt;", 0),  # escaped text, not a reference
    ],
)
def test_replace_bad_char_refs(raw: bytes, repaired: bytes, count: int) -> None:
    assert replace_bad_char_refs(raw) == (repaired, count)
