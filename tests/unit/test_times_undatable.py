"""Dates the tagger cannot place leave the event undated; the article still tags (issue 8 #4)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from enrich.tagger import tag
from enrich.times import resolve_time

ROOT = Path(__file__).resolve().parents[2]

EDGE_TEXT = (
    "Alrosa halted diamond sales in December. De Beers cut output tomorrow. "
    "India banned diamond imports next year, and the following year Alrosa resumed sales. "
    "Alrosa sold diamonds yesterday and last year. OPEC cut output next month and next quarter."
)


@pytest.mark.parametrize(
    ("phrase", "published"),
    [
        ("in December", date(1, 1, 1)),  # the latest past December is in year 0
        ("yesterday", date(1, 1, 1)),
        ("last year", date(1, 6, 1)),
        ("last month", date(1, 1, 15)),
        ("next year", date(9999, 12, 31)),
        ("tomorrow", date(9999, 12, 31)),
        ("next Friday", date(9999, 12, 31)),
        ("next quarter", date(9999, 11, 1)),
    ],
)
def test_a_time_outside_years_1_to_9999_is_left_unresolved(phrase: str, published: date) -> None:
    assert resolve_time(phrase, published) is None


def test_times_inside_the_range_still_resolve_at_its_edges() -> None:
    december = resolve_time("in December", date(1, 12, 31))
    assert (december.start, december.end) == (date(1, 12, 1), date(1, 12, 31))
    assert resolve_time("last year", date(9999, 12, 31)).start == date(9998, 1, 1)


@pytest.mark.parametrize(
    "published", [date(1, 1, 1), datetime(1, 1, 1, tzinfo=UTC), date(9999, 12, 31), date(9999, 1, 1)]
)
def test_an_article_at_the_edge_of_the_calendar_is_tagged_with_its_events(published: date) -> None:
    tags = tag(EDGE_TEXT, published)
    # The same events as on an ordinary day; only their times may be missing.
    ordinary = tag(EDGE_TEXT, date(2023, 12, 18))
    assert [(e.actor, e.action) for e in tags.events] == [(e.actor, e.action) for e in ordinary.events]
    assert ("Alrosa", "sales_halt") in {(e.actor, e.action) for e in tags.events}
    for event in tags.events:
        if event.when is not None:
            assert date(1, 1, 1) <= event.when.start <= event.when.end <= date(9999, 12, 31)


def test_cli_tag_with_published_0001_01_01() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "newsflow", "tag", "-", "--published", "0001-01-01"],
        input="Alrosa halted diamond sales in December.\n",
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [line] = done.stdout.splitlines()
    [event] = json.loads(line)["events"]
    assert (event["actor"], event["action"], event["when"]) == ("Alrosa", "sales_halt", None)
