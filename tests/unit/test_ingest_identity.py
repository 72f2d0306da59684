"""Entry identity and canonical URLs."""

from __future__ import annotations

import pytest

from ingest.identity import MAX_ID_CHARS, bounded_id, canonical_url, entry_identity


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://Example.COM/a/b", "http://example.com/a/b"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com:80/x", "http://example.com/x"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/x#section-2", "https://example.com/x"),
        ("https://example.com/x?utm_source=rss&utm_medium=feed&id=7", "https://example.com/x?id=7"),
        ("https://example.com/x?b=2&a=1&fbclid=zz&gclid=y", "https://example.com/x?a=1&b=2"),
        ("https://user:secret@example.com/x", "https://example.com/x"),
        ("https://example.com./x", "https://example.com/x"),
        ("https://[2001:DB8::1]:8443/x", "https://[2001:db8::1]:8443/x"),
        ("  https://example.com/x  ", "https://example.com/x"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_canonical_url_keeps_path_case_and_meaningful_params() -> None:
    assert canonical_url("https://e.com/News/Story?Page=2") == "https://e.com/News/Story?Page=2"


def test_canonical_url_bad_port_raises_value_error() -> None:
    with pytest.raises(ValueError):
        canonical_url("http://e.com:99999999/")


def test_identity_prefers_guid_then_link_then_content_hash() -> None:
    assert entry_identity("  urn:uuid:1  ", "https://e.com/a", "t", "c") == "urn:uuid:1"
    assert entry_identity(None, "https://E.com/a?utm_source=x", "t", "c") == "https://e.com/a"
    assert entry_identity("", None, "t", "c").startswith("sha256:")
    assert entry_identity(None, None, "t", "c") == entry_identity(None, None, "t", "c")
    assert entry_identity(None, None, "t", "c") != entry_identity(None, None, "t", "d")
    # title and content are separated, so ("ab", "c") and ("a", "bc") differ
    assert entry_identity(None, None, "ab", "c") != entry_identity(None, None, "a", "bc")


def test_long_ids_are_hashed_to_fit_an_index() -> None:
    long_link = "https://e.com/" + "a" * 3000  # docs/bad-inputs.md #18: a 3,000-byte URL
    identity = entry_identity(None, long_link, None, None)
    assert identity.startswith("sha256:") and len(identity) < MAX_ID_CHARS
    assert bounded_id("short") == "short"
