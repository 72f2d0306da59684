"""What ``newsflow run --once`` prints: the articles it carried, read back from Postgres.

Reading them back (rather than printing what was produced) is the point: the
table shows what an analyst will find in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from newsflow.migrations import with_search_path

_ARTICLES = """
    SELECT id, title, url, published_at, extraction
    FROM articles WHERE id = ANY(%(ids)s)
    ORDER BY published_at NULLS LAST, id
"""
_PRODUCERS = """
    SELECT article_id, producer FROM article_producers
    WHERE article_id = ANY(%(ids)s) ORDER BY article_id, producer
"""
_EVENTS = """
    SELECT article_id, actor, action, object, negated, modality, when_text, when_start, when_end,
           amount_text, change_pct
    FROM article_events WHERE article_id = ANY(%(ids)s)
    ORDER BY article_id, start_offset, actor, action
"""


@dataclass
class ArticleSummary:
    id: str
    title: str | None
    url: str
    published_at: datetime | None
    extraction: str
    producers: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)


def load_summary(dsn: str, article_ids: list[str]) -> list[ArticleSummary]:
    with psycopg.connect(with_search_path(dsn), row_factory=dict_row) as conn:
        params = {"ids": article_ids}
        articles = {
            row["id"]: ArticleSummary(**row) for row in conn.execute(_ARTICLES, params).fetchall()
        }
        for row in conn.execute(_PRODUCERS, params):
            articles[row["article_id"]].producers.append(row["producer"])
        for row in conn.execute(_EVENTS, params):
            articles[row.pop("article_id")].events.append(row)
    return list(articles.values())


def format_summary(articles: list[ArticleSummary], ingested: Any) -> str:
    """The articles as blocks, then one line of what ingest saw (an ``IngestReport``)."""
    blocks = [_format_article(article) for article in articles]
    footer = (
        f"{ingested.feeds_polled} feed(s) polled ({ingested.feeds_not_modified} not modified, "
        f"{ingested.feed_errors} failed); {ingested.entries_new} new entr(ies); "
        f"{len(articles)} article(s) written to Postgres"
    )
    if not articles and not ingested.feed_errors:
        footer += " (every entry had been seen before)"
    return "\n\n".join([*blocks, footer])


def _format_article(article: ArticleSummary) -> str:
    published = article.published_at.date().isoformat() if article.published_at else "undated"
    flag = "" if article.extraction == "page" else "  [feed text only: page not extracted]"
    lines = [
        f"■ {article.title or '(untitled)'}{flag}",
        f"  {published}  {article.url}",
        f"  producers: {', '.join(article.producers) or '-'}",
    ]
    if article.events:
        lines.append(_event_table(article.events))
    return "\n".join(lines)


def _event_table(events: list[dict]) -> str:
    header = ("actor", "action", "object", "when", "amount", "note")
    rows = [header] + [_event_row(event) for event in events]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "    " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _event_row(event: dict) -> tuple[str, ...]:
    amount = event["amount_text"] or (f"{event['change_pct']:+g}%" if event["change_pct"] is not None else "")
    note = "; ".join(
        part for part in ("NOT" if event["negated"] else "", _modality(event["modality"])) if part
    )
    return (
        event["actor"], event["action"], event["object"] or "", _when(event), amount, note,
    )


def _when(event: dict) -> str:
    if event["when_start"] is None:
        return ""
    start, end = event["when_start"].isoformat(), event["when_end"].isoformat()
    return start if start == end else f"{start}..{end}"


def _modality(modality: str) -> str:
    return "" if modality == "asserted" else modality
