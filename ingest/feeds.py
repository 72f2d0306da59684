"""Feed parsing: a pure function from a feed document's bytes to its entries.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, which is only ever handed
bytes (its own URL fetcher has no timeout or size cap); JSON Feed 1.0/1.1 has
its own small parser. Everything in a feed is written by strangers
(docs/bad-inputs.md #1-#6, #17, #18, #21), so:

* sizes are capped *before* parsing: feedparser's author handling is quadratic
  (a 64 KiB ``<author>`` takes ~15 s), so author-like elements are cut short,
  and so is its category handling, so categories (unused) are removed;
* character references to no character (``&#xD800;`` makes ``parse()``
  raise) are replaced with U+FFFD and reported in ``ParsedFeed.warnings``;
  anything else feedparser raises becomes one
  :class:`~newsflow.errors.PermanentError`, a feed error and never a crash;
* titles and summaries are plain text, NUL and lone surrogates removed;
* links are absolute http(s) URLs or nothing (``javascript:``, ``data:`` dropped).
"""

from __future__ import annotations

import calendar
import codecs
import dataclasses
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser

from ingest.identity import entry_identity
from ingest.text import clean_text, html_to_text, one_line
from newsflow.errors import PermanentError

MAX_FEED_BYTES = 16 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_AUTHOR_BYTES = 256
MAX_TITLE_CHARS = 1000
MAX_SUMMARY_CHARS = 20_000
MAX_URL_CHARS = 4096
MAX_AUTHORS = 20

_AUTHOR_ELEMENT = re.compile(
    rb"<((?:[A-Za-z_][\w.-]*:)?(?:author|creator|managingEditor|webMaster|contributor|publisher|owner|name|email))"
    rb"(?:\s[^<>]*)?>",
    re.IGNORECASE,
)
# Categories are unused downstream, and feedparser's handling of them is
# quadratic too (10,000 <category> elements: 1.5 s; 20,000: 5 s): drop them.
_CATEGORY_ELEMENT = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:category|subject|keywords)\b[^<>]*?(?:/>|>[^<]*</[^<>]*>)", re.IGNORECASE
)
_XML_DECLARED_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])[^"']*""")
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_JSON_FEED_VERSION = "https://jsonfeed.org/version/"


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed, as plain text and safe links."""

    entry_id: str
    link: str | None
    title: str | None
    summary: str | None
    published_at: datetime | None
    authors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """For storage (a page to fetch again later needs its entry to rebuild the article)."""
        value = dataclasses.asdict(self)
        value["published_at"] = self.published_at.isoformat() if self.published_at else None
        return value

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> FeedEntry:
        published = value.get("published_at")
        return cls(**{**value, "published_at": datetime.fromisoformat(published) if published else None})


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    format: str
    entries: list[FeedEntry]
    # What was repaired to parse the document; recorded on the feed, never fatal.
    warnings: tuple[str, ...] = ()


def parse_feed(url: str, body: bytes, content_type: str | None = None) -> ParsedFeed:
    """Parse an RSS, Atom or JSON Feed document; raise PermanentError if it is none of them."""
    if len(body) > MAX_FEED_BYTES:
        raise PermanentError(f"feed document too large ({len(body)} bytes)")
    if not body.strip():
        raise PermanentError("empty feed document")
    if _looks_like_json(body, content_type):
        return parse_json_feed(url, body)
    return parse_xml_feed(url, body, content_type)


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    """The first byte decides (servers mislabel feeds both ways); the type only breaks ties."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"{", b"["):
        return True
    return start != b"<" and bool(content_type) and "json" in content_type.lower()


# --- RSS and Atom (feedparser) -------------------------------------------------


def parse_xml_feed(url: str, body: bytes, content_type: str | None = None) -> ParsedFeed:
    repaired, bad_references = replace_bad_char_refs(_as_utf8_without_nul(body))
    prepared = cap_author_elements(_CATEGORY_ELEMENT.sub(b"", repaired))
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    warnings = (f"{bad_references} invalid character reference(s) replaced with U+FFFD",) if bad_references else ()
    try:
        parsed = feedparser.parse(prepared, response_headers=headers, sanitize_html=True)
        return dataclasses.replace(_feed_from(url, parsed, prepared), warnings=warnings)
    except PermanentError:
        raise
    except Exception as exc:
        raise PermanentError(f"feed parse error: {type(exc).__name__}: {str(exc)[:200]}") from exc


_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_REPLACEMENT_REF = b"&#xFFFD;"


def replace_bad_char_refs(body: bytes) -> tuple[bytes, int]:
    """Numeric character references to no character replaced by U+FFFD; how many.

    feedparser raises on ``&#xD800;`` (a surrogate), ``&#x110000;`` (beyond
    Unicode) and ``&#99999999999;`` (overflow), which would reject a whole
    feed for one bad title (issue 8 #8); ``&#0;`` is replaced too (NUL is
    never text). Every other reference is left to the parser.
    """
    count = 0

    def repair(match: re.Match[bytes]) -> bytes:
        nonlocal count
        digits, base = (match.group(1), 16) if match.group(1) is not None else (match.group(2), 10)
        if len(digits.lstrip(b"0")) <= 7:
            code = int(digits, base)
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return match.group(0)
        count += 1
        return _REPLACEMENT_REF

    return _CHAR_REF.sub(repair, body), count


def _feed_from(url: str, parsed: Any, body: bytes) -> ParsedFeed:
    version = parsed.get("version") or ""
    if not version:
        if _HTML_START.match(body[:4096]):
            raise PermanentError("not a feed: the document is an HTML page")
        reason = parsed.get("bozo_exception")
        detail = type(reason).__name__ if reason else "no feed element"
        raise PermanentError(f"not a feed: not RSS, Atom or JSON Feed ({detail})")
    entries = [_entry_from(url, raw) for raw in parsed.get("entries", [])[:MAX_ENTRIES]]
    title = one_line(parsed.get("feed", {}).get("title"), MAX_TITLE_CHARS) or None
    return ParsedFeed(title=html_to_text(title) or None, format=version, entries=entries)


def _entry_from(feed_url: str, raw: Any) -> FeedEntry:
    content = raw.get("content") or []
    body_html = raw.get("summary") or (content[0].get("value") if content else None)
    title = html_to_text(raw.get("title"), MAX_TITLE_CHARS) or None
    summary = html_to_text(body_html, MAX_SUMMARY_CHARS) or None
    link = safe_link(raw.get("link"), feed_url)
    return FeedEntry(
        entry_id=entry_identity(clean_text(raw.get("id")), link, title, summary),
        link=link,
        title=title,
        summary=summary,
        published_at=_from_struct(raw.get("published_parsed") or raw.get("updated_parsed")),
        authors=_names([a.get("name") for a in raw.get("authors", []) if hasattr(a, "get")] or [raw.get("author")]),
    )


def _from_struct(value: time.struct_time | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def _as_utf8_without_nul(body: bytes) -> bytes:
    """UTF-16/32 (by BOM) re-encoded as UTF-8, so byte-level caps see the tags; NUL removed.

    A BOM wins over the XML declaration (docs/bad-inputs.md #7: a UTF-8 BOM with
    ``encoding="iso-8859-1"``), so the declaration is rewritten to match.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            text = body[len(bom):].decode(encoding, "replace")
            body = _XML_DECLARED_ENCODING.sub(rb"\1utf-8", text.encode("utf-8", "replace"), count=1)
            break
    return body.replace(b"\x00", b"")


def cap_author_elements(body: bytes, limit: int = MAX_AUTHOR_BYTES) -> bytes:
    """Cut the text of author-like elements to ``limit`` bytes (linear time).

    feedparser matches author strings with a quadratic regular expression; no
    real author name or e-mail is longer than a few dozen bytes.
    """
    pieces: list[bytes] = []
    position = 0
    for match in _AUTHOR_ELEMENT.finditer(body):
        start = match.end()
        if start < position:
            continue
        end = _text_end(body, start)
        if end - start > limit:
            pieces.append(body[position:start])
            pieces.append(_short_text(body[start:end], limit))
            position = end
    pieces.append(body[position:])
    return b"".join(pieces)


def _text_end(body: bytes, start: int) -> int:
    """Where the text after an opening tag ends: the next tag, or past a CDATA section."""
    if body.startswith(b"<![CDATA[", start):
        close = body.find(b"]]>", start)
        return len(body) if close == -1 else close + 3
    next_tag = body.find(b"<", start)
    return len(body) if next_tag == -1 else next_tag


def _short_text(raw: bytes, limit: int) -> bytes:
    if raw.startswith(b"<![CDATA["):
        raw = raw[9:]
        raw = raw[:-3] if raw.endswith(b"]]>") else raw
    text = raw[:limit].decode("utf-8", "ignore")
    return text.replace("&", " ").replace("<", " ").replace(">", " ").encode("utf-8")


# --- JSON Feed -------------------------------------------------------------------


def parse_json_feed(url: str, body: bytes) -> ParsedFeed:
    """JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        document = json.loads(body.decode("utf-8-sig", "replace"))
    except (ValueError, RecursionError) as exc:
        raise PermanentError(f"feed parse error: invalid JSON: {str(exc)[:200]}") from exc
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(_JSON_FEED_VERSION):
        raise PermanentError("not a feed: JSON without a jsonfeed.org version")
    items = document.get("items")
    if not isinstance(items, list):
        raise PermanentError("not a feed: JSON Feed without an items list")
    feed_authors = _json_authors(document)
    entries = [_json_entry(url, item, feed_authors) for item in items[:MAX_ENTRIES] if isinstance(item, dict)]
    version = "json" + str(document["version"]).removeprefix(_JSON_FEED_VERSION).replace(".", "")
    title = html_to_text(_str(document.get("title")), MAX_TITLE_CHARS) or None
    return ParsedFeed(title=title, format=version, entries=entries)


def _json_entry(feed_url: str, item: dict[str, Any], feed_authors: list[str]) -> FeedEntry:
    title = html_to_text(_str(item.get("title")), MAX_TITLE_CHARS) or None
    summary = (
        html_to_text(_str(item.get("summary")), MAX_SUMMARY_CHARS)
        or one_line(_str(item.get("content_text")), MAX_SUMMARY_CHARS)
        or html_to_text(_str(item.get("content_html")), MAX_SUMMARY_CHARS)
        or None
    )
    link = safe_link(_str(item.get("url")) or _str(item.get("external_url")), feed_url)
    raw_id = item.get("id")
    guid = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else None
    return FeedEntry(
        entry_id=entry_identity(clean_text(guid), link, title, summary),
        link=link,
        title=title,
        summary=summary,
        published_at=_parse_rfc3339(_str(item.get("date_published")) or _str(item.get("date_modified"))),
        authors=_json_authors(item) or feed_authors,
    )


def _json_authors(obj: dict[str, Any]) -> list[str]:
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj.get("author")]  # JSON Feed 1.0 had a single author object
    return _names([a.get("name") for a in authors if isinstance(a, dict)])


def _parse_rfc3339(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())  # Python 3.11 reads a trailing Z
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- shared ------------------------------------------------------------------------


def safe_link(link: Any, base: str) -> str | None:
    """An absolute http(s) URL, or None (relative links resolved against the feed URL)."""
    if not isinstance(link, str) or not link.strip():
        return None
    absolute = urljoin(base, clean_text(link).strip())
    if len(absolute) > MAX_URL_CHARS:
        return None
    try:
        parts = urlsplit(absolute)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if "@" in parts.netloc:
        # A relative link inherits the feed URL's user:password (urljoin keeps
        # it); pages are fetched without the feed's credentials, and a link is
        # stored and published, so credentials never stay in one (issue 8 #7).
        absolute = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return absolute


def _names(values: list[Any]) -> list[str]:
    names = [one_line(v, 200) for v in values if isinstance(v, str)]
    return [name for name in dict.fromkeys(names) if name][:MAX_AUTHORS]
