"""End-to-end throughput: feeds on loopback → ingest → enrich → sink → Postgres.

Prints articles per second end to end next to the bound measured in the same
run: page extraction alone (the pipeline's own decode + trafilatura call) on
the same pages with the same number of processes.

    python benchmarks/realpages.py            # once: rebuild the real-page corpus
    python benchmarks/bench_pipeline.py       # its 260 pages, 1 process per stage
    python benchmarks/bench_pipeline.py --ingest-workers 2 --enrich 2 --sink 2
    python benchmarks/bench_pipeline.py --broker kafka    # Apache Kafka 4.1 instead of Tansu

The pages are the real-page corpus (``benchmarks/realpages/``, rebuilt by
``realpages.py``) or any folder of ``*.html`` (``--pages-dir``); ``--pages N``
serves N pages, going round the folder again (under new URLs) when N is larger.
Where the folder has reference texts (``<id>.txt``), the extraction F1 of the
articles as they reached Postgres is printed (token and 4-word-shingle F1).
``--generated`` uses the generated corpus of ``corpus.py`` instead.

The broker and database are resolved like everywhere else:
KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL if set, else testcontainers when Docker
answers, else the embedded Tansu broker and pgserver; ``--broker kafka`` starts
a one-node Apache Kafka (the test suite's, ``tests/kafka/broker.py``). The CPU
of a configured broker on this machine (Apache Kafka's ``kafka.Kafka``) is
counted as the broker's. enrich and sink run as
separate processes (as in production), as does the loopback web server. The
three services are warmed up first (each feed serves one item, which goes all
the way to Postgres: groups joined, schemas migrated, extraction pool started);
then every feed gains its share of the N pages at once, the clock starts, and
it stops when the last article is in Postgres. The CPU each role used in that
window is printed per article, to show where the time goes, and summed (the
Postgres backend of the harness's own count of the articles is charged to the
harness, not to Postgres):

- **outside extraction and enrichment** (issue 9 #4, target <= 3 ms): the
  ingest processes' CPU minus the extraction CPU of the same pages (measured by
  the bound run), plus Postgres, the broker and the sink;
- **utilisation** (target >= 0.9): articles/s end to end divided by what the
  summed CPU per article of the pipeline's roles allows on the cores at hand
  (cores / CPU per article). Other load on the machine lowers it: the load
  average before and after the run is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Corpus, write_corpus
from realpages import DEFAULT_OUT, load_pages, shingle_f1, token_f1

from devstack.embedded import Service, create_database, free_port, kafka_service, postgres_service, wait_for_port
from newsflow.kafka import ensure_topics
from newsflow.migrations import with_search_path
from newsflow.settings import FeedConfig, FetchConfig, Settings, TopicsConfig


def _extract_one(path: str) -> int:
    from ingest.charset import decode_html
    from ingest.extract import extract_article

    page = extract_article(decode_html(Path(path).read_bytes(), "text/html; charset=utf-8"), "http://bench.invalid/")
    return len(page.text or "")


def measure_bound(paths: list[str], processes: int) -> tuple[float, float]:
    """Pages per second of extraction alone with ``processes`` workers, and its CPU seconds per page."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(_extract_one, paths[: processes * 2])  # warm the workers' imports
        cpu_before = cpu_by_role().get("ingest extraction pool", 0.0)
        start = time.perf_counter()
        pool.map(_extract_one, paths, chunksize=4)
        elapsed = time.perf_counter() - start
        cpu = cpu_by_role().get("ingest extraction pool", 0.0) - cpu_before
        return len(paths) / elapsed, cpu / len(paths)


def transactions(dsn: str) -> int:
    """Transactions committed so far in the benchmark's database (pg_stat_database; this query's own included)."""
    with psycopg.connect(with_search_path(dsn), autocommit=True) as conn:
        return conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]


class RowWatch:
    """Counts the articles in Postgres over one connection (a new connection per look would
    fork a Postgres backend each time, CPU that would be charged to Postgres per article)."""

    POLL_S = 0.1

    def __init__(self, dsn: str) -> None:
        self._conn = psycopg.connect(with_search_path(dsn), autocommit=True)
        self._backend = self._conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        self.looks = 0

    def backend_cpu_s(self) -> float:
        """CPU seconds of this connection's Postgres backend: the harness's looks, not the
        pipeline's work, so they are taken out of Postgres's figure (0 if not on this machine)."""
        stat = _proc_stat(self._backend)
        return stat[2] if stat else 0.0

    def count(self) -> int:
        self.looks += 1
        try:
            return self._conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0

    def wait_for(self, expected: int, timeout_s: float) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.count() >= expected:
                return time.perf_counter()
            time.sleep(self.POLL_S)
        raise TimeoutError(f"only {self.count()} of {expected} articles reached Postgres")

    def close(self) -> None:
        self._conn.close()


def _proc_stat(pid: int) -> tuple[int, str, float, str] | None:
    """(parent pid, label, CPU seconds, command line) of a process, from /proc (Linux only)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), _label(pid, cmdline), (int(fields[11]) + int(fields[12])) / ticks, cmdline


def _label(pid: int, cmdline: str) -> str:
    if pid == os.getpid():
        return "benchmark harness"
    if "devstack.feedserver" in cmdline:
        return "web server (load generator)"
    for name in ("ingest", "enrich", "sink"):
        if f"newsflow {name}" in cmdline:
            return name
    if "tansu" in cmdline:
        return "broker (tansu)"
    if "kafka.Kafka" in cmdline:
        return "broker (kafka)"
    if cmdline.startswith("postgres") or "/postgres" in cmdline.split(" ")[0] or "pg_ctl" in cmdline:
        return "postgres"
    if "multiprocessing" in cmdline or "spawn_main" in cmdline or "forkserver" in cmdline:
        return "ingest extraction pool"
    return "other"


def cpu_by_role(own_dir: str | None = None) -> dict[str, float]:
    """CPU seconds used so far by this process and its descendants, per role.

    Postgres and a broker started by us are daemons, not our descendants: their
    processes are found by ``own_dir`` (our work folder, in their command line)
    and counted with their children. Other Postgres or Kafka processes on the
    machine (other people's tests) are not counted.
    """
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _proc_stat(int(entry))):
            stats[int(entry)] = stat
    mine = {os.getpid()}
    if own_dir:
        mine |= {pid for pid, (_, _, _, cmdline) in stats.items() if own_dir in cmdline}
    changed = True
    while changed:
        before = len(mine)
        mine |= {pid for pid, (ppid, _, _, _) in stats.items() if ppid in mine}
        changed = len(mine) != before
    totals: dict[str, float] = {}
    for pid in mine & stats.keys():
        _, label, cpu, _ = stats[pid]
        totals[label] = totals.get(label, 0.0) + cpu
    return totals


def start_service(name: str, config: Path, env: dict[str, str], log_dir: Path, number: int = 0) -> subprocess.Popen:
    log = open(log_dir / f"{name}-{number}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "newsflow", name, "--config", str(config)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def serve_in_own_process(root: Path) -> tuple[subprocess.Popen, str]:
    """The loopback web server in a process of its own, as a real site would be."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack.feedserver", str(root), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, proc=proc)
    return proc, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-dir", type=Path, default=DEFAULT_OUT, help="folder of *.html (default: real pages)")
    parser.add_argument("--generated", action="store_true", help="the generated corpus of corpus.py instead")
    parser.add_argument("--pages", type=int, default=0, help="pages to serve (default: the folder's count, or 300)")
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="extraction processes (the pool, in ingest's default mode)")
    parser.add_argument("--ingest-workers", type=int, default=0, help="ingest worker processes (0: one process + pool)")
    parser.add_argument("--enrich", type=int, default=1, help="enrich processes (one consumer group)")
    parser.add_argument("--sink", type=int, default=1, help="sink processes (one consumer group)")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--per-host", type=int, default=8,
                        help="fetch.per_host_concurrency: every page comes from one loopback host here")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="fetch.concurrency: also how many feeds one poller claims at once (with few feeds, "
                             "keep it <= feeds / ingest workers so every worker gets some)")
    parser.add_argument("--broker", choices=["auto", "kafka"], default="auto",
                        help="auto: KAFKA_BOOTSTRAP_SERVERS, else Docker, else Tansu; kafka: start Apache Kafka")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nf-bench-")))
        corpus, truths = build_site(work / "site", args)
        pages = len(corpus.page_paths) - args.feeds
        paths = [str(corpus.root / p.lstrip("/")) for p in corpus.page_paths[args.feeds:]]
        load_before = os.getloadavg()
        bound, extract_cpu = measure_bound(paths, args.processes)

        broker = stack.enter_context(start_broker(args.broker, work))
        pg = stack.enter_context(postgres_service(os.environ.get("DATABASE_URL"), work / "pg"))
        dsn = create_database(pg.address, f"nf_bench_{uuid.uuid4().hex[:8]}")
        full_feeds = {p: (corpus.root / p.lstrip("/")).read_text() for p in corpus.feed_paths}
        for path, text in full_feeds.items():
            (corpus.root / path.lstrip("/")).write_text(first_items(text, 1))
        server, base_url = serve_in_own_process(corpus.root)
        stack.callback(server.terminate)
        tag = uuid.uuid4().hex[:8]
        settings = Settings(
            kafka_bootstrap_servers=broker.address,
            database_url=dsn,
            topics=TopicsConfig(raw=f"b{tag}.raw", enriched=f"b{tag}.enriched", dlq=f"b{tag}.dlq",
                                partitions=args.partitions),
            fetch=FetchConfig(allow_private_addresses=True, per_host_concurrency=args.per_host,
                              concurrency=args.concurrency),
            feeds=[FeedConfig(url=base_url + p, name=p, interval_s=0.5) for p in corpus.feed_paths],
            enrich_group=f"b{tag}.enrich",
            sink_group=f"b{tag}.sink",
            extract_workers=args.processes,
            ingest_workers=args.ingest_workers,
            consumer_session_timeout_ms=6000,
            consumer_heartbeat_interval_ms=2000,
        )
        config = work / "config.yaml"
        config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url"})))
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": broker.address, "DATABASE_URL": dsn}
        ensure_topics(settings)
        names = ["sink"] * args.sink + ["enrich"] * args.enrich + ["ingest"]
        services = [start_service(name, config, env, work, n) for n, name in enumerate(names)]
        try:
            # Warm-up: one item per feed through all three services, so groups
            # are joined, schemas migrated and the extraction pool started.
            watch = RowWatch(dsn)
            stack.callback(watch.close)
            watch.wait_for(args.feeds, 240)
            cpu_before = cpu_by_role(str(work))
            looks_cpu_before = watch.backend_cpu_s()
            machine_before = machine_busy_s()
            commits_before, looks_before = transactions(dsn), watch.looks
            start = time.perf_counter()
            for path, text in full_feeds.items():
                _replace(corpus.root / path.lstrip("/"), text)
            end = watch.wait_for(pages + args.feeds, 1800)
            cpu_after = cpu_by_role(str(work))
            looks_cpu = watch.backend_cpu_s() - looks_cpu_before
            machine_busy = machine_busy_s() - machine_before
        finally:
            for proc in services:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(90) for proc in services]
        # After the services stopped, so their backends have reported their counts (and their
        # few shutdown transactions are included); the harness's own looks are not.
        commits = transactions(dsn) - commits_before - (watch.looks - looks_before) - 1
        worker_extract_ms = workers_extraction_ms(work)
        f1 = extraction_f1(dsn, base_url, truths)
        load_after = os.getloadavg()

    cpu_ms = {role: 1000 * (cpu_after[role] - cpu_before.get(role, 0.0)) / pages for role in cpu_after}
    if "postgres" in cpu_ms:  # the harness's count(*) looks ran in a backend of its own: the harness's CPU
        cpu_ms["postgres"] -= 1000 * looks_cpu / pages
        cpu_ms["benchmark harness"] = cpu_ms.get("benchmark harness", 0.0) + 1000 * looks_cpu / pages
    others_s = max(0.0, machine_busy - sum(cpu_ms.values()) * pages / 1000)
    if args.ingest_workers:  # the workers are spawned like pool workers: their CPU is ingest's
        cpu_ms["ingest"] = cpu_ms.get("ingest", 0.0) + cpu_ms.pop("ingest extraction pool", 0.0)
        extract_in_pipeline = worker_extract_ms
    else:  # the pool does nothing but extract (and parse feeds): its CPU is extraction's
        extract_in_pipeline = cpu_ms.get("ingest extraction pool", 0.0)
    report(args, broker, pg, (bound, extract_cpu, extract_in_pipeline), pages, end - start, cpu_ms, codes, f1,
           (load_before, load_after), others_s)
    print(f"Postgres transactions per article: {commits / pages:.2f} (the services', with their shutdown)")


def report(args, broker, pg, extraction, pages, wall, cpu_ms, codes, f1, loads, others_s) -> None:
    load_before, load_after = loads
    bound, extract_cpu, extract_in_pipeline = extraction
    cores = os.cpu_count() or 1
    e2e = pages / wall
    extract_ms = 1000 * extract_cpu
    ingest_total = cpu_ms.get("ingest", 0.0) + cpu_ms.get("ingest extraction pool", 0.0)
    ingest_outside = ingest_total - extract_in_pipeline
    broker_ms = sum(v for k, v in cpu_ms.items() if k.startswith("broker"))
    outside = ingest_outside + cpu_ms.get("postgres", 0.0) + broker_ms + cpu_ms.get("sink", 0.0)
    pipeline_ms = ingest_total + cpu_ms.get("enrich", 0.0) + outside - ingest_outside
    allowed = 1000 * cores / pipeline_ms
    print(f"pages: {pages} in {args.feeds} feeds from {'generated corpus' if args.generated else args.pages_dir}; "
          f"{cores} cores; ingest: {args.ingest_workers or 'one process +'} "
          f"{'workers' if args.ingest_workers else f'{args.processes}-process pool'}; "
          f"enrich x{args.enrich}, sink x{args.sink}, {args.partitions} partitions")
    print(f"broker: {broker.how}; postgres: {pg.how}")
    print(f"load average (1, 5, 15 min) before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, "
          f"after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    print(f"bound (extraction alone, {args.processes} processes): {bound:8.1f} articles/s "
          f"({extract_ms:.1f} ms of CPU a page)")
    print(f"end to end (feeds -> Postgres):            {e2e:8.1f} articles/s")
    print(f"ratio end to end / bound:                  {e2e / bound:8.2f}")
    print(f"sink/enrich/ingest exit codes after SIGTERM: {codes}")
    print(f"CPU per article during the timed run (ms); {wall:.1f} s wall x {cores} cores "
          f"= {1000 * wall * cores / pages:.2f} ms available per article:")
    for role in sorted(cpu_ms, key=lambda r: -cpu_ms[r]):
        print(f"  {role:35s} {cpu_ms[role]:7.2f}")
    print(f"outside extraction and enrichment: {outside:.2f} ms/article (target <= 3): ingest outside extraction "
          f"{ingest_outside:.2f} (ingest {ingest_total:.2f} - extraction {extract_in_pipeline:.2f}; "
          f"{'the pool CPU' if not args.ingest_workers else 'per page, from the workers logs'}), "
          f"postgres {cpu_ms.get('postgres', 0.0):.2f}, broker {broker_ms:.2f}, sink {cpu_ms.get('sink', 0.0):.2f}")
    print(f"pipeline CPU {pipeline_ms:.2f} ms/article allows {allowed:.1f} articles/s on {cores} cores; "
          f"utilisation {e2e / allowed:.2f} (target >= 0.9)")
    free_cores = cores - others_s / wall
    print(f"other processes on the machine used {others_s / wall:.2f} of the {cores} cores during the run; "
          f"utilisation of the CPU they left: {e2e * pipeline_ms / 1000 / free_cores:.2f}")
    if not broker_ms:
        print("broker CPU not measured (a broker not started by this run)")
    for kind, (n, token, shingle) in sorted(f1.items()):
        print(f"extraction F1 against {kind} references (n={n}): token {token:.3f}, 4-shingle {shingle:.3f}")


def workers_extraction_ms(work: Path) -> float:
    """Mean CPU ms per extract_page call of the ingest workers, from their last log lines (0 if none)."""
    cpu_s, calls = 0.0, 0
    for log_path in work.glob("ingest-*.log"):
        for match in re.finditer(r"extract_page ([0-9.]+) s in ([0-9]+) calls", log_path.read_text(errors="replace")):
            cpu_s += float(match.group(1))
            calls += int(match.group(2))
    return 1000 * cpu_s / calls if calls else 0.0


def machine_busy_s() -> float:
    """CPU seconds all processes of the machine have used since boot (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def build_site(root: Path, args: argparse.Namespace) -> tuple[Corpus, dict[str, tuple[str, str]]]:
    """The site the feeds serve; and, per page path, (reference kind, reference text) where there is one."""
    if args.generated:
        count = args.pages or 300
        return write_corpus(root, count + args.feeds, args.feeds), {}
    source = load_pages(args.pages_dir)
    if not source:
        raise SystemExit(f"no *.html in {args.pages_dir}: build it with python benchmarks/realpages.py")
    count = (args.pages or len(source)) + args.feeds
    (root / "pages").mkdir(parents=True)
    (root / "feeds").mkdir()
    page_paths, truths = [], {}
    for n in range(count):
        # Warm-up pages come from the end of the folder so the timed pages start with its first.
        page = source[(n - args.feeds) % len(source)]
        path = f"/pages/{n:05d}.html"
        (root / path.lstrip("/")).write_bytes(page.html_path.read_bytes())
        page_paths.append(path)
        if page.truth is not None and n >= args.feeds:
            truths[path] = (page.truth_kind, page.truth)
    feed_paths = []
    for f in range(args.feeds):
        path = f"/feeds/feed{f}.xml"
        (root / path.lstrip("/")).write_text(rss_feed(f, page_paths[f::args.feeds]), encoding="utf-8")
        feed_paths.append(path)
    return Corpus(root, feed_paths, page_paths), truths


def rss_feed(number: int, paths: list[str]) -> str:
    # Dated items, as real feeds' are: ingest then takes the entry's date and
    # does not search the page's text for one.
    items = "\n".join(
        f"<item><title>Page {path}</title><link>{{{{BASE_URL}}}}{path}</link>"
        f"<pubDate>Tue, 03 Dec 2024 10:00:00 GMT</pubDate>"
        f"<guid isPermaLink=\"false\">bench-{path}</guid></item>"
        for path in paths
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>Benchmark feed {number}</title><link>{{{{BASE_URL}}}}/</link>"
            f"<description>Real pages</description>\n{items}\n</channel></rss>\n")


@contextlib.contextmanager
def start_broker(choice: str, work: Path):
    if choice == "kafka":
        from tests.kafka.broker import kafka_cluster

        with kafka_cluster(work / "kafka") as cluster:
            yield Service("kafka", cluster.bootstrap, "Apache Kafka 4.1, one node (tests/kafka/broker.py)")
    else:
        with kafka_service(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), work / "broker.log") as service:
            yield service


def extraction_f1(dsn: str, base_url: str, truths: dict[str, tuple[str, str]]) -> dict[str, tuple[int, float, float]]:
    """Mean token and shingle F1 of the article texts in Postgres against the pages' references, per kind."""
    if not truths:
        return {}
    with psycopg.connect(with_search_path(dsn)) as conn:
        rows = conn.execute("SELECT url, text FROM articles").fetchall()
    scores: dict[str, list[tuple[float, float]]] = {}
    for url, body in rows:
        path = url.removeprefix(base_url)
        if path in truths:
            kind, truth = truths[path]
            scores.setdefault(kind, []).append((token_f1(body, truth), shingle_f1(body, truth)))
    return {kind: (len(pairs), sum(p[0] for p in pairs) / len(pairs), sum(p[1] for p in pairs) / len(pairs))
            for kind, pairs in scores.items()}


def first_items(rss: str, keep: int) -> str:
    """The feed with only its first ``keep`` items (what it served before the burst)."""
    head, _, rest = rss.partition("<item>")
    items = ("<item>" + rest).split("</item>")
    tail = items[-1]
    return head + "".join(item + "</item>" for item in items[:keep]) + tail


def _replace(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
