"""Two ``newsflow ingest`` processes on one database, one SIGKILLed mid-poll (issue 9 #2).

Feeds are served on 127.0.0.1 and article pages on 127.0.0.2, so the feed
requests are timed without queueing behind the pages (another host for the
per-host cap). Each poller may poll 3 feeds at once, so the 6 feeds are shared
between the two. Pages are slow enough that a feed's first poll outlasts its
interval: when the victim is killed, one of its feeds is already due again and
only its lease keeps the survivor off it.
"""

from __future__ import annotations

import collections
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from ingest.identity import feed_key
from newsflow.settings import FeedConfig, FetchConfig, Settings

from .ingest_site import Site, article_html, read_articles, rss, serve, start_ingest

pytestmark = pytest.mark.integration

FEEDS = 6
FIRST_WAVE = 8  # entries per feed at the start
SECOND_WAVE = 2  # entries added to each feed after the kill
INTERVAL_S = 3.0
LEASE_S = 4.0
CONCURRENCY = 3  # feeds one poller polls at once (and fetches in all)
PER_HOST = 2
PAGE_DELAY_S = 0.4


def _feed_body(pages: Site, feed: int, stories: int) -> str:
    return rss([(f"f{feed}-s{n}", f"{pages.base_url}/news/{feed}-{n}", f"Feed {feed} story {n}")
                for n in reversed(range(stories))])


def _publish(feeds: Site, pages: Site, stories: int) -> None:
    for feed in range(FEEDS):
        for n in range(stories):
            pages.set(f"/news/{feed}-{n}", article_html(feed * 100 + n, f"Feed {feed} story {n}"))
        feeds.set(f"/feed{feed}.xml", _feed_body(pages, feed, stories), "application/rss+xml")


def _leases(dsn: str) -> list[tuple[str, str | None, datetime | None, bool, bool]]:
    """Per feed: key, lease owner, lease expiry, lease still live, feed due again."""
    try:
        with psycopg.connect(dsn) as conn:
            return conn.execute(
                "SELECT feed_key, lease_owner, lease_expires_at, coalesce(lease_expires_at > now(), false),"
                " next_check_at <= now() FROM ingest_feeds"
            ).fetchall()
    except psycopg.errors.UndefinedTable:  # the pollers have not migrated yet
        return []


def _seen(dsn: str) -> set[tuple[str, str]]:
    try:
        with psycopg.connect(dsn) as conn:
            return set(conn.execute("SELECT feed_key, entry_id FROM ingest_entries").fetchall())
    except psycopg.errors.UndefinedTable:
        return set()


def _pid(owner: str) -> int:
    return int(owner.split("/")[1])  # owners are host/pid/suffix (ingest.state.poller_id)


def _wait(condition: Callable[[], bool], timeout_s: float, what: str, procs: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert all(p.poll() is None for p in procs), f"a poller exited while waiting for: {what}"
        assert time.monotonic() < deadline, f"not within {timeout_s:.0f}s: {what}"
        time.sleep(0.05)


def _kill_mid_poll(dsn: str, procs: dict[int, subprocess.Popen]) -> tuple[int, set[str]]:
    """SIGKILL the first poller seen holding a live lease on a feed that is due again and unfinished.

    Returns the victim's pid and the feeds it held (their leases are now frozen).
    """
    owners: set[str] = set()
    victim = None
    deadline = time.monotonic() + 45
    while victim is None:
        assert all(p.poll() is None for p in procs.values()), "a poller exited early"
        assert time.monotonic() < deadline, "no poller was ever caught mid-poll on an overdue feed"
        seen = collections.Counter(key for key, _ in _seen(dsn))
        for key, owner, _expires, live, due in _leases(dsn):
            if owner:
                owners.add(owner)
            if owner and live and due and 0 < seen[key] < FIRST_WAVE:
                victim = _pid(owner)
                break
        else:
            time.sleep(0.05)
    procs[victim].send_signal(signal.SIGKILL)
    procs[victim].wait(10)
    assert len({_pid(o) for o in owners}) == 2, f"the feeds were not shared between the pollers: {owners}"
    held = {key for key, owner, *_ in _leases(dsn) if owner and _pid(owner) == victim}
    return victim, held


def test_two_pollers_share_feeds_and_survive_a_sigkill(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    with serve(Site()) as feeds, serve(Site(page_delay_s=PAGE_DELAY_S), host="127.0.0.2") as pages:
        _publish(feeds, pages, FIRST_WAVE)
        settings = make_settings(
            feeds=[FeedConfig(url=f"{feeds.base_url}/feed{n}.xml", interval_s=INTERVAL_S) for n in range(FEEDS)],
            fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=10.0, per_host_concurrency=PER_HOST,
                              concurrency=CONCURRENCY),
            extract_workers=1,
            ingest_lease_s=LEASE_S,
        )
        dsn = settings.database_dsn()
        path_of = {feed_key(f.url): f.url.removeprefix(feeds.base_url) for f in settings.feeds}
        number_of = {feed_key(f.url): n for n, f in enumerate(settings.feeds)}
        started = [(name, start_ingest(settings, tmp_path, name)) for name in ("poller1", "poller2")]
        procs = {proc.pid: proc for _, proc in started}
        log_of = {proc.pid: tmp_path / f"{name}.log" for name, proc in started}
        try:
            victim, held = _kill_mid_poll(dsn, procs)
            killed_at = time.time()
            seen_at_kill = _seen(dsn)
            expiry = {key: expires for key, _owner, expires, *_ in _leases(dsn) if key in held}
            [survivor_pid] = [pid for pid in procs if pid != victim]
            survivor = procs[survivor_pid]

            _wait(lambda: len(_seen(dsn)) == FEEDS * FIRST_WAVE, 40, "every first-wave entry seen", [survivor])
            _publish(feeds, pages, FIRST_WAVE + SECOND_WAVE)
            _wait(lambda: len(_seen(dsn)) == FEEDS * (FIRST_WAVE + SECOND_WAVE), 30, "every entry seen", [survivor])
            time.sleep(INTERVAL_S + 1)  # one more round of (304) polls
            survivor.send_signal(signal.SIGTERM)
            assert survivor.wait(30) == 0, log_of[survivor_pid].read_text()[-3000:]
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)

        # The dead poller's feeds were polled again by the survivor, but only once their leases had expired.
        for key in held:
            after = [t for p, t in feeds.request_times if p == path_of[key] and t > killed_at]
            assert after, f"{path_of[key]} was never polled after the kill"
            assert min(after) >= expiry[key].timestamp(), f"{path_of[key]} taken over before its lease expired"

        # No feed was requested twice within its interval (one poll is one request: no feed fails here).
        gaps = {}
        for path in path_of.values():
            times = sorted(t for p, t in feeds.request_times if p == path)
            assert len(times) >= 3, f"{path}: only {len(times)} polls"
            gaps[path] = min(b - a for a, b in zip(times, times[1:]))
        assert min(gaps.values()) >= INTERVAL_S, gaps

        # Every entry went out; the only duplicates are entries the victim had in hand:
        # unseen entries of the feeds it held, at most as many as it works on at once.
        on_topic = read_articles(settings)
        counts = collections.Counter(a.entry_id for a in on_topic)
        expected = {f"f{f}-s{n}" for f in range(FEEDS) for n in range(FIRST_WAVE + SECOND_WAVE)}
        assert set(counts) == expected
        duplicates = {entry: n for entry, n in counts.items() if n > 1}
        held_entries = {f"f{number_of[key]}-s{n}" for key in held for n in range(FIRST_WAVE)}
        in_hand = held_entries - {entry for _key, entry in seen_at_kill}
        entry_slots = 2 * CONCURRENCY + settings.extract_workers  # ingest.service.Ingest._entry_slots
        assert set(duplicates) <= in_hand, (duplicates, in_hand)
        assert sum(n - 1 for n in duplicates.values()) <= entry_slots, duplicates
        assert len({a.id for a in on_topic}) == len(expected)  # a duplicate carries its entry's article id

        # The per-host cap held for each poller: never more than pollers x cap pages in flight.
        assert pages.max_in_flight <= 2 * PER_HOST
        print(f"victim held {len(held)} feed(s); {len(in_hand)} of their entries were unseen at the kill;"
              f" {sum(n - 1 for n in duplicates.values())} duplicate(s) on the topic; smallest gap between two"
              f" polls of a feed {min(gaps.values()):.2f}s (interval {INTERVAL_S}s)")
