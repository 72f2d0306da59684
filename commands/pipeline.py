"""``newsflow run``: the three stages in one process, for development and small installs.

With nothing configured it starts what it needs and says so: the embedded
Kafka-protocol broker, an embedded Postgres in the user's data folder, and a
loopback server for the bundled seed feeds. ``--once`` carries every new
article through to Postgres and prints what landed.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from pydantic import SecretStr

from devstack.embedded import kafka_service, postgres_service
from devstack.feedserver import serve_folder
from newsflow.lifecycle import Stopper
from newsflow.settings import FeedConfig, Settings

if TYPE_CHECKING:
    from ingest.service import IngestReport

log = logging.getLogger(__name__)


#: Exit status of ``run --once`` / ``ingest --once`` when a feed failed
#: (the other feeds' articles were still carried through).
FEEDS_FAILED = 3


def run_pipeline(settings: Settings, stopper: Stopper, *, once: bool) -> int:
    """Start what is missing, then run the stages once or until stopped."""
    with contextlib.ExitStack() as stack:
        data_dir = settings.data_dir or Path(platformdirs.user_data_dir("newsflow"))
        embedded_database = settings.database_url is None
        settings = _start_missing_services(settings, data_dir, stack)
        settings = _default_to_seed_feeds(settings, data_dir, stack)
        if settings.metrics_port is not None:
            from newsflow.metrics import serving_metrics

            port = stack.enter_context(serving_metrics(settings))
            _say(f"metrics: http://{settings.metrics_host}:{port}/metrics (health: /healthz, /readyz)")
        if once:
            from commands.summary import format_summary, load_summary

            ingested = run_once(settings, stopper, say=_say)
            articles = load_summary(settings.database_dsn(), list(ingested.article_ids))
            print(format_summary(articles, ingested), flush=True)
            _say(_where_to_query(settings, data_dir if embedded_database else None))
            return report_failed_feeds(ingested.failed_feeds)
        return run_services(settings, stopper)


def report_failed_feeds(failed: dict[str, str]) -> int:
    """Say on stderr which feeds failed and why; the exit status of a ``--once`` run."""
    if not failed:
        return 0
    lines = [f"newsflow: {len(failed)} feed(s) failed:"]
    lines += [f"  {url}: {' '.join(error.split())[:300]}" for url, error in sorted(failed.items())]
    print("\n".join(lines), file=sys.stderr, flush=True)
    return FEEDS_FAILED


def run_once(settings: Settings, stopper: Stopper, say: Callable[[str], None] = lambda _: None) -> IngestReport:
    """Poll every feed once and carry each new article through; return what ingest did.

    Each stage runs until it has read past the offsets its upstream stage had
    acknowledged, so nothing is left behind on a topic when this returns.
    ``say`` gets one line before and after each stage: a group join takes a
    few seconds, and a silent wait looks like a hang.
    """
    from enrich.worker import run_enrich
    from ingest.service import run_ingest
    from sinks.service import run_sink

    started = time.monotonic()
    say(f"ingest: polling {len(settings.feeds)} feed(s)")
    ingested = run_ingest(settings, stopper, once=True)
    say(
        f"ingest: {ingested.published} article(s) published to {settings.topics.raw} from "
        f"{ingested.feeds_polled} feed(s), {len(ingested.failed_feeds)} failed ({_since(started)})"
    )
    started = time.monotonic()
    say(f"enrich: joining consumer group {settings.enrich_group} and tagging")
    enriched = run_enrich(settings, stopper, targets=ingested.targets)
    say(
        f"enrich: {enriched.enriched} article(s) tagged to {settings.topics.enriched}, {enriched.events} event(s) "
        f"to {settings.topics.events}, {enriched.dead_lettered} dead-lettered ({_since(started)})"
    )
    started = time.monotonic()
    say(f"sink: joining consumer group {settings.sink_group} and writing to Postgres")
    written = run_sink(settings, stopper, targets=enriched.targets)
    say(f"sink: {written.written} article(s) written, {written.dead_lettered} dead-lettered ({_since(started)})")
    return ingested


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"


def _say(line: str) -> None:
    print(line, flush=True)


def _where_to_query(settings: Settings, data_dir: Path | None) -> str:
    """Where the articles are and how to look at them; never the password."""
    if data_dir is None or not (data_dir / "postgres" / "PG_VERSION").exists():  # configured, or a testcontainer
        where = _without_password(settings.database_dsn())
        return f"Postgres: {where}; query it with `newsflow psql` (or psql on DATABASE_URL: the tables are in schema newsflow)"
    return (
        f"Postgres (embedded, stopped on exit): data in {data_dir / 'postgres'}; query it with "
        "`newsflow psql` (add -c \"SELECT ...\" for one query), or browse it with `newsflow serve`"
    )


def run_services(settings: Settings, stopper: Stopper) -> int:
    """Run ingest, enrich and sink side by side until stopped; 1 if one of them failed."""
    from enrich.worker import run_enrich
    from ingest.service import run_ingest
    from sinks.service import run_sink

    failures: list[str] = []
    stages: dict[str, Callable[[], object]] = {
        "sink": lambda: run_sink(settings, stopper),
        "enrich": lambda: run_enrich(settings, stopper),
        "ingest": lambda: run_ingest(settings, stopper),
    }
    threads = [
        threading.Thread(target=_guard, args=(name, stage, stopper, failures), name=name)
        for name, stage in stages.items()
    ]
    for thread in threads:
        thread.start()
    print("newsflow is running; Ctrl-C stops it cleanly", flush=True)
    for thread in threads:
        thread.join()
    return 1 if failures else 0


def _guard(name: str, stage: Callable[[], object], stopper: Stopper, failures: list[str]) -> None:
    """Run one stage; if it dies, stop the others rather than run a broken pipeline."""
    try:
        stage()
    except Exception:
        log.exception("%s failed; stopping the pipeline", name)
        failures.append(name)
        stopper.stop(f"{name} failed")


def _start_missing_services(settings: Settings, data_dir: Path, stack: contextlib.ExitStack) -> Settings:
    updates: dict[str, object] = {}
    if not settings.kafka_bootstrap_servers:
        data_dir.mkdir(parents=True, exist_ok=True)
        broker = stack.enter_context(kafka_service(None, data_dir / "broker.log"))
        _announce(broker.how, broker.address)
        updates["kafka_bootstrap_servers"] = broker.address
    if settings.database_url is None:
        postgres = stack.enter_context(postgres_service(None, data_dir / "postgres"))
        _announce(postgres.how, _without_password(postgres.address))
        updates["database_url"] = SecretStr(postgres.address)
    return settings.model_copy(update=updates) if updates else settings


def _default_to_seed_feeds(settings: Settings, data_dir: Path, stack: contextlib.ExitStack) -> Settings:
    if settings.feeds:
        return settings
    from seeds import FEEDS_DIR, SEEDS_DIR

    # Article ids hash the URL, port included: serving the seeds on the port
    # used last time keeps them the same articles, so a second run finds
    # nothing new instead of storing them again under new ids.
    port_file = data_dir / "seed-server.port"
    base_url = stack.enter_context(serve_folder(SEEDS_DIR, _read_port(port_file)))
    data_dir.mkdir(parents=True, exist_ok=True)
    port_file.write_text(base_url.rsplit(":", 1)[1])
    feeds = [
        FeedConfig(url=f"{base_url}/feeds/{path.name}", name=path.stem, interval_s=60)
        for path in sorted(FEEDS_DIR.iterdir())
        if path.is_file()
    ]
    _announce(f"seed feeds ({len(feeds)}) served from {SEEDS_DIR}", base_url)
    # The seed server is on loopback, which the fetcher otherwise refuses.
    fetch = settings.fetch.model_copy(update={"allow_private_addresses": True})
    return settings.model_copy(update={"feeds": feeds, "fetch": fetch})


def _read_port(path: Path) -> int:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return 0


def _without_password(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params.pop("password", None)
    return make_conninfo(**params)


def _announce(what: str, where: str) -> None:
    print(f"started {what}: {where}", flush=True)
