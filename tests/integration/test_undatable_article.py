"""An article published "0001-01-01" is enriched and stored, its relative times undated (issue 8 #4)."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from commands.pipeline import run_once
from newsflow.lifecycle import Stopper
from newsflow.settings import FeedConfig, Settings

from .ingest_site import Site, serve

pytestmark = pytest.mark.integration


def _atom(base_url: str, entries: list[tuple[str, str, str]]) -> str:
    """Atom with (id, updated, summary) entries whose pages are missing (the feed's text is used)."""
    body = "".join(
        f"<entry><id>urn:edge:{entry_id}</id><title>{entry_id}</title><link href='{base_url}/gone/{entry_id}'/>"
        f"<updated>{updated}</updated><summary>{summary}</summary></entry>"
        for entry_id, updated, summary in entries
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>edge</title><id>urn:edge</id><updated>0001-01-01T00:00:00Z</updated>{body}</feed>"
    )


def test_articles_dated_at_the_calendar_edges_reach_postgres(make_settings: Callable[..., Settings]) -> None:
    with serve(Site()) as site:
        site.set("/feed.atom", _atom(site.base_url, [
            ("zero", "0001-01-01T00:00:00Z", "Alrosa halted diamond sales in December."),
            ("end", "9999-12-31T00:00:00Z", "India will ban diamond imports next year."),
            ("normal", "2023-12-18T10:00:00Z", "De Beers cut output in November."),
        ]), "application/atom+xml")
        settings = make_settings(feeds=[FeedConfig(url=f"{site.base_url}/feed.atom", name="edge")], extract_workers=1)

        report = run_once(settings, Stopper())

        assert report.published == 3
        with psycopg.connect(settings.database_dsn()) as conn:
            rows = dict(conn.execute(
                "SELECT a.entry_id, array_agg((e.actor, e.action, e.when_start)::text ORDER BY e.ordinal)"
                " FROM articles a LEFT JOIN article_events e ON e.article_id = a.id GROUP BY a.entry_id"
            ).fetchall())
            published = dict(conn.execute("SELECT entry_id, published_at::date FROM articles").fetchall())
        by_entry = {k.removeprefix("urn:edge:"): v for k, v in rows.items()}
        assert set(by_entry) == {"zero", "end", "normal"}, rows
        assert by_entry["zero"] == ["(Alrosa,sales_halt,)"]  # stored, undated
        assert by_entry["end"] == ["(India,import_ban,)"]
        assert by_entry["normal"] == ["(\"De Beers\",output_cut,2023-11-01)"]
        assert {str(d) for d in published.values()} == {"0001-01-01", "9999-12-31", "2023-12-18"}
