"""``newsflow psql``: psql on the database newsflow writes to, embedded or configured.

The embedded Postgres only runs while a newsflow command holds it, so its URL
printed by ``run`` is no use afterwards; this starts it for the session. The
password never goes on psql's command line (any user can read that in ``ps``):
it is handed over in ``PGPASSWORD``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from newsflow.errors import ConfigError
from newsflow.migrations import with_search_path
from newsflow.settings import Settings


def run_psql(settings: Settings, sql: str | None, extra: list[str]) -> int:
    """Run psql (interactive, or ``-c sql``) and return its exit status."""
    with database(settings) as (dsn, bundled):
        # The tables live in the newsflow schema: unqualified names find them.
        conninfo, password = _split_password(with_search_path(dsn))
        command = [_psql_binary(prefer_bundled=bundled), conninfo, *(["-c", sql] if sql else []), *extra]
        env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
        return subprocess.run(command, env=env, check=False).returncode


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[tuple[str, bool]]:
    """(DSN, whether it is the embedded server): DATABASE_URL, else the embedded Postgres."""
    if settings.database_url is not None:
        yield settings.database_dsn(), False
        return
    from devstack.embedded import embedded_postgres

    data_dir = (settings.data_dir or Path(platformdirs.user_data_dir("newsflow"))) / "postgres"
    if not (data_dir / "PG_VERSION").exists():
        raise ConfigError(f"no embedded database in {data_dir} yet: run `newsflow run --once` first")
    with embedded_postgres(data_dir) as service:
        yield service.address, True


def _split_password(dsn: str) -> tuple[str, str | None]:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    password = params.pop("password", None)
    return make_conninfo(**params), password


def _psql_binary(prefer_bundled: bool) -> str:
    """The pgserver wheel's psql for its own server (same version); else the PATH's, else the wheel's."""
    bundled = _bundled_psql()
    found = None if prefer_bundled else shutil.which("psql")
    binary = found or bundled
    if binary is None:
        raise ConfigError("no psql found: install the PostgreSQL client, or pgserver (`pip install pgserver`)")
    return binary


def _bundled_psql() -> str | None:
    try:
        from devstack.embedded import import_pgserver

        path = Path(import_pgserver().__file__).parent / "pginstall" / "bin" / "psql"
    except ImportError:
        return None
    return str(path) if path.exists() else None
