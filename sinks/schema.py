"""The sink's Postgres schema: its ordered migrations, applied on start.

The core runner (:mod:`newsflow.migrations`) applies them in the ``newsflow``
schema under an advisory lock, so two sinks starting together apply each
migration once, and all pending migrations run in one transaction: a failure
leaves the schema as it was. Never edit a released migration: append a new one.
"""

from __future__ import annotations

import psycopg

from newsflow.migrations import SEARCH_PATH, Component, LegacyLayout, Migration, applied_version
from newsflow.migrations import migrate as run_migrations

COMPONENT = "sink"

_V1_TABLES = (
    """
    CREATE TABLE articles (
        id               text PRIMARY KEY,
        url              text NOT NULL,
        canonical_url    text NOT NULL,
        feed_url         text NOT NULL,
        feed_name        text,
        entry_id         text NOT NULL,
        site_name        text,
        title            text,
        summary          text,
        text             text NOT NULL,
        authors          text[] NOT NULL DEFAULT '{}',
        language         text,
        published_at     timestamptz,
        fetched_at       timestamptz NOT NULL,
        extraction       text NOT NULL,
        extraction_error text,
        tagger_version   text NOT NULL,
        enriched_at      timestamptz NOT NULL,
        truncated_fields text[] NOT NULL DEFAULT '{}',
        digest           text NOT NULL,
        ingested_at      timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE article_producers (
        article_id   text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        producer     text NOT NULL,
        kind         text NOT NULL,
        in_catalogue boolean NOT NULL,
        country      text,
        commodities  text[] NOT NULL DEFAULT '{}',
        mentions     integer NOT NULL,
        PRIMARY KEY (article_id, producer)
    )
    """,
    """
    CREATE TABLE article_events (
        article_id           text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        ordinal              integer NOT NULL,
        actor                text NOT NULL,
        action               text NOT NULL,
        object               text,
        when_text            text,
        when_start           date,
        when_end             date,
        when_granularity     text,
        -- The span the event occurred in, for overlap queries (&&, @>).
        occurred             daterange GENERATED ALWAYS AS (
            CASE WHEN when_start <= when_end
                 THEN daterange(when_start, when_end, '[]') END
        ) STORED,
        amount_value         double precision,
        amount_unit          text,
        amount_approximate   boolean,
        amount_text          text,
        change_pct           double precision,
        negated              boolean NOT NULL,
        modality             text NOT NULL,
        confidence           double precision,
        sentence             text NOT NULL,
        start_offset         integer NOT NULL,
        end_offset           integer NOT NULL,
        PRIMARY KEY (article_id, ordinal)
    )
    """,
    """
    CREATE TABLE article_countries (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        country    text NOT NULL,
        PRIMARY KEY (article_id, country)
    )
    """,
    """
    CREATE TABLE article_commodities (
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        commodity  text NOT NULL,
        PRIMARY KEY (article_id, commodity)
    )
    """,
    """
    CREATE TABLE kafka_offsets (
        -- Offsets mean nothing on another cluster (the embedded broker is new
        -- on every start): keyed by the cluster id the broker reports.
        cluster_id     text NOT NULL DEFAULT '',
        consumer_group text NOT NULL,
        topic          text NOT NULL,
        partition      integer NOT NULL,
        next_offset    bigint NOT NULL,
        updated_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (cluster_id, consumer_group, topic, partition)
    )
    """,
)

_V1_INDEXES = (
    "CREATE INDEX articles_published_at_idx ON articles (published_at DESC)",
    "CREATE INDEX articles_feed_url_idx ON articles (feed_url)",
    "CREATE INDEX article_producers_producer_idx ON article_producers (producer)",
    "CREATE INDEX article_events_action_actor_idx ON article_events (action, actor)",
    "CREATE INDEX article_events_actor_idx ON article_events (actor)",
    "CREATE INDEX article_events_occurred_idx ON article_events USING gist (occurred)",
    "CREATE INDEX article_countries_country_idx ON article_countries (country)",
    "CREATE INDEX article_commodities_commodity_idx ON article_commodities (commodity)",
)

# What analysts ask first: who did what, when, in which article.
_V2_VIEW = (
    """
    CREATE VIEW event_facts AS
    SELECT e.actor, e.action, e.object, e.negated, e.modality,
           e.occurred, e.when_start, e.when_end, e.when_granularity, e.when_text,
           e.amount_value, e.amount_unit, e.amount_approximate, e.change_pct,
           e.confidence, e.sentence,
           a.id AS article_id, a.title, a.url, a.site_name, a.published_at
    FROM article_events e
    JOIN articles a ON a.id = e.article_id
    """,
)

# Where an event sits in time for the analyst's page (`newsflow serve`, issue
# 11): its own start when the text states one, else its article's publication
# date (about a third of events state no time). A generated column cannot read
# another table, so a trigger copies the publication date for undated events
# only (the sink inserts articles before their events); ``on_date`` is then
# generated from the two. The indexes serve the page's filters (actor, action,
# object, date range) in ``on_date`` order and cover every filtered column, so
# the timeline's counts and a page's keys are read from an index alone.
_V3_EVENT_DATES = (
    "ALTER TABLE article_events ADD COLUMN published_on date",
    """
    UPDATE article_events e SET published_on = (a.published_at AT TIME ZONE 'UTC')::date
    FROM articles a WHERE a.id = e.article_id AND e.when_start IS NULL
    """,
    """
    ALTER TABLE article_events ADD COLUMN on_date date
        GENERATED ALWAYS AS (coalesce(when_start, published_on)) STORED
    """,
    """
    CREATE FUNCTION article_events_published_on() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.published_on := (SELECT (published_at AT TIME ZONE 'UTC')::date
                             FROM articles WHERE id = NEW.article_id);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER article_events_published_on BEFORE INSERT ON article_events
    FOR EACH ROW WHEN (NEW.when_start IS NULL) EXECUTE FUNCTION article_events_published_on()
    """,
    """
    CREATE INDEX article_events_on_date_idx ON article_events (on_date DESC NULLS LAST, article_id, ordinal)
    INCLUDE (actor, action, object, modality, negated)
    """,
    """
    CREATE INDEX article_events_actor_on_date_idx ON article_events (actor, on_date DESC NULLS LAST)
    INCLUDE (article_id, ordinal, action, object, modality, negated)
    """,
    """
    CREATE INDEX article_events_action_on_date_idx ON article_events (action, on_date DESC NULLS LAST)
    INCLUDE (article_id, ordinal, actor, object, modality, negated)
    """,
    """
    CREATE INDEX article_events_object_on_date_idx ON article_events (object, on_date DESC NULLS LAST)
    INCLUDE (article_id, ordinal, actor, action, modality, negated)
    """,
    # The new indexes lead with the same columns: the old ones only cost writes.
    "DROP INDEX article_events_action_actor_idx",
    "DROP INDEX article_events_actor_idx",
)

# Offsets belong to one log: the topic id (KIP-516) tells a recreated topic,
# or a memory-only broker restarted with the same cluster id, from the old one
# (issue 8). '' on rows written before, and on brokers that give no id.
_V4_TOPIC_ID = ("ALTER TABLE kafka_offsets ADD COLUMN topic_id text NOT NULL DEFAULT ''",)

# Event counts per month and per year, for the analyst's timeline over wide
# date ranges (issue 11): counting a year of raw events took 300 ms, six years
# 2.3 s. A row per (grain, period, actor, object, kind): the lanes (actor, its
# country, object) and every filter but the action, so the count of whole
# months or years is a sum of rows here and equals the raw count exactly; the
# page counts raw events for the rest (part-months, action filters). The
# action is left out on purpose: with it, the rows were half as many as the
# events (548,000 for a million events in the benchmark, by month), and
# summing six years of them still took 1.0-1.4 s.
#
# Statement-level triggers keep it in the transaction that writes the events,
# whoever writes them: the sink's COPY, its delete of a re-enriched article's
# old events, a cascade from a deleted article, a bulk load. A replay that
# changes nothing writes no event and so no count; a rollback undoes both; a
# row brought to 0 is deleted, so only periods and lanes with events remain,
# as the raw query sees them. ``kind`` is what the page draws
# (webapp/queries.py KIND): negated wins over modality.
#
# Two sinks touch the same rows (this year's row of a busy producer is in
# every batch), and a rewrite changes them twice (its delete, then its
# insert), so two writers could each hold a row the other wants: a deadlock.
# Each trigger first takes a transaction-scoped advisory lock ("nfcounts"), so
# writers of events take turns from their first change of the counts to their
# commit, which the shared rows mostly imposed anyway; what a batch writes
# before its events (articles, producers) still runs side by side.
_V5_EVENT_COUNTS = (
    """
    CREATE TABLE event_counts (
        grain  text NOT NULL CHECK (grain IN ('month', 'year')),
        period date NOT NULL,  -- the first day of on_date's month or year
        actor  text NOT NULL,
        object text,
        kind   text NOT NULL,
        n      bigint NOT NULL,
        CONSTRAINT event_counts_key UNIQUE NULLS NOT DISTINCT (grain, period, actor, object, kind)
    )
    """,
    # The timeline's narrow filters read their lane's periods, not every period.
    "CREATE INDEX event_counts_actor_idx ON event_counts (actor, grain, period)",
    "CREATE INDEX event_counts_object_idx ON event_counts (object, grain, period)",
    # Rows a removal brought to 0, found without a scan, then deleted.
    "CREATE INDEX event_counts_empty_idx ON event_counts (period) WHERE n = 0",
    """
    CREATE FUNCTION event_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(7955155122159252595);  -- 'nfcounts', see above
        INSERT INTO event_counts AS c (grain, period, actor, object, kind, n)
        SELECT g.grain, date_trunc(g.grain, e.on_date::timestamp)::date, e.actor, e.object,
               CASE WHEN e.negated THEN 'negated' ELSE e.modality END, count(*)
        FROM new_events e CROSS JOIN (VALUES ('month'), ('year')) AS g (grain)
        WHERE e.on_date IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ON CONSTRAINT event_counts_key DO UPDATE SET n = c.n + EXCLUDED.n;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION event_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(7955155122159252595);  -- 'nfcounts', see above
        INSERT INTO event_counts AS c (grain, period, actor, object, kind, n)
        SELECT g.grain, date_trunc(g.grain, e.on_date::timestamp)::date, e.actor, e.object,
               CASE WHEN e.negated THEN 'negated' ELSE e.modality END, -count(*)
        FROM old_events e CROSS JOIN (VALUES ('month'), ('year')) AS g (grain)
        WHERE e.on_date IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ON CONSTRAINT event_counts_key DO UPDATE SET n = c.n + EXCLUDED.n;
        DELETE FROM event_counts WHERE n = 0;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION event_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(7955155122159252595);  -- 'nfcounts', see above
        INSERT INTO event_counts AS c (grain, period, actor, object, kind, n)
        SELECT g.grain, date_trunc(g.grain, e.on_date::timestamp)::date, e.actor, e.object, e.kind, sum(e.d)
        FROM (
            SELECT on_date, actor, object, CASE WHEN negated THEN 'negated' ELSE modality END AS kind, 1 AS d
            FROM new_events
            UNION ALL
            SELECT on_date, actor, object, CASE WHEN negated THEN 'negated' ELSE modality END, -1
            FROM old_events
        ) AS e CROSS JOIN (VALUES ('month'), ('year')) AS g (grain)
        WHERE e.on_date IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(e.d) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ON CONSTRAINT event_counts_key DO UPDATE SET n = c.n + EXCLUDED.n;
        DELETE FROM event_counts WHERE n = 0;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION event_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(7955155122159252595);
        DELETE FROM event_counts;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER event_counts_inserted AFTER INSERT ON article_events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION event_counts_inserted()
    """,
    """
    CREATE TRIGGER event_counts_deleted AFTER DELETE ON article_events
    REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION event_counts_deleted()
    """,
    """
    CREATE TRIGGER event_counts_updated AFTER UPDATE ON article_events
    REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_updated()
    """,
    """
    CREATE TRIGGER event_counts_truncated AFTER TRUNCATE ON article_events
    FOR EACH STATEMENT EXECUTE FUNCTION event_counts_truncated()
    """,
    # The events stored before this migration (writers wait: CREATE TRIGGER locks them out).
    """
    INSERT INTO event_counts (grain, period, actor, object, kind, n)
    SELECT g.grain, date_trunc(g.grain, e.on_date::timestamp)::date, e.actor, e.object,
           CASE WHEN e.negated THEN 'negated' ELSE e.modality END, count(*)
    FROM article_events e CROSS JOIN (VALUES ('month'), ('year')) AS g (grain)
    WHERE e.on_date IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
    """,
)

# ``newsflow retag`` (issue 10): one row per selection of articles and tagger
# version, its cursor advanced after each batch's records were acknowledged,
# so a killed retag continues where it stopped. ``last_id``: every selected
# article with an id up to it has been re-published (articles go in id order).
_V7_RETAG_RUNS = (
    """
    CREATE TABLE retag_runs (
        selection      text NOT NULL,
        tagger_version text NOT NULL,
        started_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        finished_at    timestamptz,
        last_id        text,
        published      bigint NOT NULL DEFAULT 0,
        failed         bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (selection, tagger_version)
    )
    """,
)

# The trigger functions name tables unqualified: with their own search_path
# they work from any session (an operator's psql, a bulk load), not only from
# sessions that put the newsflow schema on their path.
_V6_PINNED_FUNCTIONS = tuple(
    f"ALTER FUNCTION {name}() SET search_path = {SEARCH_PATH}"
    for name in (
        "article_events_published_on", "event_counts_inserted", "event_counts_deleted",
        "event_counts_updated", "event_counts_truncated",
    )
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "articles, tags, events and kafka offsets", _V1_TABLES + _V1_INDEXES),
    Migration(2, "event_facts view", _V2_VIEW),
    Migration(3, "event dates and indexes for the analyst's page", _V3_EVENT_DATES),
    Migration(4, "kafka_offsets.topic_id", _V4_TOPIC_ID),
    Migration(5, "event counts per month and year for the timeline", _V5_EVENT_COUNTS),
    Migration(6, "trigger functions find their tables from any search_path", _V6_PINNED_FUNCTIONS),
    Migration(7, "retag runs: the cursor of newsflow retag", _V7_RETAG_RUNS),
)

# Before the newsflow schema (up to version 5): all in public, ledger ``schema_migrations``.
LEGACY = LegacyLayout(
    ledger="schema_migrations",
    named_ledger=True,
    tables=("articles", "article_producers", "article_events", "article_countries", "article_commodities",
            "kafka_offsets", "event_counts"),
    views=("event_facts",),
    functions=("article_events_published_on", "event_counts_inserted", "event_counts_deleted",
               "event_counts_updated", "event_counts_truncated"),
)


def component(migrations: tuple[Migration, ...] = MIGRATIONS) -> Component:
    return Component(COMPONENT, migrations, LEGACY)


def migrate(conn: psycopg.Connection, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply the sink's pending migrations; return the versions applied."""
    return run_migrations(conn, component(migrations))


def current_version(conn: psycopg.Connection) -> int:
    return applied_version(conn, COMPONENT)
