"""``newsflow serve``: check the database's schema, run the app with uvicorn.

Which database, and the catalogue the page shows, are chosen by the caller
(``commands.serve``): the page itself knows neither the dev stack nor enrich.
"""

from __future__ import annotations

import psycopg

from newsflow.errors import ConfigError
from newsflow.migrations import search_path_option
from webapp import queries
from webapp.catalogue import Catalogue

NEEDED_SCHEMA = 5  # 3: the event dates and indexes the page reads; 5: the timeline's event counts


def serve(dsn: str, catalogue: Catalogue, host: str, port: int, log_level: str) -> int:
    import uvicorn

    from webapp.app import create_app

    check_schema(dsn)
    app = create_app(dsn, catalogue)
    print(f"newsflow serve: http://{_url_host(host)}:{port}/ (read-only; Ctrl-C stops it)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), access_log=False)
    return 0


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
