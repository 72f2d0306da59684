"""``newsflow tag``: run the tagger on a text or HTML file.

HTML goes through the same charset decoding and extraction as the pipeline,
so what this prints is what ``news.articles.enriched`` would carry.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


def tag_file(name: str, published: date | None) -> dict[str, Any]:
    """The enrichment of one file as a JSON-ready dict."""
    from enrich.tagger import tag

    raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    text, title, found_date = _text_of(name, raw)
    tags = tag(text, published or found_date, title=title)
    return {"file": name, **tags.model_dump(mode="json")}


def _text_of(name: str, raw: bytes) -> tuple[str, str | None, date | None]:
    if not _looks_like_html(name, raw):
        return raw.decode("utf-8", errors="replace"), None, None
    from ingest.charset import decode_html
    from ingest.extract import extract_article

    page = extract_article(decode_html(raw, None), f"file://{Path(name).resolve()}")
    published = page.published_at.date() if page.published_at else None
    return page.text or "", page.title, published


def _looks_like_html(name: str, raw: bytes) -> bool:
    if Path(name).suffix.lower() in _HTML_SUFFIXES:
        return True
    head = raw[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))
