"""Feed credentials are redacted from what is logged, stored and published (issue 8 #7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.feeds import FeedEntry, safe_link
from ingest.identity import canonical_url, feed_key, loggable_url
from ingest.publisher import FeedRef, build_article
from newsflow.models import article_id
from newsflow.redact import redact_url, scrub, url_secrets
from newsflow.settings import FeedConfig, Settings

SECRET_URL = "https://reader:pa%24%24word9@feeds.example.com/rss?q=gold&token=tok123456&api_key=key987&Signature=s1g"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (SECRET_URL, "https://feeds.example.com/rss?q=gold&token=REDACTED&api_key=REDACTED&Signature=REDACTED"),
        ("https://e.com/feed?page=2&lang=en", "https://e.com/feed?page=2&lang=en"),  # untouched
        ("https://e.com/feed?auth=x&password=y&client_secret=z&sessionid=w",
         "https://e.com/feed?auth=REDACTED&password=REDACTED&client_secret=REDACTED&sessionid=REDACTED"),
        ("http://user@e.com:8080/a", "http://e.com:8080/a"),
    ],
)
def test_redact_url(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted
    assert loggable_url(url) == redacted


def test_url_secrets_lists_every_form_of_the_credentials() -> None:
    secrets = url_secrets(SECRET_URL)
    assert {"pa$$word9", "pa%24%24word9", "tok123456", "key987"} <= set(secrets)
    assert "reader" not in secrets  # a user name alone is not a secret
    assert scrub(f"GET {SECRET_URL} failed (pa$$word9)", secrets).count("REDACTED") >= 4
    for secret in ("pa$$word9", "tok123456", "key987"):
        assert secret not in scrub(f"GET {SECRET_URL} failed (pa$$word9)", secrets)


def test_settings_know_feed_and_header_secrets_for_the_log_filter() -> None:
    feed = FeedConfig(url=SECRET_URL, headers={"Authorization": "Bearer hdr-secret", "User-Agent": "desk/1.0"})
    secrets = Settings(feeds=[feed]).secret_values()
    assert {"tok123456", "key987", "pa$$word9", "Bearer hdr-secret"} <= set(secrets)
    assert "desk/1.0" not in secrets


def test_feed_key_is_stable_and_hides_the_url() -> None:
    assert feed_key(SECRET_URL) == feed_key(SECRET_URL) != feed_key(SECRET_URL.replace("gold", "oil"))
    assert "tok123456" not in feed_key(SECRET_URL) and feed_key(SECRET_URL).startswith("feed:")


def test_a_relative_link_does_not_inherit_the_feeds_user_and_password() -> None:
    assert safe_link("/news/1", SECRET_URL) == "https://feeds.example.com/news/1"


def test_articles_carry_the_redacted_feed_url_and_keep_their_ids() -> None:
    feed = FeedRef(SECRET_URL, "desk", tuple(url_secrets(SECRET_URL)))
    when = datetime(2023, 12, 18, tzinfo=UTC)
    linked = FeedEntry("e1", "https://news.example.com/a?utm_source=x", "T", "S", when)
    unlinked = FeedEntry("e2", None, "T2", "S2", when)
    for entry in (linked, unlinked):
        article = build_article(feed, entry, None, "HTTP 503 at " + SECRET_URL, when, 4 * 1024 * 1024)
        text = article.model_dump_json()
        for secret in ("tok123456", "key987", "pa$$word9", "pa%24%24word9"):
            assert secret not in text
        assert article.feed_url == redact_url(SECRET_URL) and article.feed_name == "desk"
    # ids are those of the raw URLs, as before the redaction: nothing is re-published under a new id
    assert build_article(feed, unlinked, None, None, when, 4 << 20).id == article_id(
        f"{canonical_url(SECRET_URL)}#entry=e2")
    assert build_article(feed, linked, None, None, when, 4 << 20).id == article_id("https://news.example.com/a")
