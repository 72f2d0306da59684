"""``newsflow migrate``: bring the database schema up to date, or show where it stands.

The services still migrate on start (as Grafana, Gitea or Mattermost do):
``newsflow run`` is one command on an embedded database, and the runner's
advisory lock makes starts that race safe. This command is for operators who
migrate as a deploy step, before starting new services, and for checking a
database (``--status``). Both use the same runner and the same ledger
(:mod:`newsflow.migrations`).

Exit status: 0 done or already up to date (``--status``: nothing pending);
1 the database is unreachable or a migration failed (that component's
migrations are rolled back as a whole); 2 bad configuration; 3 (``--status``
only) migrations are pending.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

    from newsflow.migrations import Component
    from newsflow.settings import Settings

PENDING = 3


def register(commands: argparse._SubParsersAction, add_config: Callable[[argparse.ArgumentParser], None]) -> None:
    text = "create or upgrade the newsflow tables (schema `newsflow`), or list applied and pending migrations"
    command = commands.add_parser(
        "migrate", help=text, description=text + ". Exit status: 0 up to date; 1 failed; "
        "2 bad configuration; 3 (--status) migrations pending.",
    )
    add_config(command)
    command.add_argument("--status", action="store_true", help="list applied and pending migrations; change nothing")
    command.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import psycopg

    from newsflow.migrations import MigrationError

    settings = load_quietly(args)
    try:
        with operator_connection(settings) as conn:
            return _status(conn) if args.status else _migrate(conn)
    except (psycopg.Error, MigrationError) as exc:
        print(f"newsflow migrate: {_one_line(exc)}", file=sys.stderr)
        return 1


def components() -> list[Component]:
    """Every component's migrations, in the order they are applied."""
    from ingest.state import COMPONENT_SCHEMA
    from sinks.schema import component as sink_component

    return [COMPONENT_SCHEMA, sink_component()]


def _migrate(conn: psycopg.Connection) -> int:
    import psycopg

    from newsflow.migrations import applied_version, migrate

    for component in components():
        try:
            applied = migrate(conn, component)
        except psycopg.Error as exc:
            print(
                f"newsflow migrate: {component.name}: failed, its pending migrations were rolled back: "
                f"{type(exc).__name__}: {_one_line(exc)}",
                file=sys.stderr,
            )
            return 1
        version = applied_version(conn, component.name)
        if applied:
            print(f"{component.name}: applied {', '.join(map(str, applied))}; now at version {version}")
        else:
            print(f"{component.name}: up to date (version {version})")
    return 0


def _status(conn: psycopg.Connection) -> int:
    from newsflow.migrations import SCHEMA, legacy_versions, status

    known = components()
    rows = status(conn, known)
    header = ("COMPONENT", "VERSION", "STATE", "APPLIED AT", "NAME")
    table = [
        (r.component, str(r.version), r.state, r.applied_at.strftime("%Y-%m-%d %H:%M:%SZ") if r.applied_at else "-", r.name)
        for r in rows
    ]
    print(format_table(header, table))
    for component in known:
        old = legacy_versions(conn, component)
        if old:
            print(
                f"note: {component.name}'s tables are still in public (old layout, versions "
                f"{', '.join(map(str, old))}): `newsflow migrate` moves them into the {SCHEMA} schema"
            )
    return PENDING if any(r.applied_at is None for r in rows) else 0


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; the last column is not padded."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip() for row in (header, *rows)]
    return "\n".join(lines)


def load_quietly(args: argparse.Namespace) -> Settings:
    """Settings, with logging at WARNING unless a level is asked for: the command prints its own results."""
    from newsflow.logs import configure_logging
    from newsflow.settings import load_settings

    settings = load_settings(args.config, log_level=args.log_level)
    level = settings.log_level if "log_level" in settings.model_fields_set else "WARNING"
    configure_logging(level, settings.secret_values(), settings.log_format)
    return settings


@contextlib.contextmanager
def operator_connection(settings: Settings) -> Iterator[psycopg.Connection]:
    """An autocommit connection to DATABASE_URL, else to the embedded Postgres `newsflow run` keeps."""
    import psycopg

    from commands.psql import database
    from newsflow.migrations import with_search_path

    with database(settings) as (dsn, _), psycopg.connect(
        with_search_path(dsn), autocommit=True, connect_timeout=10, application_name="newsflow-cli"
    ) as conn:
        yield conn


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
