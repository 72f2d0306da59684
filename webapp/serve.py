"""``newsflow serve``: find the database, check its schema, run the app with uvicorn.

The database is ``DATABASE_URL`` when set; else the embedded Postgres that
``newsflow run`` keeps in the data folder, so ``newsflow run --once`` then
``newsflow serve`` shows what the run stored.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import psycopg

from newsflow.errors import ConfigError
from newsflow.migrations import search_path_option
from newsflow.settings import Settings
from webapp import queries

NEEDED_SCHEMA = 5  # 3: the event dates and indexes the page reads; 5: the timeline's event counts


def serve(settings: Settings, host: str, port: int) -> int:
    import uvicorn

    from webapp.app import create_app
    from webapp.catalogue import load_catalogue

    with database_dsn(settings) as dsn:
        check_schema(dsn)
        app = create_app(dsn, load_catalogue())
        print(f"newsflow serve: http://{_url_host(host)}:{port}/ (read-only; Ctrl-C stops it)", flush=True)
        uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)
    return 0


@contextlib.contextmanager
def database_dsn(settings: Settings) -> Iterator[str]:
    """The configured database, else the embedded one ``newsflow run`` uses."""
    if settings.database_url is not None:
        yield settings.database_dsn()
        return
    from newsflow.embedded import embedded_postgres

    data_dir = settings.data_dir or Path(platformdirs.user_data_dir("newsflow"))
    # pgserver, whatever else answers: only its data folder outlives a run.
    with embedded_postgres(data_dir / "postgres") as service:
        print(f"using {service.how}", flush=True)
        yield service.address


def check_schema(dsn: str) -> None:
    """A clear start-up error when the database holds no newsflow data yet, or an older schema."""
    with psycopg.connect(dsn, options=f"-c default_transaction_read_only=on {search_path_option()}") as conn:
        version = queries.schema_version(conn)
    if version == 0:
        raise ConfigError(
            "the database has no newsflow tables yet: run `newsflow migrate` (or `newsflow run --once`, or the sink) first"
        )
    if version < NEEDED_SCHEMA:
        raise ConfigError(
            f"the database schema is at version {version}, the page needs {NEEDED_SCHEMA}: "
            "run `newsflow migrate` (or start the sink once) to migrate it"
        )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
