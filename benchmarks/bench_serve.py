"""How fast `newsflow serve` answers on a million events.

Fills a fresh database with synthetic events (COPY; see serve_data.py), starts
`newsflow serve` as a user would, and times real HTTP requests to the timeline
and event-list pages under a range of filters. Prints p50/p95 per scenario and
per page. The issue's target: p95 <= 200 ms for the timeline and the list.
The "wide" scenarios count over years; the timeline answers them from the
rollup (``event_counts``) that the COPY fills through the sink's triggers.

    python benchmarks/bench_serve.py                  # 1,000,000 events, embedded Postgres
    python benchmarks/bench_serve.py --dsn URL        # reuse a database filled before (--keep)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.serve_data import fill
from devstack.embedded import create_database, drop_database, free_port, wait_for_port
from newsflow.migrations import with_search_path


def scenarios(rare: str) -> dict[str, list[tuple[str, str]]]:
    """Page -> (label, path): what an analyst clicks, busy and quiet filters alike."""
    return {
        "timeline": [
            ("no filter (latest 90 days)", "/timeline"),
            ("producer De Beers (busiest)", "/timeline?producer=De+Beers"),
            (f"producer {rare} (rarest)", "/timeline?producer=" + rare.replace(" ", "+")),
            ("action sales_halt", "/timeline?action=sales_halt"),
            ("country Russia", "/timeline?country=Russia"),
            ("commodity copper, possible", "/timeline?commodity=copper&modality=possible"),
            ("lanes per country", "/timeline?lanes=country"),
            ("lanes per commodity, negated", "/timeline?lanes=commodity&modality=negated"),
            ("one month", "/timeline?from=2023-11-01&to=2023-11-30"),
            ("De Beers purchase_deferral, 2 years", "/timeline?producer=De+Beers&action=purchase_deferral&from=2022-01-01&to=2023-12-31"),
            ("wide: one year, no filter", "/timeline?from=2024-01-01&to=2024-12-31"),
            ("wide: six years, no filter", "/timeline?from=2020-01-01&to=2025-12-31"),
            ("wide: four years per month, no filter", "/timeline?from=2021-01-01&to=2024-12-31"),
            ("wide: 5.5 years from mid-month, per country", "/timeline?from=2020-03-15&to=2025-09-20&lanes=country"),
            ("wide: six years, action sales_halt", "/timeline?action=sales_halt&from=2020-01-01&to=2025-12-31"),
        ],
        "list": [
            ("no filter, page 1", "/events"),
            ("no filter, page 20", "/events?page=20"),
            ("producer De Beers", "/events?producer=De+Beers"),
            (f"producer {rare} (rarest)", "/events?producer=" + rare.replace(" ", "+")),
            ("action sales_halt, possible", "/events?action=sales_halt&modality=possible"),
            ("country Russia, page 3", "/events?country=Russia&page=3"),
            ("commodity copper, 2023", "/events?commodity=copper&from=2023-01-01&to=2023-12-31"),
            ("negated only", "/events?modality=negated"),
            ("one month", "/events?from=2023-11-01&to=2023-11-30"),
        ],
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per scenario")
    parser.add_argument("--dsn", help="a database already filled by this script (skips the fill)")
    parser.add_argument("--keep", action="store_true", help="leave the filled embedded Postgres running; print its DSN")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        dsn = args.dsn or _filled_database(stack, args.events, args.keep)
        rare = _rarest_actor(dsn)
        base = stack.enter_context(_serve(dsn))
        results = _measure(base, scenarios(rare), args.requests)
    _report(results)
    return 0


def _filled_database(stack: contextlib.ExitStack, events: int, keep: bool) -> str:
    server_url = os.environ.get("DATABASE_URL") or _embedded_server(stack, keep)
    name = f"nf_bench_serve_{uuid.uuid4().hex[:8]}"
    dsn = create_database(server_url, name)
    if not keep:
        stack.callback(drop_database, server_url, name)
    started = time.perf_counter()
    articles = fill(dsn, events)
    with psycopg.connect(with_search_path(dsn), autocommit=True) as conn:
        # What autovacuum does soon after a load: the visibility map lets the
        # covering indexes answer without visiting the table.
        conn.execute("VACUUM ANALYZE")
    print(f"filled {events:,} events in {articles:,} articles in {time.perf_counter() - started:.0f} s")
    if keep:
        print(f"kept (the server stays up): --dsn '{dsn}'")
    return dsn


def _embedded_server(stack: contextlib.ExitStack, keep: bool) -> str:
    """A pgserver in a fresh folder: stopped and removed afterwards unless ``keep``."""
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="nf-bench-serve-"))
    server = pgserver.get_server(folder, cleanup_mode=None if keep else "stop")
    if not keep:
        stack.callback(shutil.rmtree, folder, True)  # registered first: runs after the stop
        stack.callback(server.cleanup)
    return server.get_uri()


def _rarest_actor(dsn: str) -> str:
    with psycopg.connect(with_search_path(dsn)) as conn:
        row = conn.execute(
            "SELECT actor FROM article_events GROUP BY actor ORDER BY count(*), actor LIMIT 1"
        ).fetchone()
    return row[0]


@contextlib.contextmanager
def _serve(dsn: str):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "NEWSFLOW_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "newsflow", "serve", "--port", str(port)], env=env)
    try:
        wait_for_port(port, timeout_s=60, proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def _measure(base: str, pages: dict[str, list[tuple[str, str]]], requests: int) -> dict[str, list[tuple[str, list[float], int]]]:
    results: dict[str, list[tuple[str, list[float], int]]] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for page, cases in pages.items():
            for label, path in cases:
                for _ in range(3):  # warm the pool, the plan cache and the page cache
                    client.get(path).raise_for_status()
                times, size = [], 0
                for _ in range(requests):
                    started = time.perf_counter()
                    response = client.get(path)
                    response.raise_for_status()
                    times.append((time.perf_counter() - started) * 1000)
                    size = len(response.content)
                results.setdefault(page, []).append((label, times, size))
    return results


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _report(results: dict[str, list[tuple[str, list[float], int]]]) -> None:
    for page, cases in results.items():
        print(f"\n{page}: {'scenario':<44} {'p50 ms':>8} {'p95 ms':>8} {'KiB':>6}")
        for label, times, size in cases:
            print(f"  {label:<52} {statistics.median(times):8.1f} {_percentile(times, 95):8.1f} {size / 1024:6.0f}")
        everything = [t for _, times, _ in cases for t in times]
        typical = [t for label, times, _ in cases if not label.startswith("wide") for t in times]
        print(f"  {'all scenarios':<52} {statistics.median(everything):8.1f} {_percentile(everything, 95):8.1f}")
        if len(typical) != len(everything):
            print(f"  {'all but the wide ranges':<52} {statistics.median(typical):8.1f} {_percentile(typical, 95):8.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
