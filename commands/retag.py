"""``newsflow retag``: re-enrich stored articles with the current tagger.

The design (README, "Operator commands"): the stored articles are read from
Postgres (the archive: the raw topic's retention may have dropped them), each
is tagged again exactly as the enrich stage tags it, and the result is
*published*, not written: to ``news.articles.enriched`` (so the sink, the only
writer of the article tables, replaces the article's producers, events,
countries and commodities in one transaction, as it does for any newer
record) and its events to ``news.events`` (so subscribers learn the new
facts). The enriched topic then also carries the current tags, so a database
rebuilt from it gets them too.

Progress is a cursor in Postgres (``retag_runs``, one row per selection and
tagger version). Articles go in id order; per batch: tag, produce, wait for
every acknowledgement, then advance the cursor. Killed anywhere, a re-run
continues after the cursor and re-publishes at most the batch in hand, which
is harmless: the sink upserts on the article id and an event keeps its id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg import sql

from newsflow.errors import NewsflowError
from newsflow.lifecycle import Stopper
from newsflow.models import RawArticle
from newsflow.progress import Progress
from newsflow.settings import Settings

log = logging.getLogger(__name__)

#: pg_try_advisory_lock(classid, objid): the class ("nfrt") and a hash of the run,
#: so two retags of the same selection never run at once.
LOCK_CLASS = 0x6E667274

_RAW_COLUMNS = (
    "id", "url", "canonical_url", "feed_url", "feed_name", "entry_id", "site_name", "title", "summary",
    "text", "authors", "language", "published_at", "fetched_at", "extraction", "extraction_error",
)  # fmt: skip


class RetagBusy(NewsflowError):
    """Another retag of the same selection and tagger version holds the run."""


@dataclass(frozen=True)
class Selection:
    """Which stored articles to retag: all, or a date range on the publication or stored date.

    Dates are whole UTC days, both ends included; an open end is unbounded.
    ``published`` selects on ``articles.published_at`` (an article without a
    publication date is only in ``--all`` and in ``stored`` ranges);
    ``stored`` on ``articles.ingested_at``, when the sink first stored it.
    """

    by: str = "all"  # "all", "published" or "stored"
    since: date | None = None
    until: date | None = None

    @property
    def key(self) -> str:
        """The run's name in ``retag_runs``: the same command names the same run."""
        if self.by == "all":
            return "all"
        return f"{self.by} {self.since or ''}..{self.until or ''}"

    def condition(self) -> tuple[sql.Composable, list[Any]]:
        """The WHERE clause (and its parameters) that selects these articles."""
        if self.by == "all":
            return sql.SQL("TRUE"), []
        column = sql.Identifier("published_at" if self.by == "published" else "ingested_at")
        parts: list[sql.Composable] = [sql.SQL("TRUE")]
        params: list[Any] = []
        if self.since is not None:
            parts.append(sql.SQL("{} >= %s").format(column))
            params.append(datetime.combine(self.since, time.min, UTC))
        if self.until is not None:
            parts.append(sql.SQL("{} < %s").format(column))
            params.append(datetime.combine(self.until + timedelta(days=1), time.min, UTC))
        return sql.SQL(" AND ").join(parts), params


@dataclass
class Run:
    """One row of ``retag_runs``."""

    started_at: datetime
    finished_at: datetime | None
    last_id: str | None
    published: int
    failed: int


@dataclass
class RetagReport:
    tagger_version: str
    total: int = 0
    published: int = 0  # by this process
    failed: int = 0  # by this process: articles the tagger raised on (they keep their old tags)
    resumed_after: int = 0  # articles an earlier, interrupted process had done
    already_done: bool = False
    finished: bool = False
    run: Run | None = None


def run_retag(
    settings: Settings,
    selection: Selection,
    stopper: Stopper,
    *,
    batch_size: int = 200,
    restart: bool = False,
    progress: bool = True,
) -> RetagReport:
    """Retag ``selection`` (resuming its unfinished run) until done or stopped."""
    from enrich.tagger import TAGGER_VERSION
    from newsflow.kafka import ensure_topics
    from sinks.postgres import connect
    from sinks.schema import migrate

    report = RetagReport(TAGGER_VERSION)
    with connect(settings.database_dsn(), "newsflow-retag", settings.database) as conn:
        migrate(conn)
        _lock(conn, selection.key, TAGGER_VERSION)
        run = _open_run(conn, selection.key, TAGGER_VERSION, restart)
        report.run = run
        if run.finished_at is not None:
            report.already_done = True
            return report
        report.total = _count(conn, selection, None)
        report.resumed_after = report.total - _count(conn, selection, run.last_id)
        ensure_topics(settings)
        meter = Progress("retag", report.total, report.resumed_after) if progress else None
        publisher = _Publisher(settings)
        try:
            report.finished = _retag_batches(conn, selection, run, publisher, stopper, batch_size, report, meter)
        finally:
            publisher.close()
            if meter is not None:
                meter.finish()
        if report.finished:
            _finish(conn, selection.key, TAGGER_VERSION)
        report.run = _load_run(conn, selection.key, TAGGER_VERSION)
    return report


def _retag_batches(
    conn: psycopg.Connection,
    selection: Selection,
    run: Run,
    publisher: _Publisher,
    stopper: Stopper,
    batch_size: int,
    report: RetagReport,
    meter: Progress | None,
) -> bool:
    """Tag, publish and checkpoint batch after batch; True when the selection is exhausted."""
    after = run.last_id
    while not stopper.stopped:
        batch = _next_batch(conn, selection, after, batch_size)
        if not batch:
            return True
        published, failed = publisher.publish([_retagged(row) for row in batch])
        # Only after every record of the batch was acknowledged: the checkpoint.
        after = batch[-1]["id"]
        _advance(conn, selection.key, report.tagger_version, after, published, failed)
        report.published += published
        report.failed += failed
        if meter is not None:
            meter.advance(len(batch))
    return False


def _retagged(row: dict[str, Any]) -> Any:
    """The stored article re-enriched, or the exception that stopped it (a row that is no
    longer a valid article, a tagger exception): that article keeps its old tags."""
    from enrich.worker import enrich_article

    try:
        return enrich_article(RawArticle.model_validate(row))
    except Exception as exc:  # noqa: BLE001 - one article's failure must not stop the run
        log.warning("retag: article %s could not be retagged (%s: %s); it keeps its old tags",
                    row["id"], type(exc).__name__, exc)  # fmt: skip
        return exc


class _Publisher:
    """Produces re-enriched articles and their events and checks every acknowledgement."""

    def __init__(self, settings: Settings) -> None:
        from newsflow.kafka import DEAD_LETTER_OVERHEAD, make_producer

        self._settings = settings
        self._budget = settings.max_message_bytes - DEAD_LETTER_OVERHEAD
        self._producer = make_producer(settings)

    def publish(self, items: list[Any]) -> tuple[int, int]:
        """Publish the articles, then their events (the enrich stage's order); (published, failed).

        Any refusal raises: the cursor stays before this batch, and a re-run
        publishes it again.
        """
        from enrich.fit import fit
        from newsflow.models import encode, event_messages

        topics = self._settings.topics
        enriched = [fit(result, self._budget) for result in items if not isinstance(result, Exception)]
        self._confirm([self._producer.send(topics.enriched, key=e.article.id.encode(), value=encode(e)) for e in enriched])
        self._confirm([
            self._producer.send(topics.events, key=event.producer.encode(), value=encode(event))
            for e in enriched for event in event_messages(e)
        ])  # fmt: skip
        return len(enriched), len(items) - len(enriched)

    def _confirm(self, futures: list[Any]) -> None:
        self._producer.flush(timeout=120)
        for future in futures:
            future.get(timeout=0)  # raises the broker's refusal, if any

    def close(self) -> None:
        self._producer.close(timeout=10)


# --- the run's row and the articles ----------------------------------------------


def _lock(conn: psycopg.Connection, key: str, version: str) -> None:
    """Hold the run for this session; another retag of the same run exits instead of racing it."""
    got = conn.execute(
        "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (LOCK_CLASS, f"{key} @ {version}")
    ).fetchone()[0]
    if not got:
        raise RetagBusy(f"another `newsflow retag` of {key!r} with tagger {version} is running")


def _open_run(conn: psycopg.Connection, key: str, version: str, restart: bool) -> Run:
    """The run to continue: the stored one, or a new one (``restart`` begins it again)."""
    if restart:
        conn.execute("DELETE FROM retag_runs WHERE selection = %s AND tagger_version = %s", (key, version))
    # started_at by this process's clock, the one that stamps enriched_at:
    # ``--wait`` compares the two, and the database's clock may differ.
    conn.execute(
        "INSERT INTO retag_runs (selection, tagger_version, started_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (key, version, datetime.now(UTC)),
    )
    return _load_run(conn, key, version)


def _load_run(conn: psycopg.Connection, key: str, version: str) -> Run:
    row = conn.execute(
        "SELECT started_at, finished_at, last_id, published, failed FROM retag_runs "
        "WHERE selection = %s AND tagger_version = %s",
        (key, version),
    ).fetchone()
    return Run(*row)


def _advance(conn: psycopg.Connection, key: str, version: str, last_id: str, published: int, failed: int) -> None:
    conn.execute(
        "UPDATE retag_runs SET last_id = %s, published = published + %s, failed = failed + %s, updated_at = now() "
        "WHERE selection = %s AND tagger_version = %s",
        (last_id, published, failed, key, version),
    )


def _finish(conn: psycopg.Connection, key: str, version: str) -> None:
    conn.execute(
        "UPDATE retag_runs SET finished_at = now(), updated_at = now() WHERE selection = %s AND tagger_version = %s",
        (key, version),
    )


def _count(conn: psycopg.Connection, selection: Selection, after: str | None) -> int:
    """Selected articles, all of them or those after the cursor."""
    condition, params = selection.condition()
    query = sql.SQL("SELECT count(*) FROM articles WHERE {} AND (%s::text IS NULL OR id > %s)").format(condition)
    return conn.execute(query, [*params, after, after]).fetchone()[0]


def _next_batch(conn: psycopg.Connection, selection: Selection, after: str | None, limit: int) -> list[dict[str, Any]]:
    condition, params = selection.condition()
    query = sql.SQL(
        "SELECT {columns} FROM articles WHERE {condition} AND (%s::text IS NULL OR id > %s) ORDER BY id LIMIT %s"
    ).format(columns=sql.SQL(", ").join(map(sql.Identifier, _RAW_COLUMNS)), condition=condition)
    rows = conn.execute(query, [*params, after, after, limit]).fetchall()
    return [dict(zip(_RAW_COLUMNS, row, strict=True)) for row in rows]


def pending_in_sink(settings: Settings, selection: Selection, since: datetime) -> int:
    """Selected articles the sink has not yet stored a retagged version of (enriched before ``since``)."""
    from sinks.postgres import connect

    condition, params = selection.condition()
    query = sql.SQL("SELECT count(*) FROM articles WHERE {} AND enriched_at < %s").format(condition)
    with connect(settings.database_dsn(), "newsflow-retag", settings.database) as conn:
        return conn.execute(query, [*params, since]).fetchone()[0]
