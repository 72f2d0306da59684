"""Decoding a page's bytes to text with the right character set.

The order follows the WHATWG encoding-sniffing algorithm: a byte-order mark
wins, then the charset in the HTTP ``Content-Type``, then a ``<meta>`` (or XML)
declaration, then detection. Two departures, both for pages seen in the wild
(docs/bad-inputs.md #7, #8):

* the ``<meta>`` prescan looks at the first 64 KiB, not 1024 bytes, because
  real pages put it after long ``<script>`` blocks;
* a declaration is not trusted blindly: bytes declared UTF-8 that are not
  UTF-8 are decoded as what they are (Latin-1 text declared UTF-8 must not
  become mojibake), and UTF-8 bytes declared as a single-byte legacy charset
  are decoded as UTF-8.

Never raises: undecodable bytes become U+FFFD.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
PRESCAN_BYTES = 64 * 1024
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s;"',]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]{0,512}?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.+-]{1,40})""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([a-zA-Z0-9_.:+-]{1,40})""")
# A UTF-8 lead byte followed by a continuation byte: what broken UTF-8 looks like.
_UTF8_PAIR = re.compile(rb"[\xc0-\xfd][\x80-\xbf]")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
# WHATWG maps these labels to windows-1252, a superset that decodes 0x80-0x9F as text.
_AS_WINDOWS_1252 = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252"})
_SINGLE_BYTE_PREFIXES = ("cp12", "iso8859", "latin", "ascii", "koi8", "mac-", "cp8", "tis-620")


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML page: BOM, then HTTP charset, then ``<meta>``, then detection."""
    bom_encoding, bom_length = sniff_bom(body)
    if bom_encoding:
        return body[bom_length:].decode(bom_encoding, "replace")
    for label in (header_charset(content_type), meta_charset(body)):
        encoding = _normalise(label)
        if encoding:
            text = _decode_declared(body, encoding)
            if text is not None:
                return text
    return _detect(body)


def sniff_bom(body: bytes) -> tuple[str | None, int]:
    """The encoding a byte-order mark announces, and the mark's length."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return encoding, len(bom)
    return None, 0


def header_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header value."""
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def meta_charset(body: bytes) -> str | None:
    """The charset an XML declaration or ``<meta>`` in the first 64 KiB declares."""
    head = body[:PRESCAN_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _normalise(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    # A page that reached us as ASCII-compatible bytes cannot be UTF-16/32 without
    # a BOM; WHATWG treats such a declaration as UTF-8.
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return "cp1252" if name in _AS_WINDOWS_1252 else name


def _decode_declared(body: bytes, encoding: str) -> str | None:
    """Decode with a declared encoding, or None when the bytes clearly say otherwise."""
    if encoding == "utf-8":
        return _decode_utf8(body)
    if encoding.startswith(_SINGLE_BYTE_PREFIXES) and _is_utf8_with_non_ascii(body):
        return body.decode("utf-8")
    return body.decode(encoding, "replace")


def _decode_utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if looks_like_broken_utf8(body):
        return body.decode("utf-8", "replace")
    return None


def looks_like_broken_utf8(body: bytes) -> bool:
    """True when most non-ASCII bytes sit in UTF-8-shaped pairs.

    Latin-1 or cp1251 text has its high bytes alone or in runs of lead-range
    bytes; UTF-8 with a few bad sequences (``C0 AF``, ``E2 82``) has them as
    lead + continuation. The first is another charset, the second is UTF-8.
    """
    high = len(_HIGH_BYTE.findall(body))
    return high > 0 and 2 * len(_UTF8_PAIR.findall(body)) * 2 >= high


def _is_utf8_with_non_ascii(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(body: bytes) -> str:
    """No usable declaration: valid UTF-8 is UTF-8; otherwise ask charset-normalizer."""
    text = _decode_utf8(body)
    if text is not None:
        return text
    encoding = _best_guess(charset_normalizer.from_bytes(body))
    return body.decode(encoding or "utf-8", "replace")


def _best_guess(matches: charset_normalizer.CharsetMatches) -> str | None:
    """charset-normalizer's best guess, preferring windows-1252 on a tie.

    Western text in Latin-1 scores the same under cp1250, cp1252 and cp1257
    (the detector cannot tell "très" from "trčs"); windows-1252 is by far the
    commonest legacy charset on the web and WHATWG's default, so it wins ties.
    """
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        tied = match.chaos <= best.chaos and match.coherence >= best.coherence - 0.01
        if tied and match.encoding == "cp1252":
            return "cp1252"
    return best.encoding
