"""SIGKILL the enrich service at random moments: no article may be lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
import yaml
from kafka import KafkaAdminClient

from enrich.worker import run_enrich
from newsflow.lifecycle import Stopper
from newsflow.models import EnrichedArticle, decode, encode
from tests.factories import raw_article
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.integration

ARTICLES = 4000
KILLS = 3


def _enrich_process(settings, tmp_path) -> subprocess.Popen:
    config = tmp_path / "enrich.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url"})))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
           "DATABASE_URL": settings.database_dsn()}
    return subprocess.Popen(
        [sys.executable, "-m", "newsflow", "enrich", "--config", str(config)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _wait_for_progress(settings, before: int, timeout_s: float = 60.0) -> int:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            offsets = admin.list_group_offsets(settings.enrich_group).get(settings.enrich_group, {})
            total = sum(meta.offset for meta in offsets.values() if meta.offset > 0)
            if total > before:
                return total
            time.sleep(0.1)
    finally:
        admin.close()
    raise AssertionError("the enrich worker committed nothing within the timeout")


def test_killed_enrich_loses_no_article(make_settings, tmp_path):
    settings = make_settings()
    articles = [raw_article(n) for n in range(ARTICLES)]
    targets = produce(settings, settings.topics.raw, [(a.id.encode(), encode(a)) for a in articles])
    rng = random.Random(1)

    committed = 0
    for _ in range(KILLS):
        proc = _enrich_process(settings, tmp_path)
        # Kill only once this worker has committed something, and then at a
        # random instant, so the kill lands in the middle of live work.
        committed = _wait_for_progress(settings, committed)
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    # A last, uninterrupted worker finishes whatever the killed ones left.
    final = run_enrich(settings, Stopper(), targets=targets)
    # The killed workers had committed progress, so the kills hit live work.
    assert final.enriched < ARTICLES

    seen = [decode(EnrichedArticle, r.value).article.id
            for r in read_topic(settings, settings.topics.enriched, ARTICLES, timeout_s=60)]
    assert set(seen) == {a.id for a in articles}
    # Replays after a kill may publish an article twice (the sink upserts on the
    # id); the replay is bounded by the batch in hand, not the whole topic.
    assert len(seen) < 2 * ARTICLES
