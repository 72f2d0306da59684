"""ingest: poll feeds, fetch and extract article pages, publish them on ``news.articles.raw``.

Pure core (no I/O, tested with plain inputs): :mod:`ingest.feeds` (bytes ->
entries), :mod:`ingest.identity` (entry ids, canonical URLs), :mod:`ingest.charset`
(bytes -> text), :mod:`ingest.extract` (HTML -> article), (retry delays come from the core, :mod:`newsflow.backoff`),
:mod:`ingest.text`.

Edges: :mod:`ingest.fetcher` (HTTP, every limit and the one error classifier),
:mod:`ingest.state` (Postgres: feed schedule and seen entries), :mod:`ingest.seen`
(batched marking), :mod:`ingest.publisher` (Kafka).

Orchestration: :mod:`ingest.scheduler` (when feeds are polled) and
:mod:`ingest.service` (``run_ingest``: the story of one poll).
"""
