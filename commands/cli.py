"""The ``newsflow`` command line.

``ingest``, ``enrich`` and ``sink`` are long-running services that stop cleanly
on SIGTERM/SIGINT; ``run`` runs all three in one process (starting the embedded
broker and Postgres when nothing is configured); ``tag`` and ``eval`` run the
tagger on files and on the gold set; ``psql`` opens the database.

Exit status: 0 done; 1 an error (one line on stderr); 2 bad configuration;
3 ``--once`` finished but some feeds failed (listed on stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

# Only light modules at import time: a service installs its signal handlers
# before pydantic, Kafka, psycopg and friends are loaded (about 1-2 s), so a
# SIGTERM that early still stops it cleanly (issue 8 #9).
from newsflow.errors import ConfigError, NewsflowError
from newsflow.lifecycle import Stopper

if TYPE_CHECKING:  # settings (pydantic-settings) load on demand, as every heavy module
    from newsflow.settings import Settings

log = logging.getLogger("newsflow")
_SERVICES = ("ingest", "enrich", "sink", "run")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in _SERVICES:
        args.stopper = _stopper()
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"newsflow: {_one_line(exc)}", file=sys.stderr)
        return 2
    except NewsflowError as exc:
        print(f"newsflow: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action=_Version, help="print the version and the message schema version, then exit")
    commands = parser.add_subparsers(dest="command", required=True)

    for name, handler, text in (
        ("ingest", _cmd_ingest, "poll feeds, fetch and extract articles, publish to the raw topic"),
        ("enrich", _cmd_enrich, "tag raw articles and publish them to the enriched topic"),
        ("sink", _cmd_sink, "write enriched articles to Postgres"),
        ("run", _cmd_run, "run ingest, enrich and sink together (embedded broker/Postgres if unset)"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        _add_config(command)
        if name in ("ingest", "run"):
            command.add_argument(
                "--once", action="store_true",
                help="poll every feed once, carry every article through, then exit",
            )
        command.set_defaults(handler=handler)

    tag = commands.add_parser("tag", help="print the enrichment of text or HTML files as JSON lines")
    tag.add_argument("files", nargs="+", help="files to tag; - reads standard input")
    tag.add_argument("--published", type=date.fromisoformat, help="YYYY-MM-DD anchoring relative dates")
    tag.set_defaults(handler=_cmd_tag)

    evaluate = commands.add_parser("eval", help="score the tagger on a gold set")
    evaluate.add_argument("path", nargs="?", type=Path, help="gold set YAML (default: the bundled one)")
    evaluate.set_defaults(handler=_cmd_eval)

    serve = commands.add_parser("serve", help="the analyst's read-only web page on the Postgres data")
    _add_config(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.set_defaults(handler=_cmd_serve)

    psql = commands.add_parser(
        "psql", help="open psql on DATABASE_URL, else on the embedded Postgres `run` keeps",
        description="Open psql on DATABASE_URL, else on the embedded Postgres that `newsflow run` keeps "
        "in its data folder (started for the session). Arguments after -- go to psql.",
    )
    _add_config(psql)
    psql.add_argument("-c", "--command", dest="sql", help="run one SQL command and exit")
    psql.add_argument("psql_args", nargs=argparse.REMAINDER, help="more arguments for psql, after --")
    psql.set_defaults(handler=_cmd_psql)

    # Operator commands, each in its own module.
    from commands import feeds_cli, migrate_cli
    from commands.ops_cli import add_operator_commands  # retag, replay, dlq

    migrate_cli.register(commands, _add_config)
    feeds_cli.register(commands, _add_config)
    add_operator_commands(commands, _add_config)
    return parser


def _add_config(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, help="YAML settings file (feeds, topics, limits)")
    command.add_argument(
        "--log-level", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="log level (default: INFO; WARNING for `run --once`, which prints its own progress); "
        "libraries' own logs show only at DEBUG",
    )


class _Version(argparse.Action):
    """``--version``: the package version and the topics' schema version (imported only when asked)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import version

        from newsflow.models import SCHEMA_VERSION

        print(f"newsflow {version('newsflow')} (message schema_version {SCHEMA_VERSION})")
        parser.exit()


def _service_settings(args: argparse.Namespace, *, needs_database: bool = True) -> Settings:
    """Settings for a single service, which needs a real broker (and database)."""
    settings = _load(args)
    if not settings.kafka_bootstrap_servers:
        raise ConfigError("KAFKA_BOOTSTRAP_SERVERS is not set (use `newsflow run` for the embedded stack)")
    if needs_database and settings.database_url is None:
        raise ConfigError("DATABASE_URL is not set (use `newsflow run` for the embedded stack)")
    return settings


def _load(args: argparse.Namespace) -> Settings:
    from newsflow.logs import configure_logging
    from newsflow.settings import load_settings

    settings = load_settings(args.config, log_level=args.log_level)
    configure_logging(_log_level(settings, args), settings.secret_values(), settings.log_format)
    return settings


def _log_level(settings: Settings, args: argparse.Namespace) -> str:
    """The level asked for anywhere (option, environment, file), else the command's default.

    ``run --once`` prints a line before and after each stage and the results
    on stdout; the stages' INFO lines would say the same again on stderr.
    """
    if "log_level" not in settings.model_fields_set and args.command == "run" and args.once:
        return "WARNING"
    return settings.log_level


def _ready(settings: Settings, args: argparse.Namespace, *, needs_database: bool = True) -> bool:
    """Wait (bounded) for the broker and database; False if stopped meanwhile."""
    from newsflow.startup import wait_for_dependencies

    return wait_for_dependencies(settings, args.stopper, needs_database)


def _stopper() -> Stopper:
    stopper = Stopper()
    stopper.install_signal_handlers()
    return stopper


def _cmd_ingest(args: argparse.Namespace) -> int:
    settings = _service_settings(args)
    with _serving_metrics(settings):
        if not _ready(settings, args):
            return 0
        from commands.pipeline import report_failed_feeds
        from ingest.service import run_ingest

        report = run_ingest(settings, args.stopper, once=args.once)
    return report_failed_feeds(report.failed_feeds) if args.once else 0


def _cmd_enrich(args: argparse.Namespace) -> int:
    settings = _service_settings(args, needs_database=False)
    with _serving_metrics(settings, needs_database=False):
        if not _ready(settings, args, needs_database=False):
            return 0
        from enrich.worker import run_enrich

        run_enrich(settings, args.stopper)
    return 0


def _cmd_sink(args: argparse.Namespace) -> int:
    settings = _service_settings(args)
    with _serving_metrics(settings):
        if not _ready(settings, args):
            return 0
        from sinks.service import run_sink

        run_sink(settings, args.stopper)
    return 0


def _serving_metrics(settings: Settings, needs_database: bool = True) -> contextlib.AbstractContextManager:
    """/metrics, /healthz and /readyz while the service runs, when ``metrics_port`` is set.

    Started before the wait for the broker and database, so /healthz answers
    and /readyz says what is missing meanwhile.
    """
    if settings.metrics_port is None:
        return contextlib.nullcontext()
    from newsflow.metrics import serving_metrics

    return serving_metrics(settings, needs_database)


def _cmd_run(args: argparse.Namespace) -> int:
    from newsflow.startup import wait_for_dependencies

    settings = _load(args)
    # Only what is configured is checked; the rest is started embedded.
    has_broker, has_database = bool(settings.kafka_bootstrap_servers), settings.database_url is not None
    if (has_broker or has_database) and not wait_for_dependencies(
        settings, args.stopper, needs_database=has_database, needs_broker=has_broker
    ):
        return 0
    from commands.pipeline import run_pipeline

    return run_pipeline(settings, args.stopper, once=args.once)


def _cmd_serve(args: argparse.Namespace) -> int:
    from commands.serve import run_serve

    return run_serve(_load(args), args.host, args.port)


def _cmd_psql(args: argparse.Namespace) -> int:
    from commands.psql import run_psql

    extra = [a for a in args.psql_args if a != "--"]
    return run_psql(_load(args), args.sql, extra)


def _cmd_tag(args: argparse.Namespace) -> int:
    from commands.tagfiles import tag_file

    for name in args.files:
        print(json.dumps(tag_file(name, args.published), ensure_ascii=False, default=_json_default))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from enrich.eval import evaluate, format_report

    print(format_report(evaluate(args.path)))
    return 0


def _json_default(value: object) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
