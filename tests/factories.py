"""Factories for test messages: plain functions with keyword overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from newsflow.models import RawArticle, article_id

SEED_TEXT = (
    "The two top gem producers, Alrosa and De Beers, both sold about $100 million worth of "
    "diamonds in late November, sources told Bloomberg on Monday. Sales have picked up slightly "
    "after some of the industry's biggest players took radical steps to prop up diamond prices, "
    "which have fallen nearly 30% since March 2022. Russian giant Alrosa halted sales entirely in "
    "September. India banned all imports of the gemstone in October. And De Beers, one of the "
    "world's largest diamond producers and distributors, allowed customers to back out of "
    "contracted purchases in November."
)


def raw_article(n: int = 0, **overrides: Any) -> RawArticle:
    url = overrides.pop("url", f"https://news.example.com/story/{n}")
    values: dict[str, Any] = {
        "id": article_id(url),
        "url": url,
        "canonical_url": url,
        "feed_url": "https://news.example.com/feed.xml",
        "feed_name": "example",
        "entry_id": f"entry-{n}",
        "title": f"Story {n}",
        "text": SEED_TEXT,
        "published_at": datetime(2023, 12, 18, 14, 5, tzinfo=UTC),
        "fetched_at": datetime(2023, 12, 18, 14, 6, tzinfo=UTC),
    }
    values.update(overrides)
    return RawArticle(**values)
