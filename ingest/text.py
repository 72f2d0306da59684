"""Cleaning strangers' text so it is safe to store and publish.

psycopg refuses NUL (``DataError``) and lone surrogates (``UnicodeEncodeError``),
and both come out of feeds (docs/bad-inputs.md #5, #6), so every text field is cleaned
once, here, before it becomes part of a message.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_NUL_AND_SURROGATES = re.compile("[\x00\ud800-\udfff]")
_OTHER_CONTROLS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str | None, max_chars: int | None = None) -> str:
    """Drop NUL, lone surrogates and control characters; optionally cap the length."""
    if not value:
        return ""
    text = _OTHER_CONTROLS.sub("", _NUL_AND_SURROGATES.sub("", value))
    return text[:max_chars] if max_chars is not None else text


def one_line(value: str | None, max_chars: int | None = None) -> str:
    """Clean text and collapse whitespace to single spaces (titles, names)."""
    return _SPACES.sub(" ", clean_text(value, None)).strip()[: max_chars or None]


class _TextOnly(HTMLParser):
    """Collects character data, skipping what browsers never show as text."""

    _SKIP = frozenset({"script", "style", "template", "noscript", "iframe", "object"})
    _BREAKS = frozenset({"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(value: str | None, max_chars: int | None = None) -> str:
    """Plain text of an HTML fragment (feed titles and summaries are text, never markup)."""
    if not value:
        return ""
    if "<" not in value and "&" not in value:
        return one_line(value, max_chars)
    parser = _TextOnly()
    try:
        parser.feed(clean_text(value))
        parser.close()
    except Exception:  # noqa: BLE001 - HTMLParser is lenient; this is belt and braces
        return one_line(re.sub(r"<[^>]*>", " ", value), max_chars)
    return one_line("".join(parser.parts), max_chars)
