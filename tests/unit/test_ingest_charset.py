"""Page decoding: BOM, HTTP charset, <meta>, detection (docs/bad-inputs.md #7 and #8)."""

from __future__ import annotations

import codecs

import pytest

from ingest.charset import decode_html, header_charset, meta_charset

FRENCH = "Le café est très chaud. Les élèves ont mangé une crème brûlée à Noël, près de la forêt."
GERMAN = "Die Straße ist schön, größer als München. Über alles."
RUSSIAN = "Привет, как дела? Сегодня хорошая погода в Москве, а завтра будет дождь."


def page(text: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{text}</p></body></html>"


def assert_clean(text: str) -> None:
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
    for mojibake in ("Ã©", "Ã¨", "â€", "Ð", "trčs"):
        assert mojibake not in text


# --- docs/bad-inputs.md #7 ----------------------------------------------------------------


def test_latin1_bytes_declared_utf8_in_header_are_not_mojibake() -> None:
    text = decode_html(page(FRENCH).encode("latin-1"), "text/html; charset=utf-8")
    assert FRENCH in text
    assert "\ufffd" not in text


def test_latin1_bytes_declared_utf8_in_meta_are_not_mojibake() -> None:
    text = decode_html(page(GERMAN, "<meta charset='utf-8'>").encode("latin-1"))
    assert GERMAN in text


def test_utf8_bom_wins_over_a_latin1_declaration() -> None:
    body = codecs.BOM_UTF8 + page(FRENCH + " ✓", '<meta charset="iso-8859-1">').encode("utf-8")
    text = decode_html(body, "text/html; charset=iso-8859-1")
    assert FRENCH + " ✓" in text and not text.startswith("\ufeff")


def test_utf16le_with_bom_and_no_declaration() -> None:
    body = codecs.BOM_UTF16_LE + page(RUSSIAN).encode("utf-16-le")
    assert RUSSIAN in decode_html(body, "text/html")


def test_meta_charset_after_byte_1024_is_found() -> None:
    head = "<script>" + "var x = 1;\n" * 300 + "</script><meta charset='windows-1251'>"
    body = page(RUSSIAN, head).encode("cp1251")
    assert body.index(b"<meta") > 1024
    assert RUSSIAN in decode_html(body)


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(FRENCH, "utf-8"), (FRENCH, "cp1252"), (GERMAN, "latin-1"), (RUSSIAN, "utf-8"), (RUSSIAN, "cp1251")],
)
def test_page_with_no_charset_at_all_is_detected(text: str, encoding: str) -> None:
    decoded = decode_html(page(text).encode(encoding), None)
    assert text in decoded
    assert_clean(decoded)


def test_utf8_declared_as_latin1_is_read_as_utf8() -> None:
    text = decode_html(page(FRENCH).encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert FRENCH in text


def test_cp1252_punctuation_declared_latin1() -> None:
    # WHATWG: iso-8859-1 means windows-1252, so 0x93/0x94 are curly quotes.
    assert "“quoted”" in decode_html(b"<p>\x93quoted\x94 and caf\xe9</p>", "text/html; charset=iso-8859-1")


# --- docs/bad-inputs.md #8 ----------------------------------------------------------------


@pytest.mark.parametrize("bad", [b"\xc0\xaf", b"\xe2\x82", b"\xed\xa0\x80"])
@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", None])
def test_invalid_utf8_sequences_are_replaced_never_raised(bad: bytes, content_type: str | None) -> None:
    body = b"<html><body><p>before " + bad + b" after, and caf\xc3\xa9 too</p></body></html>"
    text = decode_html(body, content_type)
    assert "before" in text and "after" in text and "café" in text
    assert "\ufffd" in text
    assert_clean(text)


def test_garbage_never_raises() -> None:
    for body in (b"", b"\xff" * 100, bytes(range(256)) * 4, b"\x00\x00\x00", codecs.BOM_UTF16_BE + b"\xd8"):
        assert isinstance(decode_html(body, "text/html; charset=nonsense-9"), str)


def test_unknown_declared_charset_falls_through_to_detection() -> None:
    assert FRENCH in decode_html(page(FRENCH).encode("utf-8"), "text/html; charset=x-klingon")


def test_charset_helpers() -> None:
    assert header_charset('text/html; charset="UTF-8"') == "UTF-8"
    assert header_charset("text/html") is None
    assert meta_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">') == "koi8-r"
    assert meta_charset(b'<?xml version="1.0" encoding="ISO-8859-2"?><html>') == "ISO-8859-2"
