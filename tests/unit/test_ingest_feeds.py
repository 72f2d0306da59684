"""Feed parsing from bytes: RSS 0.91/1.0/2.0, Atom 1.0, JSON Feed 1.0/1.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ingest.feeds import parse_feed, safe_link
from newsflow.errors import PermanentError

URL = "https://news.example.com/feeds/main.xml"

RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="0.91"><channel><title>Old &amp; Gold</title><link>https://news.example.com/</link>
<item><title>Caf\xe9 prices</title><link>https://news.example.com/a/1</link>
<description>Coffee &lt;b&gt;rose&lt;/b&gt;.</description></item>
</channel></rss>"""

RSS10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://news.example.com/"><title>RDF News</title></channel>
  <item rdf:about="https://news.example.com/r/1">
    <title>Copper output cut</title><link>https://news.example.com/r/1</link>
    <description>Codelco cut output.</description>
    <dc:creator>Ana Silva</dc:creator><dc:date>2023-12-18T09:30:00Z</dc:date>
  </item>
</rdf:RDF>"""

RSS20 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Market <i>News</i></title>
<item>
  <title>Alrosa halts sales</title>
  <link>/2023/12/alrosa?utm_source=rss</link>
  <guid isPermaLink="false">alrosa-2023-12</guid>
  <pubDate>Mon, 18 Dec 2023 10:00:00 +0100</pubDate>
  <dc:creator>Jane Doe</dc:creator>
  <description><![CDATA[<p>Alrosa <b>halted</b> sales.</p><script>alert(1)</script>]]></description>
</item>
<item>
  <title>No guid here</title>
  <link>https://news.example.com/2023/12/no-guid#comments</link>
  <content:encoded><![CDATA[<p>Only content.</p>]]></content:encoded>
</item>
<item><title>No link, no guid</title><description>Text only.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example.com/atom/">
  <title type="html">Atom &lt;em&gt;News&lt;/em&gt;</title>
  <entry>
    <id>tag:news.example.com,2023:1</id>
    <title type="html">India &lt;b&gt;bans&lt;/b&gt; imports</title>
    <link rel="alternate" href="story/1"/>
    <updated>2023-12-18T12:00:00Z</updated>
    <published>2023-12-18T11:00:00Z</published>
    <author><name>Raj Patel</name></author>
    <author><name>Li Wei</name></author>
    <summary>India banned diamond imports.</summary>
  </entry>
</feed>"""


def test_rss_091_legacy_encoding() -> None:
    feed = parse_feed(URL, RSS091, "application/rss+xml")
    assert feed.title == "Old & Gold" and feed.format == "rss091u"
    [entry] = feed.entries
    assert entry.title == "Café prices"
    assert entry.summary == "Coffee rose."
    assert entry.link == entry.entry_id == "https://news.example.com/a/1"


def test_rss_10_rdf() -> None:
    feed = parse_feed(URL, RSS10)
    assert feed.format == "rss10"
    [entry] = feed.entries
    assert (entry.title, entry.link, entry.authors) == ("Copper output cut", "https://news.example.com/r/1", ["Ana Silva"])
    assert entry.published_at == datetime(2023, 12, 18, 9, 30, tzinfo=UTC)


def test_rss_20() -> None:
    feed = parse_feed(URL, RSS20)
    assert feed.format == "rss20" and feed.title == "Market News"
    first, second, third = feed.entries
    assert first.entry_id == "alrosa-2023-12"
    assert first.link == "https://news.example.com/2023/12/alrosa?utm_source=rss"  # relative link resolved
    assert first.summary == "Alrosa halted sales."  # text, script dropped
    assert first.published_at == datetime(2023, 12, 18, 9, 0, tzinfo=UTC)
    assert first.authors == ["Jane Doe"]
    assert second.entry_id == "https://news.example.com/2023/12/no-guid"  # canonical link
    assert second.summary == "Only content."
    assert third.link is None and third.entry_id.startswith("sha256:")


def test_atom() -> None:
    feed = parse_feed(URL, ATOM, "application/atom+xml")
    assert feed.format == "atom10" and feed.title == "Atom News"
    [entry] = feed.entries
    assert entry.entry_id == "tag:news.example.com,2023:1"
    assert entry.title == "India bans imports"
    assert entry.link == "https://news.example.com/atom/story/1"
    assert entry.authors == ["Raj Patel", "Li Wei"]
    assert entry.published_at == datetime(2023, 12, 18, 11, 0, tzinfo=UTC)


def _json_feed(version: str, items: list[dict]) -> bytes:
    return json.dumps({"version": version, "title": "JSON News", "items": items}).encode()


def test_json_feed_11() -> None:
    body = _json_feed(
        "https://jsonfeed.org/version/1.1",
        [
            {
                "id": "1", "url": "https://news.example.com/j/1", "title": "De Beers <i>defers</i>",
                "content_html": "<p>Buyers may defer.</p>", "date_published": "2023-12-18T08:00:00+01:00",
                "authors": [{"name": "Sam Lee"}],
            },
            {"id": 2, "external_url": "/j/2", "content_text": "Plain text."},
            {"id": True, "title": "no usable id or link", "url": "javascript:alert(1)"},
            "not an object",
        ],
    )
    feed = parse_feed(URL, body, "application/feed+json")
    assert feed.format == "json11" and feed.title == "JSON News"
    first, second, third = feed.entries
    assert (first.entry_id, first.title, first.summary) == ("1", "De Beers defers", "Buyers may defer.")
    assert first.published_at == datetime(2023, 12, 18, 7, 0, tzinfo=UTC)
    assert first.authors == ["Sam Lee"]
    assert (second.entry_id, second.link, second.summary) == ("2", "https://news.example.com/j/2", "Plain text.")
    assert third.link is None and third.entry_id.startswith("sha256:")


def test_json_feed_10_single_author_and_sniffed_without_content_type() -> None:
    body = _json_feed("https://jsonfeed.org/version/1", [{"id": "a", "url": "https://e.com/1", "author": {"name": "Old"}}])
    feed = parse_feed(URL, b"\n " + body)
    assert feed.format == "json1" and feed.entries[0].authors == ["Old"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"version": "1.0", "items": []}', b'{"version": "https://jsonfeed.org/version/1.1"}', b"[1, 2]",
     b"[" * 100_000],
)
def test_bad_json_feeds_are_feed_errors(body: bytes) -> None:
    with pytest.raises(PermanentError):
        parse_feed(URL, body, "application/json")


def test_empty_but_valid_feed_has_no_entries() -> None:
    feed = parse_feed(URL, b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>")
    assert feed.entries == []


def test_duplicate_guids_are_kept_for_the_caller_to_dedupe() -> None:
    item = b"<item><guid>same</guid><title>x</title></item>"
    feed = parse_feed(URL, b"<rss version='2.0'><channel>" + item * 2 + b"</channel></rss>")
    first, second = feed.entries
    assert first.entry_id == second.entry_id


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://e.com/a", "https://e.com/a"),
        ("/rel", "https://news.example.com/rel"),
        ("javascript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        (" JAVASCRIPT:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("file:///etc/passwd", None),
        ("ftp://e.com/x", None),
        ("http://", None),
        ("http://e.com:99999/", None),
        ("https://e.com/" + "a" * 5000, None),
        (None, None),
        (42, None),
    ],
)
def test_safe_link(link: object, expected: str | None) -> None:
    assert safe_link(link, URL) == expected
