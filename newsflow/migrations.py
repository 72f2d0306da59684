"""The one migration runner: every newsflow table lives in the ``newsflow`` schema.

Each stage owns an ordered list of migrations (a :class:`Component`: ingest's
feed state, the sink's articles) and one ledger, ``newsflow.migrations``,
records what was applied, keyed by component and version. A private schema
and ledger keep newsflow out of the way in a shared database: ``public``
commonly holds another tool's ``schema_migrations`` (golang-migrate, dbmate
and Rails all use that name).

:func:`migrate` applies a component's pending migrations in one transaction
under a transaction-scoped advisory lock, so runners starting together (an
ingest and a sink, several pollers) take turns: the second waits, then finds
nothing to do. A failure rolls the whole run back. Never edit a released
migration: append a new one.

Databases from before the schema (tables and two ledgers in ``public``) are
adopted in place: the tables move with ``ALTER ... SET SCHEMA`` (rows,
indexes, constraints and triggers go with them) and the old ledger's rows are
carried over, then the old ledger is dropped. A ``public`` ledger that is not
recognisably newsflow's is left alone.

Connections find the tables through ``search_path`` (:func:`with_search_path`,
set at connect), so the SQL elsewhere stays unqualified.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

log = logging.getLogger(__name__)

SCHEMA = "newsflow"
# ``public`` stays on the path for what extensions install there.
SEARCH_PATH = f"{SCHEMA}, public"
_LEDGER = sql.Identifier(SCHEMA, "migrations")
# pg_advisory_xact_lock key shared by every component ("nfmigrat"): one runner at a time.
MIGRATION_LOCK_KEY = 0x6E666D6967726174

# A step is constant DDL, or a data step run on the migrating connection.
Step = str | Callable[[psycopg.Connection], None]


class MigrationError(Exception):
    """The schema cannot be migrated as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class LegacyLayout:
    """Where a component lived before the ``newsflow`` schema: its ledger and objects in ``public``.

    ``named_ledger``: the old ledger has a ``name`` column to check against the
    migrations' names (the sink's did; ingest's had versions only).
    ``functions`` are names of functions taking no arguments (trigger functions).
    """

    ledger: str
    named_ledger: bool
    tables: tuple[str, ...]
    views: tuple[str, ...] = ()
    functions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Component:
    name: str
    migrations: tuple[Migration, ...]
    legacy: LegacyLayout | None = None

    @property
    def latest(self) -> int:
        return max((m.version for m in self.migrations), default=0)


@dataclass(frozen=True)
class LedgerRow:
    """A migration's state: applied (with when), pending, or applied but unknown to this code."""

    component: str
    version: int
    name: str
    applied_at: datetime | None
    known: bool = True

    @property
    def state(self) -> str:
        if not self.known:
            return "applied (unknown to this version of newsflow)"
        return "applied" if self.applied_at is not None else "pending"


def with_search_path(dsn: str) -> str:
    """``dsn`` (URL or key=value) with ``search_path`` set at connect, after its own ``options``."""
    params = conninfo_to_dict(dsn)
    params["options"] = " ".join(filter(None, (params.get("options"), search_path_option())))
    return make_conninfo(**params)


def search_path_option() -> str:
    """The libpq ``options`` flag putting the newsflow schema first (spaces escaped for libpq)."""
    return "-c search_path=" + SEARCH_PATH.replace(" ", "\\ ")


def migrate(conn: psycopg.Connection, component: Component) -> list[int]:
    """Apply ``component``'s pending migrations in one transaction; return the versions applied."""
    with conn.transaction():
        _prepare(conn)
        _adopt_legacy(conn, component)
        applied = _applied_versions(conn, component.name)
        _warn_if_newer(component, applied)
        pending = [m for m in sorted(component.migrations, key=lambda m: m.version) if m.version not in applied]
        for migration in pending:
            _apply(conn, component.name, migration)
    return [m.version for m in pending]


def status(conn: psycopg.Connection, components: Sequence[Component]) -> list[LedgerRow]:
    """Every known migration, applied or pending, plus applied ones this code does not know.

    Read-only: a database still in the old layout shows its old ledgers'
    versions as pending here, since ``migrate`` adopts them first.
    """
    recorded = _ledger_rows(conn)
    rows: list[LedgerRow] = []
    for component in components:
        known = {m.version for m in component.migrations}
        for migration in sorted(component.migrations, key=lambda m: m.version):
            applied_at = recorded.get((component.name, migration.version))
            rows.append(LedgerRow(component.name, migration.version, migration.name, applied_at))
        rows.extend(
            LedgerRow(name, version, "", applied_at, known=False)
            for (name, version), applied_at in sorted(recorded.items())
            if name == component.name and version not in known
        )
    return rows


def legacy_versions(conn: psycopg.Connection, component: Component) -> list[int]:
    """Versions recorded in the component's old ``public`` ledger, which ``migrate`` adopts (read-only)."""
    if component.legacy is None or applied_version(conn, component.name):
        return []
    rows = _legacy_rows(conn, component, component.legacy)
    return [version for version, _ in rows or ()]


def applied_version(conn: psycopg.Connection, component: str) -> int:
    """The highest version of ``component`` applied (0: none, or no ledger yet)."""
    versions = [v for (name, v) in _ledger_rows(conn) if name == component]
    return max(versions, default=0)


def _warn_if_newer(component: Component, applied: set[int]) -> None:
    """A newer newsflow migrated this database: say so, and go on (a rolling upgrade runs both for a while)."""
    unknown = sorted(applied - {m.version for m in component.migrations})
    if unknown:
        log.warning(
            "the %s schema has migrations this newsflow does not know (%s): a newer version migrated it",
            component.name, ", ".join(map(str, unknown)),
        )


def _prepare(conn: psycopg.Connection) -> None:
    """Lock, then make sure the schema and ledger exist; unqualified DDL lands in the schema."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
    # Checked first: CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database,
    # which a role that only owns the schema may lack.
    if conn.execute("SELECT to_regnamespace(%s)", (SCHEMA,)).fetchone()[0] is None:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
    conn.execute("SELECT set_config('search_path', %s, true)", (SEARCH_PATH,))
    conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} ("
            " component  text NOT NULL,"
            " version    integer NOT NULL,"
            " name       text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now(),"
            " PRIMARY KEY (component, version))"
        ).format(_LEDGER)
    )


def _apply(conn: psycopg.Connection, component: str, migration: Migration) -> None:
    log.info("applying %s schema migration %d: %s", component, migration.version, migration.name)
    for step in migration.steps:
        if callable(step):
            step(conn)
        else:
            conn.execute(sql.SQL(step))  # type: ignore[arg-type] - constant DDL, no parameters
    conn.execute(
        sql.SQL("INSERT INTO {} (component, version, name) VALUES (%s, %s, %s)").format(_LEDGER),
        (component, migration.version, migration.name),
    )


def _applied_versions(conn: psycopg.Connection, component: str) -> set[int]:
    query = sql.SQL("SELECT version FROM {} WHERE component = %s").format(_LEDGER)
    return {row[0] for row in conn.execute(query, (component,))}


def _ledger_rows(conn: psycopg.Connection) -> dict[tuple[str, int], datetime]:
    exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.migrations",)).fetchone()[0]
    if exists is None:
        return {}
    rows = conn.execute(sql.SQL("SELECT component, version, applied_at FROM {}").format(_LEDGER))
    return {(name, version): applied_at for name, version, applied_at in rows}


# --- adopting the layout from before the schema ------------------------------------------


def _adopt_legacy(conn: psycopg.Connection, component: Component) -> None:
    """Move a component's old ``public`` tables into the schema and carry its old ledger over."""
    legacy = component.legacy
    if legacy is None or _applied_versions(conn, component.name):
        return
    old_rows = _legacy_rows(conn, component, legacy)
    if old_rows is None:
        return
    log.info("moving the %s tables from public into the %s schema", component.name, SCHEMA)
    for kind, names in (("TABLE", legacy.tables), ("VIEW", legacy.views)):
        for name in names:
            _move_relation(conn, kind, name)
    for name in legacy.functions:
        _move_function(conn, name)
    names = {m.version: m.name for m in component.migrations}
    with conn.cursor() as cursor:
        cursor.executemany(
            sql.SQL("INSERT INTO {} (component, version, name, applied_at) VALUES (%s, %s, %s, %s)").format(_LEDGER),
            [(component.name, version, names[version], applied_at) for version, applied_at in old_rows],
        )
    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier("public", legacy.ledger)))


def _legacy_rows(
    conn: psycopg.Connection, component: Component, legacy: LegacyLayout
) -> list[tuple[int, datetime]] | None:
    """The old ledger's (version, applied_at), or None when there is none or it is not ours."""
    columns = {
        row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s",
            (legacy.ledger,),
        )
    }
    expected = {"version", "name", "applied_at"} if legacy.named_ledger else {"version", "applied_at"}
    if not columns:
        return None
    if columns != expected:
        log.info("public.%s is not newsflow's (columns %s); left alone", legacy.ledger, sorted(columns))
        return None
    ledger = sql.Identifier("public", legacy.ledger)
    name_column = sql.Identifier("name") if legacy.named_ledger else sql.SQL("NULL")
    rows = conn.execute(
        sql.SQL("SELECT version, {}, applied_at FROM {} ORDER BY version").format(name_column, ledger)
    ).fetchall()
    names = {m.version: m.name for m in component.migrations}
    ours = all(v in names and (not legacy.named_ledger or n == names[v]) for v, n, _ in rows)
    if not ours or not rows:
        log.info("public.%s does not list newsflow %s migrations; left alone", legacy.ledger, component.name)
        return None
    return [(version, applied_at) for version, _, applied_at in rows]


def _move_relation(conn: psycopg.Connection, kind: str, name: str) -> None:
    if conn.execute("SELECT to_regclass(%s)", (f"public.{name}",)).fetchone()[0] is None:
        return  # not created by the versions applied (or already gone)
    if conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.{name}",)).fetchone()[0] is not None:
        raise MigrationError(
            f"both public.{name} and {SCHEMA}.{name} exist: move or drop one of them by hand, then migrate again"
        )
    conn.execute(
        sql.SQL("ALTER {} {} SET SCHEMA {}").format(
            sql.SQL(kind), sql.Identifier("public", name), sql.Identifier(SCHEMA)
        )
    )


def _move_function(conn: psycopg.Connection, name: str) -> None:
    """Move a function taking no arguments (the trigger functions) if it is in ``public``."""
    if conn.execute("SELECT to_regprocedure(%s)", (f"public.{name}()",)).fetchone()[0] is None:
        return
    conn.execute(
        sql.SQL("ALTER FUNCTION {}() SET SCHEMA {}").format(sql.Identifier("public", name), sql.Identifier(SCHEMA))
    )
