"""Pure pieces of the sink: poison isolation, error classes, backoff, rows, last-wins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import psycopg
import pytest
from psycopg import errors as pg_errors

from newsflow.models import Amount, EnrichedArticle, Event, Producer, RawArticle, Tags, TimeRef
from sinks.poison import is_poison, is_transient, isolate_poison
from sinks.postgres import last_per_id
from sinks.rows import ARTICLE_COLUMNS, EVENT_COLUMNS, PRODUCER_COLUMNS, article_rows


def _writer(poison: set[int], log: list[Sequence[int]] | None = None):
    def attempt(items: Sequence[int]) -> None:
        if log is not None:
            log.append(list(items))
        if poison & set(items):
            raise psycopg.DataError("bad")

    return attempt


def test_isolate_poison_keeps_every_good_item() -> None:
    good, bad = isolate_poison(list(range(100)), _writer({3, 50, 99}))
    assert sorted(good) == [i for i in range(100) if i not in {3, 50, 99}]
    assert [item for item, _ in bad] == [3, 50, 99]
    assert all(isinstance(error, psycopg.DataError) for _, error in bad)


def test_isolate_poison_writes_a_clean_batch_in_one_attempt() -> None:
    log: list[Sequence[int]] = []
    good, bad = isolate_poison(list(range(10)), _writer(set(), log))
    assert (good, bad, len(log)) == (list(range(10)), [], 1)


def test_isolate_poison_skips_the_whole_attempt_when_told_it_failed() -> None:
    log: list[Sequence[int]] = []
    isolate_poison(list(range(8)), _writer({5}, log), whole_failed=True)
    assert list(range(8)) not in log


def test_isolate_poison_bisects_in_few_attempts() -> None:
    log: list[Sequence[int]] = []
    isolate_poison(list(range(1024)), _writer({700}, log), whole_failed=True)
    assert len(log) <= 2 * 11


def test_isolate_poison_single_known_bad_item() -> None:
    good, bad = isolate_poison([7], _writer({7}), whole_failed=True)
    assert good == [] and [i for i, _ in bad] == [7]


def test_isolate_poison_lets_transient_errors_through() -> None:
    def attempt(items: Sequence[int]) -> None:
        raise psycopg.OperationalError("connection lost")

    with pytest.raises(psycopg.OperationalError):
        isolate_poison([1, 2], attempt)


@pytest.mark.parametrize(
    "error",
    [psycopg.DataError("nul"), UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogate"),
     pg_errors.ProgramLimitExceeded("index row too big"), psycopg.IntegrityError("fk")],
)  # fmt: skip
def test_poison_errors(error: BaseException) -> None:
    assert is_poison(error) and not is_transient(error)


@pytest.mark.parametrize(
    "error",
    [psycopg.OperationalError("lost"), pg_errors.AdminShutdown("bye"), pg_errors.DeadlockDetected("dl"),
     psycopg.InterfaceError("closed")],
)  # fmt: skip
def test_transient_errors(error: BaseException) -> None:
    assert is_transient(error) and not is_poison(error)


def test_a_bug_is_neither_poison_nor_transient() -> None:
    error = psycopg.ProgrammingError("syntax error")
    assert not is_poison(error) and not is_transient(error)


def _enriched(n: int = 0, **article: object) -> EnrichedArticle:
    url = f"https://news.example.com/{n}"
    values: dict[str, object] = {
        "id": f"id{n}", "url": url, "canonical_url": url, "feed_url": "https://news.example.com/feed",
        "entry_id": f"e{n}", "title": "T", "text": "De Beers cut output.",
        "fetched_at": datetime(2023, 12, 18, tzinfo=UTC),
    }  # fmt: skip
    raw = RawArticle(**{**values, **article})
    event = Event(
        actor="De Beers", action="output_cut", object="diamonds", sentence="De Beers cut output.", start=0, end=20,
        when=TimeRef(text="in November", start=date(2023, 11, 1), end=date(2023, 11, 30), granularity="month"),
        amount=Amount(value=float("nan"), unit="USD", approximate=True, text="about $100 million"),
    )  # fmt: skip
    tags = Tags(
        producers=[Producer(name="De Beers", mentions=2), Producer(name="De Beers", mentions=1)],
        countries=["India", "India"], commodities=["diamonds"], events=[event],
    )  # fmt: skip
    return EnrichedArticle(article=raw, tags=tags, tagger_version="t1", enriched_at=datetime(2023, 12, 18, tzinfo=UTC))


def test_article_rows_lay_out_every_column() -> None:
    rows = article_rows(_enriched())
    assert len(rows.article) == len(ARTICLE_COLUMNS)
    assert all(len(r) == len(PRODUCER_COLUMNS) for r in rows.producers)
    assert all(len(r) == len(EVENT_COLUMNS) for r in rows.events)


def test_article_rows_merge_repeated_producers_and_countries() -> None:
    rows = article_rows(_enriched())
    assert [(r[1], r[-1]) for r in rows.producers] == [("De Beers", 3)]
    assert rows.countries == [("id0", "India")]


def test_article_rows_clean_nul_surrogates_and_nan() -> None:
    rows = article_rows(_enriched(title="a\x00b\ud800"))
    record = dict(zip(ARTICLE_COLUMNS, rows.article, strict=True))
    assert record["title"] == "ab\ufffd"
    event = dict(zip(EVENT_COLUMNS, rows.events[0], strict=True))
    assert event["amount_value"] is None and event["when_start"] == date(2023, 11, 1)


def test_article_rows_record_truncation() -> None:
    rows = article_rows(_enriched(url="https://x.example/" + "a" * 10_000))
    record = dict(zip(ARTICLE_COLUMNS, rows.article, strict=True))
    assert record["truncated_fields"] == ["url"]
    assert len(record["url"]) == 8 * 1024


def test_digest_is_stable_and_tracks_content() -> None:
    first, again = article_rows(_enriched()), article_rows(_enriched())
    changed = article_rows(_enriched(title="Another title"))
    assert first.article[-1] == again.article[-1] != changed.article[-1]


def test_last_per_id_keeps_the_last_and_sorts() -> None:
    a1, b, a2 = article_rows(_enriched(1)), article_rows(_enriched(0)), article_rows(_enriched(1, title="v2"))
    latest = last_per_id([a1, b, a2])
    assert [r.id for r in latest] == ["id0", "id1"]
    assert latest[1] is a2
