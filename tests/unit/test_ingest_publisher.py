"""Building RawArticles from an entry and its page (no broker needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.extract import ExtractedPage
from ingest.feeds import FeedEntry
from ingest.publisher import FeedRef, article_identity, build_article
from newsflow.models import RawArticle, article_id, decode, encode

NOW = datetime(2023, 12, 18, 12, tzinfo=UTC)
FEED = FeedRef("https://news.example.com/feed.xml", "Example")
ENTRY = FeedEntry(
    entry_id="guid-1",
    link="https://News.Example.com/story?utm_source=rss&id=3",
    title="Feed title",
    summary="Feed summary.",
    published_at=datetime(2023, 12, 18, 9, 30, tzinfo=UTC),
    authors=["Feed Author"],
)


def test_page_article_prefers_page_text_and_feed_time() -> None:
    page = ExtractedPage(
        title="Page title", text="Page text.", authors=["Page Author"],
        published_at=datetime(2023, 12, 18, tzinfo=UTC), site_name="Example News", language="en",
    )
    article = build_article(FEED, ENTRY, page, None, NOW, 4 << 20)
    assert article.extraction == "page" and article.extraction_error is None
    assert (article.title, article.text, article.authors) == ("Page title", "Page text.", ["Page Author"])
    assert article.published_at == ENTRY.published_at  # has a time of day
    assert article.canonical_url == "https://news.example.com/story?id=3"
    assert article.id == article_id(article.canonical_url)
    assert article.url == ENTRY.link and article.summary == "Feed summary."
    assert decode(RawArticle, encode(article)) == article


def test_feed_only_article_when_the_page_failed() -> None:
    article = build_article(FEED, ENTRY, None, "PermanentError: HTTP 404", NOW, 4 << 20)
    assert article.extraction == "feed_only" and article.extraction_error == "PermanentError: HTTP 404"
    assert (article.title, article.text, article.authors) == ("Feed title", "Feed summary.", ["Feed Author"])


def test_entry_without_link_gets_a_stable_id_of_its_own() -> None:
    entry = FeedEntry("sha256:abc", None, "t", "s", None)
    first, second = article_identity(FEED.url, entry), article_identity(FEED.url, entry)
    assert first == second and first[0].endswith("#entry=sha256:abc")
    other = article_identity("https://other.example.com/feed", entry)
    assert other[1] != first[1]
    article = build_article(FEED, entry, None, "entry has no link", NOW, 4 << 20)
    assert article.url == FEED.url and article.extraction == "feed_only"


def test_huge_text_is_cut_to_fit_the_topic() -> None:
    page = ExtractedPage(title="t", text="é" * 3_000_000)
    article = build_article(FEED, ENTRY, page, None, NOW, 1 << 20)
    assert len(encode(article)) <= 1 << 20
    assert article.text.startswith("é") and article.extraction == "page"
