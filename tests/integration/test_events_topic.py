"""``news.events`` and ``examples/subscriber.py`` on the real broker (issue 10).

enrich publishes one record per event, keyed by producer, without the article
text; the example subscriber, in its own group, prints the events of the
producers and actions it follows (from the history, and new ones as they
come) or posts them to a webhook.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest

from enrich.worker import run_enrich
from newsflow.lifecycle import Stopper
from newsflow.models import TOPIC_EVENTS, EnrichedArticle, EventMessage, decode, encode
from newsflow.settings import Settings
from newsflow.topic_schemas import SCHEMAS_DIR, file_name
from tests.factories import raw_article
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBER = ROOT / "examples" / "subscriber.py"


def _enrich(settings: Settings, articles: list) -> int:
    targets = produce(settings, settings.topics.raw, [(a.id.encode(), encode(a)) for a in articles])
    report = run_enrich(settings, Stopper(), targets=targets)
    assert report.enriched == len(articles)
    return report.events


def _subscriber(settings: Settings, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SUBSCRIBER), "--bootstrap", settings.kafka_bootstrap_servers,
         "--topic", settings.topics.events, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _finish(proc: subprocess.Popen, timeout_s: float = 90) -> list[dict]:
    out, err = proc.communicate(timeout=timeout_s)
    assert proc.returncode == 0, err[-3000:]
    return [json.loads(line) for line in out.splitlines()]


@contextmanager
def _webhook() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_one_lean_record_per_event_keyed_by_producer(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    articles = [raw_article(1), raw_article(2, text="Codelco said on Monday it would cut copper output at its Chuquicamata mine.")]
    published = _enrich(settings, articles)

    enriched = [decode(EnrichedArticle, r.value) for r in read_topic(settings, settings.topics.enriched, 2)]
    expected = {f"{e.article.id}:{i}": (e.article.id, ev) for e in enriched for i, ev in enumerate(e.tags.events)}
    records = read_topic(settings, settings.topics.events, expect=len(expected))
    assert published == len(records) == len(expected) >= 7

    schema = json.loads((SCHEMAS_DIR / file_name(TOPIC_EVENTS)).read_text(encoding="utf-8"))
    for record in records:
        wire = json.loads(record.value)
        jsonschema.validate(wire, schema)
        assert "text" not in wire and "summary" not in wire
        event = decode(EventMessage, record.value)
        article, source = expected.pop(event.event_id)
        assert record.key == event.producer.encode() == source.actor.encode()
        assert (event.article_id, event.action, event.sentence) == (article, source.action, source.sentence)
    assert expected == {}  # every event once


def test_example_subscriber_follows_producers_and_actions(make_settings: Callable[..., Settings], unique: str) -> None:
    settings = make_settings()
    first, second = raw_article(1), raw_article(2)
    _enrich(settings, [first, second])

    # The history, filtered: Alrosa's sales halts only (one per article).
    history = _subscriber(settings, "--group", f"sub-{unique}-a", "--from-beginning", "--producer", "Alrosa",
                          "--action", "sales_halt", "--max-events", "2")
    lines = _finish(history)
    assert sorted(line["article_id"] for line in lines) == sorted([first.id, second.id])
    assert {(line["producer"], line["action"]) for line in lines} == {("Alrosa", "sales_halt")}

    # New events only, posted to a webhook: a group that joined before the article was enriched.
    with _webhook() as (url, received):
        follower = _subscriber(settings, "--group", f"sub-{unique}-b", "--action", "import_ban",
                               "--webhook", url, "--max-events", "1")
        assert follower.stderr is not None
        joined = follower.stderr.readline()
        assert "following" in joined, joined + (follower.stderr.read() if follower.poll() is not None else "")
        third = raw_article(3)
        _enrich(settings, [third])
        assert _finish(follower) == []  # nothing printed: the webhook got it
    assert [(e["producer"], e["action"], e["article_id"]) for e in received] == [("India", "import_ban", third.id)]
