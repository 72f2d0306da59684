"""The enrich worker against a real broker: tag, publish, dead-letter, commit."""

from __future__ import annotations

import json

import pytest

from enrich.worker import run_enrich
from newsflow.lifecycle import Stopper
from newsflow.models import EnrichedArticle, decode, encode
from tests.factories import raw_article
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.integration

POISON = [
    b'"\\ud800"',
    json.dumps({"schema_version": 1, "id": "x", "text": "a\u0000b"}).encode(),
    b"\xff\xfe",
    b'{"schema_version": 1, "id": "abc", "url": "http://',
    b"",
    json.dumps({**json.loads(encode(raw_article(99))), "schema_version": 7}).encode(),
]


@pytest.mark.smoke
def test_enriches_good_records_and_dead_letters_poison(make_settings):
    settings = make_settings()
    good = [raw_article(n) for n in range(5)]
    items = [(a.id.encode(), encode(a)) for a in good] + [(b"poison", value) for value in POISON]
    targets = produce(settings, settings.topics.raw, items)

    report = run_enrich(settings, Stopper(), targets=targets)

    assert (report.enriched, report.dead_lettered) == (5, len(POISON))
    enriched = [decode(EnrichedArticle, r.value) for r in read_topic(settings, settings.topics.enriched, 5)]
    assert sorted(e.article.id for e in enriched) == sorted(a.id for a in good)
    actions = {(ev.actor, ev.action) for ev in enriched[0].tags.events}
    assert {("Alrosa", "sales_halt"), ("India", "import_ban")} <= actions

    dead = read_topic(settings, settings.topics.dlq, len(POISON))
    assert sorted(r.value for r in dead) == sorted(POISON)
    for record in dead:
        headers = dict(record.headers)
        assert headers["newsflow.stage"] == b"enrich"
        assert headers["newsflow.source.topic"] == settings.topics.raw.encode()
        assert int(headers["newsflow.source.offset"]) >= 0
        assert headers["newsflow.error"]


def test_commits_so_a_restart_does_not_reprocess(make_settings):
    settings = make_settings()
    first = produce(settings, settings.topics.raw, [(b"k", encode(raw_article(1)))])
    assert run_enrich(settings, Stopper(), targets=first).enriched == 1

    second = produce(settings, settings.topics.raw, [(b"k", encode(raw_article(2)))])
    report = run_enrich(settings, Stopper(), targets=second)

    assert report.enriched == 1
