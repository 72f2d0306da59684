"""The page's SQL: every statement built from constant fragments with psycopg.sql,
every value a bound parameter.

Events are placed in time by ``article_events.on_date`` (their own start, else
their article's publication date; see migration 3 in sinks/schema.py), which
the indexes cover, so the timeline and the list stay fast on a million events.
The timeline's counts over wide windows add up a rollup of events per month and
year (``event_counts``, migration 5) instead of counting every event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from newsflow.migrations import applied_version
from webapp.filters import Filters

# One word for how an event is drawn: negated wins over any modality.
KIND = sql.SQL("CASE WHEN e.negated THEN 'negated' ELSE e.modality END")
PAGE_SIZE = 50
INDIVIDUAL_LIMIT = 300  # up to this many events the timeline draws each one
MAX_LANES = 15


@dataclass(frozen=True)
class Scope:
    """A filter turned into SQL: the WHERE clause, any join it needs, and its parameters."""

    where: sql.Composable
    join: sql.Composable
    lane: sql.Composable
    params: dict[str, Any]
    lanes: str = "producer"  # what a lane is: producer, country or commodity


def scope(filters: Filters, countries_of: dict[str, str], kind: sql.Composable = KIND) -> Scope:
    """The WHERE clause for ``filters``; ``countries_of`` maps an actor to its country.

    ``kind`` is how a row says its kind: :data:`KIND` on events, a column on the rollup.

    An event's country is its actor's catalogue country, or the actor itself
    when the actor is a country (a government's ban); its commodity is its
    object.
    """
    conditions: list[sql.Composable] = [sql.SQL("TRUE")]
    params: dict[str, Any] = {}

    def add(column: str, name: str, values: list[Any]) -> None:
        # One value compares with "=": Postgres 16 reads an index in order for
        # "=" but not for "= ANY(array)", and the pages want on_date order.
        if len(values) == 1:
            conditions.append(sql.SQL("{} = {}").format(sql.SQL(column), sql.Placeholder(name)))
            params[name] = values[0]
        else:
            conditions.append(sql.SQL("{} = ANY({})").format(sql.SQL(column), sql.Placeholder(name)))
            params[name] = values

    if filters.producers:
        add("e.actor", "producers", list(filters.producers))
    if filters.countries:
        wanted = set(filters.countries)
        add("e.actor", "country_actors", sorted(a for a, c in countries_of.items() if c in wanted))
    if filters.actions:
        add("e.action", "actions", list(filters.actions))
    if filters.commodities:
        add("e.object", "commodities", list(filters.commodities))
    if filters.kinds:
        conditions.append(sql.SQL("{} = ANY(%(kinds)s)").format(kind))
        params["kinds"] = list(filters.kinds)
    if filters.date_from:
        conditions.append(sql.SQL("e.on_date >= %(date_from)s"))
        params["date_from"] = filters.date_from
    if filters.date_to:
        conditions.append(sql.SQL("e.on_date <= %(date_to)s"))
        params["date_to"] = filters.date_to
    join, lane = _lane(filters.lanes, countries_of, params)
    return Scope(sql.SQL(" AND ").join(conditions), join, lane, params, filters.lanes)


def _lane(lanes: str, countries_of: dict[str, str], params: dict[str, Any]) -> tuple[sql.Composable, sql.Composable]:
    """The join and expression giving each event its lane."""
    if lanes == "country":
        params["map_actors"] = list(countries_of)
        params["map_countries"] = list(countries_of.values())
        join = sql.SQL(
            "JOIN unnest(%(map_actors)s::text[], %(map_countries)s::text[]) AS m(actor, country) "
            "ON m.actor = e.actor"
        )
        return join, sql.SQL("m.country")
    if lanes == "commodity":
        return sql.SQL(""), sql.SQL("e.object")
    return sql.SQL(""), sql.SQL("e.actor")


def newest_publication(conn: psycopg.Connection) -> date | None:
    row = conn.execute("SELECT max(published_at) FROM articles").fetchone()
    return row[0].date() if row and row[0] else None


# Pages read in two steps: the keys of the wanted events, in order, from an
# index alone (the indexes of migration 3 cover every filtered column), then
# only those rows. One step would visit the table for every candidate row
# just to test its modality.
_KEYS = """
    SELECT e.article_id, e.ordinal
    FROM article_events e
    WHERE {where} {extra}
    ORDER BY e.on_date DESC NULLS LAST, e.article_id, e.ordinal
    LIMIT %(limit)s OFFSET %(offset)s
"""
_INDIVIDUAL = """
    WITH keys AS MATERIALIZED ({keys})
    SELECT {lane} AS lane, e.on_date, e.when_end, e.when_text, e.actor, e.action, e.object,
           {kind} AS kind, e.article_id, e.ordinal
    FROM keys k JOIN article_events e ON e.article_id = k.article_id AND e.ordinal = k.ordinal
    ORDER BY e.on_date DESC NULLS LAST, e.article_id, e.ordinal
"""


def timeline_events(conn: psycopg.Connection, s: Scope, countries_of: dict[str, str], limit: int) -> list[dict]:
    """Up to ``limit`` dated events of the scope, each with its lane, newest first.

    Country lanes are looked up here rather than joined: a join would keep
    Postgres from reading the date index in order and stopping at ``limit``.
    """
    by_country = s.lanes == "country"
    lane = sql.SQL("e.actor") if by_country else s.lane
    extra = sql.SQL("AND e.on_date IS NOT NULL AND {} IS NOT NULL").format(lane)
    if by_country:
        extra = sql.SQL("{} AND e.actor = ANY(%(map_actors)s)").format(extra)
    keys = sql.SQL(_KEYS).format(where=s.where, extra=extra)
    query = sql.SQL(_INDIVIDUAL).format(keys=keys, lane=lane, kind=KIND)
    rows = _rows(conn, query, {**s.params, "limit": limit, "offset": 0})
    if by_country:
        for row in rows:
            row["lane"] = countries_of[row["lane"]]
    return rows


_COUNTS = """
    WITH counts AS (
        SELECT {lane} AS lane, date_trunc(%(unit)s, e.on_date::timestamp)::date AS bucket,
               {kind} AS kind, count(*) AS n
        FROM article_events e {join}
        WHERE {where} AND e.on_date IS NOT NULL AND {lane} IS NOT NULL
        GROUP BY 1, 2, 3
    ), {top}
"""
# The busiest lanes of ``counts``, each with its total.
_TOP = """
    top AS (
        SELECT lane, sum(n) AS total FROM counts GROUP BY lane ORDER BY total DESC, lane LIMIT %(lanes)s
    )
    SELECT c.lane, c.bucket, c.kind, c.n, t.total
    FROM counts c JOIN top t USING (lane)
    ORDER BY t.total DESC, c.lane, c.bucket, c.kind
"""
# The same counts, each period piece read from where it is cheapest (see
# count_pieces): the rollup (event_counts, migration 5 in sinks/schema.py) for
# whole years and months, the events themselves for the part-months at either
# end, which read the date index over a month at most. So the cost no longer
# grows with the number of events in the window. Counted per month, the busiest
# lanes are chosen first from the coarsest pieces (whole years where the window
# has them), and only those lanes are counted per bucket: a four-year window
# would otherwise sum every lane's 48 months to keep 15 lanes.
_PIECE_COUNTS = """
    WITH counts AS (
        SELECT lane, bucket, kind, sum(n)::bigint AS n FROM ({pieces}) AS pieces GROUP BY 1, 2, 3
    ), {top}
"""
_TOP_FIRST_COUNTS = """
    WITH totals AS (
        SELECT lane, sum(n) AS total FROM ({total_pieces}) AS pieces GROUP BY lane
    ), top AS (
        SELECT lane, total FROM totals ORDER BY total DESC, lane LIMIT %(lanes)s
    ), counts AS (
        SELECT lane, bucket, kind, sum(n)::bigint AS n FROM ({bucket_pieces}) AS pieces GROUP BY 1, 2, 3
    )
    SELECT c.lane, c.bucket, c.kind, c.n, t.total
    FROM counts c JOIN top t USING (lane)
    ORDER BY t.total DESC, c.lane, c.bucket, c.kind
"""
_ROLLUP_PIECE = """
    SELECT {lane} AS lane, date_trunc(%(unit)s, e.period::timestamp)::date AS bucket, e.kind, e.n
    FROM event_counts e {join}
    WHERE {where} AND e.grain = {grain} AND e.period >= {start} AND e.period < {stop} AND {lane} IS NOT NULL
"""
_EVENTS_PIECE = """
    SELECT {lane} AS lane, date_trunc(%(unit)s, e.on_date::timestamp)::date AS bucket, {kind} AS kind, 1 AS n
    FROM article_events e {join}
    WHERE {where} AND e.on_date >= {start} AND e.on_date < {stop} AND {lane} IS NOT NULL
"""
_IN_TOP = sql.SQL(" AND {} IN (SELECT lane FROM top)")
ROLLUP_KIND = sql.SQL("e.kind")  # event_counts stores KIND's value
LAST_ROLLUP_DAY = date(9998, 12, 1)  # beyond it, the first day of the next year does not exist


def timeline_counts(
    conn: psycopg.Connection, filters: Filters, countries_of: dict[str, str], unit: str, lanes: int = MAX_LANES
) -> list[dict]:
    """Events per lane, ``unit`` (week, month, year) and kind, for the busiest lanes.

    The same answer as :func:`raw_counts` (tests/integration/test_event_counts.py),
    from the rollup where the window holds whole months and no action is
    asked (the rollup has no action column).
    """
    buckets = count_pieces(filters.date_from, filters.date_to, unit)
    if filters.actions or all(source == "events" for source, _, _ in buckets):
        return raw_counts(conn, scope(filters, countries_of), unit, lanes)
    totals = count_pieces(filters.date_from, filters.date_to, "year")
    # Each piece bounds its own dates; the filter's dates are the pieces' outer bounds.
    undated = replace(filters, date_from=None, date_to=None)
    events, rollup = scope(undated, countries_of), scope(undated, countries_of, kind=ROLLUP_KIND)
    params: dict[str, Any] = {**events.params, "unit": unit, "lanes": lanes}
    if totals == buckets:  # no coarser pieces to choose the lanes from
        pieces = _pieces(buckets, "b", events, rollup, params, sql.SQL(""))
        query = sql.SQL(_PIECE_COUNTS).format(pieces=pieces, top=sql.SQL(_TOP))
    else:
        query = sql.SQL(_TOP_FIRST_COUNTS).format(
            total_pieces=_pieces(totals, "t", events, rollup, params, sql.SQL("")),
            bucket_pieces=_pieces(buckets, "b", events, rollup, params, _IN_TOP.format(events.lane)),
        )
    return _rows(conn, query, params)


def _pieces(
    pieces: list[tuple[str, date, date]], prefix: str, events: Scope, rollup: Scope, params: dict[str, Any],
    extra: sql.Composable,
) -> sql.Composable:
    """The UNION ALL of ``pieces`` as (lane, bucket, kind, n) rows, each with ``extra`` conditions;
    their bounds go into ``params``."""
    parts = []
    for number, (source, start, stop) in enumerate(pieces):
        names = {key: f"{prefix}{key}{number}" for key in ("start", "stop", "grain")}
        params |= {names["start"]: start, names["stop"]: stop}
        bounds = {"start": sql.Placeholder(names["start"]), "stop": sql.Placeholder(names["stop"])}
        if source == "events":
            part = sql.SQL(_EVENTS_PIECE).format(
                lane=events.lane, kind=KIND, join=events.join, where=events.where, **bounds)
        else:
            params[names["grain"]] = source
            part = sql.SQL(_ROLLUP_PIECE).format(lane=rollup.lane, join=rollup.join, where=rollup.where,
                                                 grain=sql.Placeholder(names["grain"]), **bounds)
        parts.append(sql.Composed([part, extra]))
    return sql.SQL(" UNION ALL ").join(parts)


def raw_counts(conn: psycopg.Connection, s: Scope, unit: str, lanes: int = MAX_LANES) -> list[dict]:
    """:func:`timeline_counts` from the events alone, whatever the window."""
    query = sql.SQL(_COUNTS).format(lane=s.lane, kind=KIND, join=s.join, where=s.where, top=sql.SQL(_TOP))
    return _rows(conn, query, {**s.params, "unit": unit, "lanes": lanes})


def count_pieces(start: date | None, end: date | None, unit: str) -> list[tuple[str, date, date]]:
    """[start, end] cut into pieces ``(source, first day, day after)`` that tile it in order
    ([] when the rollup cannot serve it).

    The source is ``year`` or ``month`` (whole periods of the rollup) or
    ``events`` (the part-periods at the ends). Whole years serve counts per
    year, whole months counts per month or year; weeks straddle months, so
    counts per week read events only, as does a window without both ends.
    """
    if start is None or end is None or start > end or end >= LAST_ROLLUP_DAY:
        return []  # nothing for the rollup: the caller counts the events
    grains = {"year": ("year", "month"), "month": ("month",)}.get(unit, ())
    return _split(start, end + timedelta(days=1), grains)


def _split(start: date, stop: date, grains: tuple[str, ...]) -> list[tuple[str, date, date]]:
    if start >= stop:
        return []
    if not grains:
        return [("events", start, stop)]
    grain, finer = grains[0], grains[1:]
    first, last = _period_after(start, grain), _period_of(stop, grain)
    if first >= last:
        return _split(start, stop, finer)
    return [*_split(start, first, finer), (grain, first, last), *_split(last, stop, finer)]


def _period_of(day: date, grain: str) -> date:
    """The first day of ``day``'s month or year."""
    return date(day.year, 1, 1) if grain == "year" else date(day.year, day.month, 1)


def _period_after(day: date, grain: str) -> date:
    """``day`` if it starts a month (year), else the first day of the next one."""
    period = _period_of(day, grain)
    if period == day:
        return day
    if grain == "year":
        return date(day.year + 1, 1, 1)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


_EVENT_COLUMNS = """
    e.article_id, e.ordinal, e.actor, e.action, e.object, e.when_text, e.when_start, e.when_end,
    e.on_date, e.amount_value, e.amount_unit, e.amount_text, e.change_pct, e.negated, e.modality,
    {kind} AS kind, e.confidence, e.sentence, a.title, a.url, a.site_name, a.published_at
"""
_LIST = """
    WITH keys AS MATERIALIZED ({keys})
    SELECT {columns}
    FROM keys k
    JOIN article_events e ON e.article_id = k.article_id AND e.ordinal = k.ordinal
    JOIN articles a ON a.id = e.article_id
    ORDER BY e.on_date DESC NULLS LAST, e.article_id, e.ordinal
"""


def event_page(conn: psycopg.Connection, s: Scope, page: int) -> tuple[list[dict], bool]:
    """One page of events, newest first, and whether another page follows."""
    keys = sql.SQL(_KEYS).format(where=s.where, extra=sql.SQL(""))
    query = sql.SQL(_LIST).format(keys=keys, columns=sql.SQL(_EVENT_COLUMNS).format(kind=KIND))
    rows = _rows(conn, query, {**s.params, "limit": PAGE_SIZE + 1, "offset": (page - 1) * PAGE_SIZE})
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


_EXPORT = """
    SELECT {columns}
    FROM article_events e JOIN articles a ON a.id = e.article_id
    WHERE {where}
    ORDER BY e.on_date DESC NULLS LAST, e.article_id, e.ordinal
"""


def export_rows(conn: psycopg.Connection, s: Scope) -> Iterator[dict]:
    """Every event of the scope, streamed from a server-side cursor."""
    query = sql.SQL(_EXPORT).format(columns=sql.SQL(_EVENT_COLUMNS).format(kind=KIND), where=s.where)
    with conn.cursor(name="export", row_factory=dict_row) as cur:
        cur.itersize = 2000
        cur.execute(query, s.params)
        yield from cur


def article(conn: psycopg.Connection, article_id: str) -> dict | None:
    rows = _rows(conn, sql.SQL(
        "SELECT id, title, url, site_name, feed_name, authors, published_at, text, extraction "
        "FROM articles WHERE id = %(id)s"
    ), {"id": article_id})
    return rows[0] if rows else None


def article_events(conn: psycopg.Connection, article_id: str) -> list[dict]:
    query = sql.SQL(
        "SELECT ordinal, actor, action, object, when_text, when_start, when_end, amount_text, change_pct, "
        "negated, modality, {kind} AS kind, sentence, start_offset, end_offset "
        "FROM article_events e WHERE article_id = %(id)s ORDER BY start_offset, ordinal"
    ).format(kind=KIND)
    return _rows(conn, query, {"id": article_id})


def article_producers(conn: psycopg.Connection, article_id: str) -> list[str]:
    rows = _rows(conn, sql.SQL(
        "SELECT producer FROM article_producers WHERE article_id = %(id)s ORDER BY mentions DESC, producer"
    ), {"id": article_id})
    return [r["producer"] for r in rows]


def producer_seen(conn: psycopg.Connection, name: str) -> dict | None:
    """What the sink stored about a producer (for one not in the catalogue)."""
    rows = _rows(conn, sql.SQL(
        "SELECT kind, country, in_catalogue, commodities FROM article_producers WHERE producer = %(name)s LIMIT 1"
    ), {"name": name})
    return rows[0] if rows else None


def producer_actions(conn: psycopg.Connection, name: str) -> list[dict]:
    """How often the producer took each action, by kind."""
    query = sql.SQL(
        "SELECT e.action, {kind} AS kind, count(*) AS n FROM article_events e "
        "WHERE e.actor = %(name)s GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
    ).format(kind=KIND)
    return _rows(conn, query, {"name": name})


def producer_articles(conn: psycopg.Connection, name: str, limit: int = 25) -> list[dict]:
    return _rows(conn, sql.SQL(
        "SELECT a.id, a.title, a.site_name, a.published_at, p.mentions "
        "FROM article_producers p JOIN articles a ON a.id = p.article_id "
        "WHERE p.producer = %(name)s ORDER BY a.published_at DESC NULLS LAST, a.id LIMIT %(limit)s"
    ), {"name": name, "limit": limit})


def schema_version(conn: psycopg.Connection) -> int:
    """The sink's schema version: the page reads the sink's tables."""
    return applied_version(conn, "sink")


def _rows(conn: psycopg.Connection, query: sql.Composable, params: dict[str, Any]) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params)
        return cur.fetchall()
