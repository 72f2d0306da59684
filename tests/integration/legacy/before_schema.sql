-- Made by make_dump.py from ea63b7b: the layout before the newsflow schema.
--
-- PostgreSQL database dump
--

-- Dumped from database version 16.2
-- Dumped by pg_dump version 16.2

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: article_events_published_on(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.article_events_published_on() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        NEW.published_on := (SELECT (published_at AT TIME ZONE 'UTC')::date
                             FROM articles WHERE id = NEW.article_id);
        RETURN NEW;
    END
    $$;


--
-- Name: event_counts_deleted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.event_counts_deleted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
    $$;


--
-- Name: event_counts_inserted(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.event_counts_inserted() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
    $$;


--
-- Name: event_counts_truncated(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.event_counts_truncated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        PERFORM pg_advisory_xact_lock(7955155122159252595);
        DELETE FROM event_counts;
        RETURN NULL;
    END
    $$;


--
-- Name: event_counts_updated(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.event_counts_updated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
    $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: article_commodities; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.article_commodities (
    article_id text NOT NULL,
    commodity text NOT NULL
);


--
-- Name: article_countries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.article_countries (
    article_id text NOT NULL,
    country text NOT NULL
);


--
-- Name: article_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.article_events (
    article_id text NOT NULL,
    ordinal integer NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    object text,
    when_text text,
    when_start date,
    when_end date,
    when_granularity text,
    occurred daterange GENERATED ALWAYS AS (
CASE
    WHEN (when_start <= when_end) THEN daterange(when_start, when_end, '[]'::text)
    ELSE NULL::daterange
END) STORED,
    amount_value double precision,
    amount_unit text,
    amount_approximate boolean,
    amount_text text,
    change_pct double precision,
    negated boolean NOT NULL,
    modality text NOT NULL,
    confidence double precision,
    sentence text NOT NULL,
    start_offset integer NOT NULL,
    end_offset integer NOT NULL,
    published_on date,
    on_date date GENERATED ALWAYS AS (COALESCE(when_start, published_on)) STORED
);


--
-- Name: article_producers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.article_producers (
    article_id text NOT NULL,
    producer text NOT NULL,
    kind text NOT NULL,
    in_catalogue boolean NOT NULL,
    country text,
    commodities text[] DEFAULT '{}'::text[] NOT NULL,
    mentions integer NOT NULL
);


--
-- Name: articles; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.articles (
    id text NOT NULL,
    url text NOT NULL,
    canonical_url text NOT NULL,
    feed_url text NOT NULL,
    feed_name text,
    entry_id text NOT NULL,
    site_name text,
    title text,
    summary text,
    text text NOT NULL,
    authors text[] DEFAULT '{}'::text[] NOT NULL,
    language text,
    published_at timestamp with time zone,
    fetched_at timestamp with time zone NOT NULL,
    extraction text NOT NULL,
    extraction_error text,
    tagger_version text NOT NULL,
    enriched_at timestamp with time zone NOT NULL,
    truncated_fields text[] DEFAULT '{}'::text[] NOT NULL,
    digest text NOT NULL,
    ingested_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: event_counts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.event_counts (
    grain text NOT NULL,
    period date NOT NULL,
    actor text NOT NULL,
    object text,
    kind text NOT NULL,
    n bigint NOT NULL,
    CONSTRAINT event_counts_grain_check CHECK ((grain = ANY (ARRAY['month'::text, 'year'::text])))
);


--
-- Name: event_facts; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.event_facts AS
 SELECT e.actor,
    e.action,
    e.object,
    e.negated,
    e.modality,
    e.occurred,
    e.when_start,
    e.when_end,
    e.when_granularity,
    e.when_text,
    e.amount_value,
    e.amount_unit,
    e.amount_approximate,
    e.change_pct,
    e.confidence,
    e.sentence,
    a.id AS article_id,
    a.title,
    a.url,
    a.site_name,
    a.published_at
   FROM (public.article_events e
     JOIN public.articles a ON ((a.id = e.article_id)));


--
-- Name: ingest_entries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ingest_entries (
    feed_key text NOT NULL,
    entry_id text NOT NULL,
    article_id text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    seen_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: ingest_feeds; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ingest_feeds (
    url text NOT NULL,
    name text,
    interval_s double precision NOT NULL,
    active boolean DEFAULT true NOT NULL,
    etag text,
    last_modified text,
    next_check_at timestamp with time zone DEFAULT now() NOT NULL,
    consecutive_errors integer DEFAULT 0 NOT NULL,
    last_error text,
    last_error_at timestamp with time zone,
    last_polled_at timestamp with time zone,
    last_success_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    feed_key text NOT NULL,
    last_warning text,
    last_warning_at timestamp with time zone,
    lease_owner text,
    lease_expires_at timestamp with time zone
);


--
-- Name: ingest_page_retries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ingest_page_retries (
    feed_key text NOT NULL,
    entry_id text NOT NULL,
    entry jsonb NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    first_failed_at timestamp with time zone NOT NULL,
    next_attempt_at timestamp with time zone NOT NULL,
    last_error text
);


--
-- Name: ingest_schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ingest_schema_migrations (
    version integer NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: kafka_offsets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.kafka_offsets (
    cluster_id text DEFAULT ''::text NOT NULL,
    consumer_group text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    topic_id text DEFAULT ''::text NOT NULL
);


--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Data for Name: article_commodities; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: article_countries; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: article_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.article_events VALUES ('a1', 0, 'OPEC+', 'cut', 'crude oil', NULL, '2026-11-01', '2026-11-30', NULL, DEFAULT, NULL, NULL, NULL, NULL, NULL, false, 'asserted', NULL, 'OPEC+ cut output.', 0, 17, NULL, DEFAULT);
INSERT INTO public.article_events VALUES ('a1', 1, 'OPEC+', 'raise', 'crude oil', NULL, NULL, NULL, NULL, DEFAULT, NULL, NULL, NULL, NULL, NULL, false, 'planned', NULL, 'OPEC+ cut output.', 0, 17, '2026-11-29', DEFAULT);


--
-- Data for Name: article_producers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.article_producers VALUES ('a1', 'OPEC+', 'organisation', true, NULL, '{oil}', 2);


--
-- Data for Name: articles; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.articles VALUES ('a1', 'https://example.org/a1', 'https://example.org/a1', 'https://example.org/ok.xml', NULL, 'e1', NULL, 'OPEC+ cuts', NULL, 'OPEC+ cut output.', '{}', NULL, '2026-11-29 08:00:00+00', '2026-11-30 12:00:00+00', 'full', NULL, 't1', '2026-11-30 12:00:00+00', '{}', 'd1', '2026-12-03 17:36:38.171389+00', '2026-12-03 17:36:38.171389+00');


--
-- Data for Name: event_counts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.event_counts VALUES ('month', '2026-11-01', 'OPEC+', 'crude oil', 'asserted', 1);
INSERT INTO public.event_counts VALUES ('month', '2026-11-01', 'OPEC+', 'crude oil', 'planned', 1);
INSERT INTO public.event_counts VALUES ('year', '2026-01-01', 'OPEC+', 'crude oil', 'asserted', 1);
INSERT INTO public.event_counts VALUES ('year', '2026-01-01', 'OPEC+', 'crude oil', 'planned', 1);


--
-- Data for Name: ingest_entries; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ingest_entries VALUES ('feed:9a235f5f5ba5503e6e2a3f5ad64614b3', 'e1', 'a1', 'news.articles.raw', 0, 7, '2026-12-03 17:36:38.130025+00');


--
-- Data for Name: ingest_feeds; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ingest_feeds VALUES ('https://example.org/ok.xml', 'ok', 900, true, '"etag-1"', NULL, '2026-12-03 17:51:38.129363+00', 0, NULL, NULL, '2026-11-30 12:00:00+00', '2026-11-30 12:00:00+00', '2026-12-03 17:36:38.1252+00', 'feed:9a235f5f5ba5503e6e2a3f5ad64614b3', NULL, NULL, 'vm/25254/2e3236b9', '2026-12-03 17:37:38.128292+00');
INSERT INTO public.ingest_feeds VALUES ('https://example.org/broken.xml?token=REDACTED', 'broken', 900, true, NULL, NULL, '2026-12-03 18:36:38.130901+00', 12, 'HTTPStatusError: 404 Not Found', '2026-11-30 12:00:00+00', '2026-11-30 12:00:00+00', NULL, '2026-12-03 17:36:38.1252+00', 'feed:d7b671ce4e2f2d13bd4b0e3461b1d5c2', NULL, NULL, 'vm/25254/2e3236b9', '2026-12-03 17:37:38.128292+00');


--
-- Data for Name: ingest_page_retries; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: ingest_schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ingest_schema_migrations VALUES (1, '2026-12-03 17:36:38.107084+00');
INSERT INTO public.ingest_schema_migrations VALUES (2, '2026-12-03 17:36:38.107084+00');
INSERT INTO public.ingest_schema_migrations VALUES (3, '2026-12-03 17:36:38.107084+00');
INSERT INTO public.ingest_schema_migrations VALUES (4, '2026-12-03 17:36:38.107084+00');


--
-- Data for Name: kafka_offsets; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.kafka_offsets VALUES ('c1', 'newsflow-sink', 'news.articles.enriched', 0, 42, '2026-12-03 17:36:38.174438+00', '');


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_migrations VALUES (1, 'articles, tags, events and kafka offsets', '2026-12-03 17:36:38.134736+00');
INSERT INTO public.schema_migrations VALUES (2, 'event_facts view', '2026-12-03 17:36:38.134736+00');
INSERT INTO public.schema_migrations VALUES (3, 'event dates and indexes for the analyst''s page', '2026-12-03 17:36:38.134736+00');
INSERT INTO public.schema_migrations VALUES (4, 'kafka_offsets.topic_id', '2026-12-03 17:36:38.134736+00');
INSERT INTO public.schema_migrations VALUES (5, 'event counts per month and year for the timeline', '2026-12-03 17:36:38.134736+00');


--
-- Name: article_commodities article_commodities_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_commodities
    ADD CONSTRAINT article_commodities_pkey PRIMARY KEY (article_id, commodity);


--
-- Name: article_countries article_countries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_countries
    ADD CONSTRAINT article_countries_pkey PRIMARY KEY (article_id, country);


--
-- Name: article_events article_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_events
    ADD CONSTRAINT article_events_pkey PRIMARY KEY (article_id, ordinal);


--
-- Name: article_producers article_producers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_producers
    ADD CONSTRAINT article_producers_pkey PRIMARY KEY (article_id, producer);


--
-- Name: articles articles_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.articles
    ADD CONSTRAINT articles_pkey PRIMARY KEY (id);


--
-- Name: event_counts event_counts_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.event_counts
    ADD CONSTRAINT event_counts_key UNIQUE NULLS NOT DISTINCT (grain, period, actor, object, kind);


--
-- Name: ingest_entries ingest_entries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ingest_entries
    ADD CONSTRAINT ingest_entries_pkey PRIMARY KEY (feed_key, entry_id);


--
-- Name: ingest_feeds ingest_feeds_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ingest_feeds
    ADD CONSTRAINT ingest_feeds_pkey PRIMARY KEY (feed_key);


--
-- Name: ingest_page_retries ingest_page_retries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ingest_page_retries
    ADD CONSTRAINT ingest_page_retries_pkey PRIMARY KEY (feed_key, entry_id);


--
-- Name: ingest_schema_migrations ingest_schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ingest_schema_migrations
    ADD CONSTRAINT ingest_schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: kafka_offsets kafka_offsets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.kafka_offsets
    ADD CONSTRAINT kafka_offsets_pkey PRIMARY KEY (cluster_id, consumer_group, topic, partition);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: article_commodities_commodity_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX article_commodities_commodity_idx ON public.article_commodities USING btree (commodity);


--
-- Name: article_countries_country_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX article_countries_country_idx ON public.article_countries USING btree (country);


--
-- Name: article_events_action_on_date_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX article_events_action_on_date_idx ON public.article_events USING btree (action, on_date DESC NULLS LAST) INCLUDE (article_id, ordinal, actor, object, modality, negated);


--
-- Name: article_events_actor_on_date_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX article_events_actor_on_date_idx ON public.article_events USING btree (actor, on_date DESC NULLS LAST) INCLUDE (article_id, ordinal, action, object, modality, negated);


--
-- Name: article_events_object_on_date_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX article_events_object_on_date_idx ON public.article_events USING btree (object, on_date DESC NULLS LAST) INCLUDE (article_id, ordinal, actor, action, modality, negated);


--
-- Name: article_events_occurred_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX article_events_occurred_idx ON public.article_events USING gist (occurred);


--
-- Name: article_events_on_date_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX article_events_on_date_idx ON public.article_events USING btree (on_date DESC NULLS LAST, article_id, ordinal) INCLUDE (actor, action, object, modality, negated);


--
-- Name: article_producers_producer_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX article_producers_producer_idx ON public.article_producers USING btree (producer);


--
-- Name: articles_feed_url_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX articles_feed_url_idx ON public.articles USING btree (feed_url);


--
-- Name: articles_published_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX articles_published_at_idx ON public.articles USING btree (published_at DESC);


--
-- Name: event_counts_actor_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX event_counts_actor_idx ON public.event_counts USING btree (actor, grain, period);


--
-- Name: event_counts_empty_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX event_counts_empty_idx ON public.event_counts USING btree (period) WHERE (n = 0);


--
-- Name: event_counts_object_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX event_counts_object_idx ON public.event_counts USING btree (object, grain, period);


--
-- Name: ingest_entries_article_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ingest_entries_article_id ON public.ingest_entries USING btree (article_id);


--
-- Name: ingest_entries_seen_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ingest_entries_seen_at ON public.ingest_entries USING btree (feed_key, seen_at);


--
-- Name: ingest_feeds_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ingest_feeds_due ON public.ingest_feeds USING btree (next_check_at) WHERE active;


--
-- Name: ingest_page_retries_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ingest_page_retries_due ON public.ingest_page_retries USING btree (feed_key, next_attempt_at);


--
-- Name: article_events article_events_published_on; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER article_events_published_on BEFORE INSERT ON public.article_events FOR EACH ROW WHEN ((new.when_start IS NULL)) EXECUTE FUNCTION public.article_events_published_on();


--
-- Name: article_events event_counts_deleted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER event_counts_deleted AFTER DELETE ON public.article_events REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION public.event_counts_deleted();


--
-- Name: article_events event_counts_inserted; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER event_counts_inserted AFTER INSERT ON public.article_events REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION public.event_counts_inserted();


--
-- Name: article_events event_counts_truncated; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER event_counts_truncated AFTER TRUNCATE ON public.article_events FOR EACH STATEMENT EXECUTE FUNCTION public.event_counts_truncated();


--
-- Name: article_events event_counts_updated; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER event_counts_updated AFTER UPDATE ON public.article_events REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION public.event_counts_updated();


--
-- Name: article_commodities article_commodities_article_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_commodities
    ADD CONSTRAINT article_commodities_article_id_fkey FOREIGN KEY (article_id) REFERENCES public.articles(id) ON DELETE CASCADE;


--
-- Name: article_countries article_countries_article_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_countries
    ADD CONSTRAINT article_countries_article_id_fkey FOREIGN KEY (article_id) REFERENCES public.articles(id) ON DELETE CASCADE;


--
-- Name: article_events article_events_article_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_events
    ADD CONSTRAINT article_events_article_id_fkey FOREIGN KEY (article_id) REFERENCES public.articles(id) ON DELETE CASCADE;


--
-- Name: article_producers article_producers_article_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.article_producers
    ADD CONSTRAINT article_producers_article_id_fkey FOREIGN KEY (article_id) REFERENCES public.articles(id) ON DELETE CASCADE;


--
-- Name: ingest_entries ingest_entries_feed_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ingest_entries
    ADD CONSTRAINT ingest_entries_feed_key_fkey FOREIGN KEY (feed_key) REFERENCES public.ingest_feeds(feed_key) ON DELETE CASCADE;


--
-- Name: ingest_page_retries ingest_page_retries_feed_key_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ingest_page_retries
    ADD CONSTRAINT ingest_page_retries_feed_key_fkey FOREIGN KEY (feed_key) REFERENCES public.ingest_feeds(feed_key) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

