"""Article extraction with trafilatura, from HTML text and from page bytes."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.extract import extract_article, extract_page, html_language, split_authors
from seeds import seed_article_text

SEED_TEXT = seed_article_text()


def seed_page() -> str:
    paragraphs = [p for p in SEED_TEXT.split("\n\n") if p.strip()]
    body = "".join(f"<p>{p.strip()}</p>" for p in paragraphs if not p.startswith(" date"))
    return (
        "<!DOCTYPE html><html lang='en-US'><head><meta charset='utf-8'>"
        "<title>Diamond sales are rising | Business Insider</title>"
        "<meta name='author' content='Jane Doe; John Roe'>"
        "<meta property='og:site_name' content='Business Insider'>"
        "<meta property='article:published_time' content='2023-12-18T10:00:00Z'></head><body>"
        "<nav><a href='/'>Home</a><a href='/markets'>Markets</a><a href='/tech'>Tech</a></nav>"
        "<aside><h3>Trending</h3><ul><li><a href='/a'>Something else entirely</a></li></ul></aside>"
        f"<article><h1>Diamond sales are rising</h1>{body}</article>"
        "<footer><p>Copyright 2023 Insider Inc. All rights reserved.</p></footer></body></html>"
    )


def test_extracts_the_seed_article_body_and_metadata() -> None:
    page = extract_article(seed_page(), "https://www.businessinsider.com/diamond-sales")
    assert page.ok, page.error
    assert "Alrosa and De Beers both sold about $100 million" in page.text
    assert "India banned all imports" in page.text or "India banned" in page.text
    assert "Copyright 2023" not in page.text and "Trending" not in page.text
    assert "<p>" not in page.text
    assert page.title and "Diamond sales" in page.title
    assert page.site_name == "Business Insider"
    assert page.published_at == datetime(2023, 12, 18, tzinfo=UTC)
    assert page.language == "en"
    assert page.authors == ["Jane Doe", "John Roe"]


def test_without_the_date_search_the_page_yields_the_same_text_and_its_markup_date() -> None:
    # Ingest skips htmldate's search of the text when the feed entry has a date of its own.
    searched = extract_article(seed_page(), "https://www.businessinsider.com/diamond-sales")
    marked = extract_article(seed_page(), "https://www.businessinsider.com/diamond-sales", search_date=False)
    assert marked.ok, marked.error
    assert marked.text == searched.text and marked.title == searched.title and marked.authors == searched.authors
    assert marked.published_at == datetime(2023, 12, 18, tzinfo=UTC)


def test_nothing_to_extract_is_an_error_result_not_an_exception() -> None:
    for html in ("", "<html></html>", "<html><body><nav>menu</nav></body></html>", "\x00\x00", "<" * 10_000):
        page = extract_article(html, "https://e.com/")
        assert not page.ok and page.text == "" and page.error


def test_extract_page_decodes_bytes_first() -> None:
    html = seed_page().replace("charset='utf-8'", "charset='windows-1252'").replace("$100", "€100")
    page = extract_page(html.encode("cp1252"), "text/html", "https://e.com/x")
    assert page.ok and "€100 million" in page.text


def test_text_is_cleaned_of_nul_and_surrogates() -> None:
    html = seed_page().replace("Alrosa and De Beers", "Alrosa\x00 and De Beers\ud800")
    page = extract_article(html, "https://e.com/x")
    assert page.ok and "\x00" not in page.text and "\ud800" not in page.text


def test_helpers() -> None:
    assert split_authors("A; B ;A;  ") == ["A", "B"]
    assert split_authors(None) == []
    assert html_language("<html lang='pt_BR'>") == "pt"
    assert html_language("<html>") is None
