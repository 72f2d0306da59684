"""The ``newsflow`` command line.

``ingest``, ``enrich`` and ``sink`` are long-running services that stop cleanly
on SIGTERM/SIGINT; ``run`` runs all three in one process (starting the embedded
broker and Postgres when nothing is configured); ``tag`` and ``eval`` run the
tagger on files and on the gold set.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date, datetime
from pathlib import Path

from newsflow.errors import ConfigError, NewsflowError
from newsflow.lifecycle import Stopper
from newsflow.logs import configure_logging
from newsflow.settings import Settings, load_settings

log = logging.getLogger("newsflow")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"newsflow: {exc}", file=sys.stderr)
        return 2
    except NewsflowError as exc:
        print(f"newsflow: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__.splitlines()[0])
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
    return parser


def _add_config(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, help="YAML settings file (feeds, topics, limits)")


def _service_settings(args: argparse.Namespace, *, needs_database: bool = True) -> Settings:
    """Settings for a single service, which needs a real broker (and database)."""
    settings = _load(args)
    if not settings.kafka_bootstrap_servers:
        raise ConfigError("KAFKA_BOOTSTRAP_SERVERS is not set (use `newsflow run` for the embedded stack)")
    if needs_database and settings.database_url is None:
        raise ConfigError("DATABASE_URL is not set (use `newsflow run` for the embedded stack)")
    return settings


def _load(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    configure_logging(settings.log_level, settings.secret_values())
    return settings


def _stopper() -> Stopper:
    stopper = Stopper()
    stopper.install_signal_handlers()
    return stopper


def _cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.service import run_ingest

    settings = _service_settings(args)
    run_ingest(settings, _stopper(), once=args.once)
    return 0


def _cmd_enrich(args: argparse.Namespace) -> int:
    from enrich.worker import run_enrich

    run_enrich(_service_settings(args, needs_database=False), _stopper())
    return 0


def _cmd_sink(args: argparse.Namespace) -> int:
    from sinks.service import run_sink

    run_sink(_service_settings(args), _stopper())
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from newsflow.pipeline import run_pipeline

    return run_pipeline(_load(args), _stopper(), once=args.once)


def _cmd_serve(args: argparse.Namespace) -> int:
    from webapp.serve import serve

    return serve(_load(args), args.host, args.port)


def _cmd_tag(args: argparse.Namespace) -> int:
    from newsflow.tagfiles import tag_file

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
