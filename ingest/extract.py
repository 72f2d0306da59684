"""Article extraction: the text and metadata of a page, with trafilatura.

Pure (HTML in, :class:`ExtractedPage` out) and picklable, so the service runs it
in a process pool: trafilatura is CPU-bound (~15 ms a page) and one process
would cap ingest at one core.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from trafilatura import bare_extraction
from trafilatura.settings import set_date_params

from ingest.charset import decode_html
from ingest.text import clean_text, one_line

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 1_000_000
MAX_FIELD_CHARS = 1000
# Less than this is navigation crumbs, not an article: the feed's own text is better.
MIN_TEXT_CHARS = 25
# trafilatura's options per mode. "precision" is the pipeline's call. "fast"
# skips the fallback extractors: 1.56x less CPU on the real-page corpus, but a
# lower F1 against its reference texts (README, issue 9), so it is not the default.
EXTRACTION_MODES: dict[str, dict[str, bool]] = {
    "precision": {"favor_precision": True},
    "fast": {"fast": True},
}
EXTRACTION_MODE = "precision"
_HTML_LANG = re.compile(r"""<html\b[^>]{0,500}?\blang\s*=\s*["']?\s*([a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]{1,8})?)""", re.I)


@dataclass(frozen=True)
class ExtractedPage:
    """What a page yielded; ``error`` set (and ``text`` empty) when it yielded nothing."""

    title: str | None = None
    text: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    site_name: str | None = None
    language: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def extract_article(html: str, url: str, mode: str = EXTRACTION_MODE, search_date: bool = True) -> ExtractedPage:
    """Title, text, authors, publication date, site name and language of an article page.

    Never raises: a page trafilatura cannot read, or that has no article text,
    comes back with ``error`` set. ``mode`` is one of ``EXTRACTION_MODES``
    (the benchmark compares them; the pipeline uses the default).

    ``search_date=False`` reads the date from the page's markup only (meta
    tags, structured data, the URL) and skips htmldate's search of the text,
    which parses every date-like string with dateparser: 13-22% of the
    extraction CPU on the real-page corpus, for a date ingest does not use when
    the feed entry has its own (issue 9). The text extracted is the same.
    """
    try:
        document = bare_extraction(
            html,
            url=url,
            with_metadata=True,
            date_extraction_params=None if search_date else set_date_params(False),
            **EXTRACTION_MODES[mode],
            include_comments=False,
            include_tables=True,
            deduplicate=False,
        )
    except Exception as exc:  # noqa: BLE001 - lxml and trafilatura raise many kinds
        log.warning("extraction failed for %s: %s", url, type(exc).__name__)
        return ExtractedPage(error=f"extraction failed: {type(exc).__name__}: {exc}"[:300])
    if document is None:
        return ExtractedPage(error="no article text found")
    page = _page_from(document)
    if page.ok and page.language is None:
        # trafilatura only reports a language when a classifier is installed;
        # the page's own <html lang> is the next best source.
        page = replace(page, language=html_language(html))
    return page


def html_language(html: str) -> str | None:
    """The primary language subtag of ``<html lang=...>``, lowercased (``en-GB`` -> ``en``)."""
    match = _HTML_LANG.search(html[:65536])
    return match.group(1).split("-")[0].split("_")[0].lower() if match else None


def extract_page(
    body: bytes, content_type: str | None, url: str, mode: str = EXTRACTION_MODE, search_date: bool = True
) -> ExtractedPage:
    """Decode a fetched page's bytes and extract it: the unit of work for the process pool."""
    return extract_article(decode_html(body, content_type), url, mode, search_date)


def _page_from(document: object) -> ExtractedPage:
    text = clean_text(getattr(document, "text", None), MAX_TEXT_CHARS).strip()
    if len(text) < MIN_TEXT_CHARS:
        return ExtractedPage(error="no article text found")
    return ExtractedPage(
        title=one_line(getattr(document, "title", None), MAX_FIELD_CHARS) or None,
        text=text,
        authors=split_authors(getattr(document, "author", None)),
        published_at=_parse_date(getattr(document, "date", None)),
        site_name=one_line(getattr(document, "sitename", None), MAX_FIELD_CHARS) or None,
        language=one_line(getattr(document, "language", None), 16) or None,
    )


def split_authors(value: str | None) -> list[str]:
    """trafilatura joins authors with ``;``."""
    names = [one_line(part, 200) for part in (value or "").split(";")]
    return [name for name in dict.fromkeys(names) if name][:20]


def _parse_date(value: str | None) -> datetime | None:
    """trafilatura's dates are ``YYYY-MM-DD`` (or ISO); taken as UTC midnight."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
