"""The operator commands ``retag``, ``replay`` and ``dlq list|replay`` (issue 10).

Each needs a running broker (``KAFKA_BOOTSTRAP_SERVERS``); ``retag`` also the
database. Exit status, shared with the rest of the CLI: 0 done (or stopped by
SIGTERM/SIGINT; a retag then continues where it stopped when run again); 1 an
error (one line on stderr); 2 bad configuration or arguments; 3 finished, but
not everything asked for was done (articles the tagger failed on, dead
letters that matched nothing or were cut to fit); 4 ``retag --wait`` timed
out before the sink had stored every retagged article.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from newsflow.errors import ConfigError, NewsflowError

INCOMPLETE = 3
WAIT_TIMED_OUT = 4

_EPILOG = (
    "exit status: 0 done (or stopped by SIGTERM/SIGINT); 1 an error; 2 bad configuration or arguments; "
    "3 finished but not everything was done; 4 retag --wait timed out"
)


def add_operator_commands(commands: argparse._SubParsersAction, add_config: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``retag``, ``replay`` and ``dlq`` to the ``newsflow`` parser."""
    _add_retag(commands, add_config)
    _add_replay(commands, add_config)
    _add_dlq(commands, add_config)


# --- retag ----------------------------------------------------------------------


def _add_retag(commands: argparse._SubParsersAction, add_config: Callable) -> None:
    text = "re-enrich stored articles with the current tagger (published again, written by the sink)"
    retag = commands.add_parser(
        "retag", help=text, epilog=_EPILOG,
        description=text + ". Resumable: run the same command again after a kill and it continues where it stopped.",
    )  # fmt: skip
    add_config(retag)
    which = retag.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every stored article")
    which.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD", help="from this UTC day (included)")
    retag.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD", help="up to this UTC day (included)")
    retag.add_argument(
        "--by", choices=("published", "stored"), default="published",
        help="the date --since/--until select on: the article's publication date (default) "
        "or the day the sink first stored it",
    )  # fmt: skip
    retag.add_argument("--batch-size", type=int, default=200, help="articles per batch and checkpoint (default 200)")
    retag.add_argument("--restart", action="store_true", help="begin this selection again instead of resuming or skipping it")
    retag.add_argument("--wait", action="store_true", help="then wait until the sink has stored every retagged article")
    retag.add_argument("--wait-timeout", type=float, default=600.0, help="seconds --wait waits at most (default 600)")
    retag.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    retag.set_defaults(handler=_guarded(_cmd_retag))


def _cmd_retag(args: argparse.Namespace) -> int:
    from commands.cli import _stopper
    from commands.retag import Selection, run_retag

    if args.all and args.until:
        raise ConfigError("--until goes with --since, not with --all")
    if args.batch_size < 1:
        raise ConfigError("--batch-size must be 1 or more")
    selection = Selection("all") if args.all else Selection(args.by, args.since, args.until)
    settings = _service_settings(args)
    report = run_retag(settings, selection, _stopper(), batch_size=args.batch_size, restart=args.restart,
                       progress=not args.no_progress)  # fmt: skip
    run = report.run
    if report.already_done:
        print(f"retag {selection.key}: already done with tagger {report.tagger_version} "
              f"({run.published} article(s), finished {run.finished_at:%Y-%m-%d %H:%M:%S} UTC); "
              "nothing to do (--restart retags them again)")  # fmt: skip
    else:
        resumed = f", continuing after {report.resumed_after} done before" if report.resumed_after else ""
        print(f"retag {selection.key}: {report.published} article(s) re-enriched with tagger {report.tagger_version} "
              f"and published to {settings.topics.enriched}, {report.failed} failed{resumed}")  # fmt: skip
        if not report.finished:
            print("retag stopped before the end; run the same command again to continue")
            return 0
    if args.wait and not _wait_for_sink(settings, selection, run, args.wait_timeout):
        return WAIT_TIMED_OUT
    return INCOMPLETE if run.failed else 0


def _wait_for_sink(settings, selection, run, timeout_s: float) -> bool:
    """Until the sink has stored every article the run published (those the tagger failed on never change)."""
    from commands.retag import pending_in_sink

    deadline = time.monotonic() + timeout_s
    while (pending := pending_in_sink(settings, selection, run.started_at) - run.failed) > 0:
        if time.monotonic() > deadline:
            print(f"retag --wait: the sink has not stored {pending} retagged article(s) after {timeout_s:.0f} s",
                  file=sys.stderr)  # fmt: skip
            return False
        time.sleep(1.0)
    print("retag: the sink has stored every retagged article")
    return True


# --- replay ---------------------------------------------------------------------


def _add_replay(commands: argparse._SubParsersAction, add_config: Callable) -> None:
    text = "re-publish records of a topic from an offset or a time, to the same topic or another"
    replay = commands.add_parser(
        "replay", help=text, epilog=_EPILOG,
        description=text + ". Reads outside any consumer group, up to each partition's end at the start "
        "(or --to-time); key, value and headers are kept. Consumers downstream are idempotent.",
    )  # fmt: skip
    add_config(replay)
    replay.add_argument("topic", help="the topic to read, e.g. news.articles.enriched")
    start = replay.add_mutually_exclusive_group(required=True)
    start.add_argument("--from-offset", type=int, metavar="N", help="start at offset N of each chosen partition")
    start.add_argument("--from-time", type=_timestamp, metavar="TIME",
                       help="start at the first record stamped at or after TIME (ISO 8601; UTC unless it says)")  # fmt: skip
    replay.add_argument("--to-time", type=_timestamp, metavar="TIME", help="stop before records stamped at or after TIME")
    replay.add_argument("--partition", type=int, action="append", metavar="P", help="only partition P (repeatable; default all)")
    replay.add_argument("--to-topic", metavar="TOPIC", help="publish to TOPIC (default: the topic read)")
    replay.add_argument("--dry-run", action="store_true", help="count what would be replayed, publish nothing")
    replay.set_defaults(handler=_guarded(_cmd_replay))


def _cmd_replay(args: argparse.Namespace) -> int:
    from newsflow.replay import ReplayRequest, run_replay

    settings = _service_settings(args, needs_database=False)
    request = ReplayRequest(
        topic=args.topic, to_topic=args.to_topic or args.topic, partitions=args.partition,
        from_offset=args.from_offset, from_time=args.from_time, to_time=args.to_time, dry_run=args.dry_run,
    )  # fmt: skip
    report = run_replay(settings, request)
    ranges = ", ".join(f"[{tp.partition}] {report.starts[tp]}..{report.ends[tp]}" for tp in sorted(report.starts))
    verb = "would be replayed" if args.dry_run else f"replayed to {request.to_topic}"
    print(f"{report.replayed} record(s) of {request.topic} {verb} (offsets {ranges})")
    return 0


def _timestamp(text: str) -> datetime:
    """ISO 8601 date or time; without a zone, UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- dlq ------------------------------------------------------------------------


def _add_dlq(commands: argparse._SubParsersAction, add_config: Callable) -> None:
    dlq = commands.add_parser("dlq", help="list dead letters, or send chosen ones back to their topic", epilog=_EPILOG)
    actions = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = actions.add_parser("list", help="list the dead letters (a table, or --json: one object a line)", epilog=_EPILOG)
    add_config(listing)
    _add_filters(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object a line instead of a table")
    listing.set_defaults(handler=_guarded(_cmd_dlq_list))

    replay = actions.add_parser(
        "replay", help="send chosen dead letters back to their original topic", epilog=_EPILOG,
        description="Send chosen dead letters (key, value and own headers) back to the topic they came from. "
        "Choose with --all, or any of --stage, --reason, --offset (all given must match).",
    )  # fmt: skip
    add_config(replay)
    _add_filters(replay)
    replay.add_argument("--offset", action="append", type=_position, metavar="P:O",
                        help="the dead letter at partition P, offset O of the dead-letter topic (repeatable)")  # fmt: skip
    replay.add_argument("--all", action="store_true", help="every dead letter")
    replay.add_argument("--dry-run", action="store_true", help="list what would be sent, send nothing")
    replay.set_defaults(handler=_guarded(_cmd_dlq_replay))


def _add_filters(command: argparse.ArgumentParser) -> None:
    command.add_argument("--stage", action="append", choices=("enrich", "sink"), help="only this stage (repeatable)")
    command.add_argument("--reason", action="append", metavar="TYPE", help="only this error type, e.g. DecodeError (repeatable)")


def _position(text: str) -> tuple[int, int]:
    partition, sep, offset = text.partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise argparse.ArgumentTypeError(f"expected PARTITION:OFFSET, e.g. 2:17, not {text!r}")
    return int(partition), int(offset)


def _filter(args: argparse.Namespace):
    from newsflow.dlq import DeadLetterFilter

    return DeadLetterFilter(tuple(args.stage or ()), tuple(args.reason or ()), tuple(getattr(args, "offset", None) or ()))


def _cmd_dlq_list(args: argparse.Namespace) -> int:
    from newsflow.dlq import read_dead_letters

    settings = _service_settings(args, needs_database=False)
    letters = list(read_dead_letters(settings, _filter(args)))
    if args.json:
        for letter in letters:
            print(json.dumps(letter.as_json(), ensure_ascii=False))
    else:
        print(_table(letters))
        print(f"{len(letters)} dead letter(s) on {settings.topics.dlq}")
    return 0


def _table(letters: list) -> str:
    header = ("P:OFFSET", "TIME (UTC)", "STAGE", "REASON", "SOURCE", "KEY", "ERROR")
    rows = [header] + [
        (
            f"{x.partition}:{x.offset}",
            datetime.fromtimestamp(x.timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            x.stage, x.reason, f"{x.source_topic}[{x.source_partition}]@{x.source_offset}",
            _clip((x.key or b"").decode("utf-8", "replace"), 32), _clip(x.error, 80),
        )
        for x in letters
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]) for row in rows)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cmd_dlq_replay(args: argparse.Namespace) -> int:
    from newsflow.dlq import read_dead_letters, replay_dead_letters

    wanted = _filter(args)
    if not args.all and wanted == type(wanted)():
        raise ConfigError("choose the dead letters: --all, or --stage, --reason, --offset")
    settings = _service_settings(args, needs_database=False)
    report = replay_dead_letters(settings, list(read_dead_letters(settings, wanted)), dry_run=args.dry_run)
    verb = "would be sent" if args.dry_run else "sent"
    for letter in report.replayed:
        print(f"{letter.partition}:{letter.offset} {verb} back to {letter.source_topic} ({letter.stage}, {letter.reason})")
    for letter in report.skipped_truncated:
        print(f"{letter.partition}:{letter.offset} not replayed: its value was cut to fit the topic ({letter.truncated})",
              file=sys.stderr)  # fmt: skip
    print(f"{len(report.replayed)} dead letter(s) {verb}, {len(report.skipped_truncated)} skipped")
    return INCOMPLETE if report.skipped_truncated or not report.replayed else 0


def _service_settings(args: argparse.Namespace, needs_database: bool = True):
    """The settings; these commands work on the pipeline's own broker (and database), so both must be set."""
    from commands.cli import _load

    settings = _load(args)
    if not settings.kafka_bootstrap_servers:
        raise ConfigError(f"KAFKA_BOOTSTRAP_SERVERS is not set: `newsflow {args.command}` works on the pipeline's "
                          "broker (the embedded one of `newsflow run` lives only while run does)")  # fmt: skip
    if needs_database and settings.database_url is None:
        raise ConfigError(f"DATABASE_URL is not set: `newsflow {args.command}` reads the stored articles")
    return settings


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Broker and database failures as one line and exit 1 (cli.main handles NewsflowError)."""

    def run(args: argparse.Namespace) -> int:
        import psycopg
        from kafka.errors import KafkaError

        try:
            return handler(args)
        except (KafkaError, psycopg.Error) as exc:
            raise NewsflowError(f"{type(exc).__name__}: {exc}") from exc

    return run
