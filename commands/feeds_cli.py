"""``newsflow feeds list|add|remove|health``: the feeds ingest polls, from Postgres and the config file.

Where feeds come from (see ingest/feedadmin.py): the config file's ``feeds:``
(source ``config``, synced on every ingest start) and ``feeds add`` (source
``cli``, stored in the database, polled without a restart). ``list`` shows
both, with their source; ``remove`` of a config-file feed says to edit the
file instead.

A feed is *failing* after one failed poll and *dead* after ``--dead-after``
failures in a row (default 10: by then the backoff, doubling from 60 s, waits
the full 6 h cap between tries). ``health`` exits 3 when a feed is dead, for
cron and monitoring.

Exit status: 0 done; 1 the database is unreachable, its schema is behind
(run ``newsflow migrate``), or the feed cannot be added or removed (the
message says why); 2 bad arguments or configuration; 3 (``health``) a feed
is dead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from newsflow.errors import ConfigError, NewsflowError

if TYPE_CHECKING:
    import psycopg

    from ingest.feedadmin import FeedRow
    from newsflow.settings import Settings

DEAD_FEEDS = 3
DEFAULT_DEAD_AFTER = 10


def register(commands: argparse._SubParsersAction, add_config: Callable[[argparse.ArgumentParser], None]) -> None:
    feeds = commands.add_parser(
        "feeds", help="list, add, remove feeds, and show failing and dead ones",
        description="The feeds ingest polls: from the config file's `feeds:` and from `feeds add`. "
        "Exit status: 0 done; 1 an error (database, schema behind, feed not changeable); 2 bad arguments; "
        "3 (health) a feed is dead.",
    )
    actions = feeds.add_subparsers(dest="feeds_command", required=True)

    listing = actions.add_parser("list", help="every active feed, with where it came from and its state",
                                 description="Every active feed, with its source (config file or `feeds add`) "
                                 "and state.")
    listing.add_argument("--all", action="store_true", help="include inactive (removed) feeds")

    add = actions.add_parser("add", help="poll a feed (stored in the database; URLs with credentials belong in the config file)")
    add.add_argument("url", help="the feed's http(s) URL")
    add.add_argument("--name", help="a display name")
    add.add_argument("--interval", type=float, default=900.0, help="seconds between polls (default: 900)")

    remove = actions.add_parser("remove", help="stop polling a feed added with `feeds add`")
    remove.add_argument("url", help="the feed's URL, as added")
    remove.add_argument("--purge", action="store_true", help="also forget its seen entries (a re-add publishes them again)")

    health = actions.add_parser(
        "health", help="failing and dead feeds; exit status 3 when a feed is dead",
        description="Failing and dead feeds with their last error, failures in a row, last success and next "
        "retry. Exit status 3 when a feed is dead, for cron and monitoring.",
    )
    health.add_argument(
        "--dead-after", type=int, default=DEFAULT_DEAD_AFTER,
        help=f"failures in a row that make a feed dead (default: {DEFAULT_DEAD_AFTER})",
    )
    for action in (listing, add, remove, health):
        add_config(action)
        action.add_argument("--json", action="store_true", help="print JSON instead of a table")
    for action, handler in ((listing, _list), (add, _add), (remove, _remove), (health, _health)):
        action.set_defaults(handler=_guarded(handler))


@dataclass(frozen=True)
class FeedView:
    """A feed as listed: where it came from and how it is doing (times in UTC, ISO 8601)."""

    url: str
    name: str | None
    source: str
    status: str
    interval_s: float
    consecutive_failures: int
    last_error: str | None
    last_error_at: str | None
    last_success_at: str | None
    next_check_at: str | None


def _list(args: argparse.Namespace) -> int:
    settings, rows = _read(args)
    views = _views(settings, rows, DEFAULT_DEAD_AFTER, include_inactive=args.all)
    if args.json:
        _print_json([asdict(v) for v in views])
    elif not views:
        print("no feeds: add some to the config file's `feeds:` or with `newsflow feeds add URL`")
    else:
        header = ("SOURCE", "STATUS", "FAILURES", "LAST SUCCESS", "NEXT CHECK", "NAME", "URL")
        print(_table(header, [
            (v.source, v.status, str(v.consecutive_failures), _short(v.last_success_at), _short(v.next_check_at),
             v.name or "-", v.url)
            for v in views
        ]))
    return 0


def _health(args: argparse.Namespace) -> int:
    if args.dead_after < 1:
        print("newsflow feeds health: --dead-after must be at least 1", file=sys.stderr)
        return 2
    settings, rows = _read(args)
    views = [v for v in _views(settings, rows, args.dead_after, include_inactive=False) if v.consecutive_failures]
    dead = [v for v in views if v.status == "dead"]
    if args.json:
        _print_json({"dead_after": args.dead_after, "failing": len(views) - len(dead), "dead": len(dead),
                     "feeds": [asdict(v) for v in views]})
    elif not views:
        print("all feeds healthy")
    else:
        header = ("STATUS", "FAILURES", "LAST ERROR AT", "LAST SUCCESS", "NEXT RETRY", "URL", "LAST ERROR")
        print(_table(header, [
            (v.status, str(v.consecutive_failures), _short(v.last_error_at), _short(v.last_success_at),
             _short(v.next_check_at), v.url, _clip(v.last_error or "-", 100))
            for v in views
        ]))
        print(f"{len(dead)} dead, {len(views) - len(dead)} failing (dead after {args.dead_after} failures in a row)")
    return DEAD_FEEDS if dead else 0


def _add(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from ingest.feedadmin import add_feed
    from newsflow.settings import FeedConfig

    try:  # the same checks as a feed in the config file
        feed = FeedConfig(url=args.url.strip(), name=args.name, interval_s=args.interval)
    except ValidationError as exc:
        problems = "; ".join(error["msg"] for error in exc.errors())
        print(f"newsflow feeds add: {problems}", file=sys.stderr)
        return 2
    return _change(args, "add", lambda conn: add_feed(conn, feed.url, feed.name, feed.interval_s), feed.url)


def _remove(args: argparse.Namespace) -> int:
    from ingest.feedadmin import remove_feed

    return _change(args, "remove", lambda conn: remove_feed(conn, args.url.strip(), args.purge), args.url.strip())


def _change(args: argparse.Namespace, verb: str, change: Callable[[psycopg.Connection], str], url: str) -> int:
    from ingest.feedadmin import FeedAdminError
    from newsflow.redact import redact_url

    settings = _settings(args)
    if _in_config_file(settings, url):
        advice = ("remove it from the file's `feeds:`; the next ingest start deactivates it" if verb == "remove"
                  else "it is polled already; change it there")
        print(f"newsflow feeds {verb}: {redact_url(url)} comes from the config file {args.config or ''}: {advice}",
              file=sys.stderr)
        return 1
    try:
        with _connection(settings) as conn:
            done = change(conn)
    except FeedAdminError as exc:
        print(f"newsflow feeds {verb}: {redact_url(url)}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        _print_json({"url": redact_url(url), "result": done})
    else:
        print(f"{redact_url(url)}: {done}")
    return 0


def _views(settings: Settings, rows: list[FeedRow], dead_after: int, include_inactive: bool) -> list[FeedView]:
    """The stored feeds, plus config-file feeds ingest has not synced yet, with their source and status."""
    from ingest.identity import feed_key
    from newsflow.redact import redact_url

    in_file = {feed_key(f.url): f for f in settings.feeds}
    stored = {row.feed_key for row in rows}
    # Without a config file, whether a config feed is still listed in it is unknown.
    views = [
        _view(row, dead_after, row.feed_key in in_file or not in_file) for row in rows if row.active or include_inactive
    ]
    views += [
        FeedView(redact_url(f.url), f.name, "config", "new (not synced yet)", f.interval_s, 0, None, None, None, None)
        for key, f in in_file.items() if key not in stored
    ]
    return sorted(views, key=lambda v: (v.source, v.url))


def _view(row: FeedRow, dead_after: int, in_file: bool) -> FeedView:
    source = row.source
    if source == "config" and not in_file:
        # Ingest deactivates it on its next start (or did already).
        source = "config (not in this file)"
    return FeedView(
        url=row.url, name=row.name, source=source, status=_status(row, dead_after),
        interval_s=row.interval_s, consecutive_failures=row.consecutive_errors, last_error=row.last_error,
        last_error_at=_iso(row.last_error_at), last_success_at=_iso(row.last_success_at),
        next_check_at=_iso(row.next_check_at) if row.active else None,
    )


def _status(row: FeedRow, dead_after: int) -> str:
    if not row.active:
        return "inactive"
    if row.consecutive_errors >= dead_after:
        return "dead"
    if row.consecutive_errors:
        return "failing"
    return "ok" if row.last_success_at else "new"


def _read(args: argparse.Namespace) -> tuple[Settings, list[FeedRow]]:
    from ingest.feedadmin import feed_rows

    settings = _settings(args)
    with _connection(settings) as conn:
        return settings, feed_rows(conn)


def _settings(args: argparse.Namespace) -> Settings:
    from commands.migrate_cli import load_quietly

    return load_quietly(args)


@contextlib.contextmanager
def _connection(settings: Settings) -> Iterator[psycopg.Connection]:
    """The operator's connection, once the feed tables are known to be current."""
    from commands.migrate_cli import operator_connection
    from ingest.state import COMPONENT, SCHEMA_VERSION
    from newsflow.migrations import applied_version

    with operator_connection(settings) as conn:
        version = applied_version(conn, COMPONENT)
        if version < SCHEMA_VERSION:
            raise NewsflowError(
                f"the feed tables are at version {version}, this newsflow needs {SCHEMA_VERSION}: "
                "run `newsflow migrate` first"
            )
        yield conn


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A database error is one line on stderr and exit status 1, not a traceback."""

    def run(args: argparse.Namespace) -> int:
        import psycopg

        try:
            return handler(args)
        except psycopg.Error as exc:
            print(f"newsflow feeds {args.feeds_command}: database: {type(exc).__name__}: "
                  f"{' '.join(str(exc).split())}", file=sys.stderr)
            return 1
        except NewsflowError as exc:  # configuration errors (exit 2) are left to the main entry point
            if isinstance(exc, ConfigError):
                raise
            print(f"newsflow feeds {args.feeds_command}: {' '.join(str(exc).split())}", file=sys.stderr)
            return 1

    return run


def _in_config_file(settings: Settings, url: str) -> bool:
    from ingest.identity import feed_key

    return any(feed_key(f.url) == feed_key(url) for f in settings.feeds)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def _short(iso: str | None) -> str:
    """A table cell for a time: ``2026-12-03 17:40Z``."""
    return iso[:16].replace("T", " ") + "Z" if iso else "-"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    from commands.migrate_cli import format_table

    return format_table(header, rows)


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))
