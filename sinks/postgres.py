"""Idempotent batch writes of enriched articles, with the Kafka offsets beside them.

One transaction holds a batch's rows *and* the consumer offsets that follow
it (``kafka_offsets``), so after a crash at any instant Postgres says exactly
which records are stored: none lost, none twice. Writes are idempotent on the
article id: a replayed record whose content is unchanged (same ``digest``)
touches no row, and an older version never overwrites a newer one.

How a batch is written, for speed (thousands of articles per second):

1. COPY the article rows into a session temp table (``sink_stage``);
2. ``INSERT .. SELECT .. ON CONFLICT (id) DO UPDATE .. WHERE`` the digest
   differs and the record is not older, ``RETURNING id``: only new or changed
   articles come back;
3. for those ids only, delete the child rows and COPY the new ones in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from kafka import TopicPartition
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from newsflow.migrations import with_search_path
from newsflow.settings import DatabaseConfig
from sinks.positioning import StoredOffset
from sinks.rows import (
    ARTICLE_COLUMNS,
    COMMODITY_COLUMNS,
    COUNTRY_COLUMNS,
    EVENT_COLUMNS,
    PRODUCER_COLUMNS,
    ArticleRows,
    Row,
)

STAGE_TABLE = "sink_stage"

_CHILD_TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("article_producers", PRODUCER_COLUMNS, "producers"),
    ("article_events", EVENT_COLUMNS, "events"),
    ("article_countries", COUNTRY_COLUMNS, "countries"),
    ("article_commodities", COMMODITY_COLUMNS, "commodities"),
)


def connect(
    dsn: str, application_name: str = "newsflow-sink", deadlines: DatabaseConfig | None = None
) -> psycopg.Connection:
    """An autocommit connection (transactions are explicit), session time zone UTC, with deadlines.

    Keepalives, ``tcp_user_timeout`` and ``connect_timeout`` are set unless
    the DSN sets them itself; the statement and idle-in-transaction timeouts
    are session settings, so a DSN's own ``options`` are kept (``search_path``,
    for the newsflow schema, is added to them).
    """
    deadlines = deadlines or DatabaseConfig()
    params = {**deadlines.libpq_params(), **conninfo_to_dict(with_search_path(dsn))}
    params.setdefault("application_name", application_name)
    conn = psycopg.connect(make_conninfo(**params), autocommit=True)
    session = deadlines.session_settings()
    conn.execute(
        "SELECT set_config('TimeZone', 'UTC', false), set_config('statement_timeout', %s, false), "
        "set_config('idle_in_transaction_session_timeout', %s, false)",
        (session["statement_timeout"], session["idle_in_transaction_session_timeout"]),
    )
    return conn


def prepare_session(conn: psycopg.Connection) -> None:
    """Create this session's stage table if missing (temp tables live per connection).

    Cheap enough to run per batch, and then a reconnect needs no extra step.
    """
    conn.execute(
        sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} (LIKE articles INCLUDING DEFAULTS) ON COMMIT DELETE ROWS").format(
            sql.Identifier(STAGE_TABLE)
        )
    )


def write_rows(conn: psycopg.Connection, rows: Sequence[ArticleRows]) -> list[str]:
    """Upsert articles and replace their children, atomically; return the new or changed ids.

    Atomic on its own: a transaction, or a savepoint inside the caller's, so a
    failed attempt leaves nothing behind and the caller's transaction usable.
    (Autocommit statements would not do: the stage table empties at each commit.)
    """
    latest = last_per_id(rows)
    if not latest:
        return []
    with conn.transaction():
        prepare_session(conn)
        changed = _upsert_article_rows(conn, [r.article for r in latest])
        changed_set = set(changed)
        _replace_children(conn, [r for r in latest if r.id in changed_set])
    return changed


def last_per_id(rows: Iterable[ArticleRows]) -> list[ArticleRows]:
    """One row set per article id, the last seen winning, sorted by id.

    ``ON CONFLICT DO UPDATE`` cannot touch one row twice in a statement, and a
    fixed lock order keeps two sinks writing overlapping ids from deadlocking.
    """
    by_id = {r.id: r for r in rows}
    return [by_id[k] for k in sorted(by_id)]


def _upsert_article_rows(conn: psycopg.Connection, rows: list[Row]) -> list[str]:
    stage = sql.Identifier(STAGE_TABLE)
    columns = sql.SQL(", ").join(map(sql.Identifier, ARTICLE_COLUMNS))
    with conn.cursor() as cur:
        cur.execute(sql.SQL("TRUNCATE {}").format(stage))  # an earlier attempt in this transaction
        with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, columns)) as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(_upsert_statement(stage, columns))
        return [r[0] for r in cur.fetchall()]


def _upsert_statement(stage: sql.Identifier, columns: sql.Composable) -> sql.Composed:
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in ARTICLE_COLUMNS if c != "id"
    )
    # ingested_at is not in the list: it keeps the time the article first arrived.
    return sql.SQL(
        "INSERT INTO articles ({columns}) SELECT {columns} FROM {stage} "
        "ON CONFLICT (id) DO UPDATE SET {updates}, updated_at = now() "
        "WHERE articles.digest IS DISTINCT FROM EXCLUDED.digest "
        "AND articles.enriched_at <= EXCLUDED.enriched_at "
        "RETURNING id"
    ).format(columns=columns, stage=stage, updates=updates)


def _replace_children(conn: psycopg.Connection, rows: list[ArticleRows]) -> None:
    """Delete the articles' old child rows, all tables in one statement, then copy in the new ones.

    One statement instead of one per table, and no COPY for a table with no
    new rows: a batch costs Postgres and the sink per statement (issue 9 #4).
    """
    if not rows:
        return
    with conn.cursor() as cur:
        cur.execute(_DELETE_CHILDREN, {"ids": [r.id for r in rows]})
        for table, columns, attribute in _CHILD_TABLES:
            children = [child for r in rows for child in getattr(r, attribute)]
            if children:
                _copy_rows(cur, table, columns, children)


def _delete_children_statement() -> sql.Composed:
    """``WITH t1 AS (DELETE FROM t1 ...), ... DELETE FROM tn ...``: every child table's rows of ``%(ids)s``."""
    deletes = [
        sql.SQL("DELETE FROM {} WHERE article_id = ANY(%(ids)s)").format(sql.Identifier(table))
        for table, _, _ in _CHILD_TABLES
    ]
    steps = sql.SQL(", ").join(
        sql.SQL("{} AS ({})").format(sql.Identifier(f"d{n}"), delete) for n, delete in enumerate(deletes[:-1])
    )
    return sql.SQL("WITH {} {}").format(steps, deletes[-1])


_DELETE_CHILDREN = _delete_children_statement()


def _copy_rows(cur: psycopg.Cursor, table: str, columns: tuple[str, ...], rows: Iterable[Row]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def store_offsets(
    conn: psycopg.Connection,
    group: str,
    offsets: dict[TopicPartition, int],
    cluster: str = "",
    topic_id: str = "",
) -> None:
    """Record the next offset to read per partition; never move one backwards on the same log.

    GREATEST keeps a late writer (a consumer that lost its partitions during a
    rebalance and commits an older batch) from rewinding the partition. An
    offset from another log (a different ``topic_id``) replaces the row: the
    old log's offsets mean nothing on the new one.
    """
    if not offsets:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO kafka_offsets (cluster_id, consumer_group, topic, partition, next_offset, topic_id) "
            "VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (cluster_id, consumer_group, topic, partition) DO UPDATE "
            "SET next_offset = CASE WHEN kafka_offsets.topic_id = EXCLUDED.topic_id "
            "    THEN GREATEST(kafka_offsets.next_offset, EXCLUDED.next_offset) ELSE EXCLUDED.next_offset END, "
            "  topic_id = EXCLUDED.topic_id, updated_at = now() "
            "WHERE kafka_offsets.next_offset < EXCLUDED.next_offset OR kafka_offsets.topic_id <> EXCLUDED.topic_id",
            [(cluster, group, tp.topic, tp.partition, offset, topic_id) for tp, offset in sorted(offsets.items())],
        )


def reset_offsets(
    conn: psycopg.Connection, group: str, offsets: dict[TopicPartition, int], cluster: str, topic_id: str
) -> None:
    """Overwrite the stored offsets, backwards too: the sink decided to replay these partitions.

    Without this, GREATEST in :func:`store_offsets` would keep the old log's
    higher offsets, and the next start would skip what the replay had not
    reached yet.
    """
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO kafka_offsets (cluster_id, consumer_group, topic, partition, next_offset, topic_id) "
            "VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (cluster_id, consumer_group, topic, partition) DO UPDATE "
            "SET next_offset = EXCLUDED.next_offset, topic_id = EXCLUDED.topic_id, updated_at = now()",
            [(cluster, group, tp.topic, tp.partition, offset, topic_id) for tp, offset in sorted(offsets.items())],
        )


def load_stored_offsets(conn: psycopg.Connection, group: str, topic: str, cluster: str) -> dict[int, StoredOffset]:
    """The stored next offset per partition, with the topic id of the log it was read from."""
    rows = conn.execute(
        "SELECT partition, next_offset, topic_id FROM kafka_offsets "
        "WHERE cluster_id = %s AND consumer_group = %s AND topic = %s",
        (cluster, group, topic),
    ).fetchall()
    return {partition: StoredOffset(offset, topic_id) for partition, offset, topic_id in rows}
