"""``newsflow serve``: choose the database and the catalogue, then run the page.

The database is ``DATABASE_URL`` when set; else the embedded Postgres that
``newsflow run`` keeps in the data folder, so ``newsflow run --once`` then
``newsflow serve`` shows what the run stored. The catalogue is the tagger's
(``enrich/data``): composing the two stages is this layer's job, not the page's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from newsflow.settings import Settings
from webapp.catalogue import Catalogue, ProducerFacts


def run_serve(settings: Settings, host: str, port: int) -> int:
    from webapp.serve import serve

    with database_dsn(settings) as dsn:
        return serve(dsn, load_catalogue(), host, port, settings.log_level)


@contextlib.contextmanager
def database_dsn(settings: Settings) -> Iterator[str]:
    """The configured database, else the embedded one ``newsflow run`` uses."""
    if settings.database_url is not None:
        yield settings.database_dsn()
        return
    from devstack.embedded import embedded_postgres

    data_dir = settings.data_dir or Path(platformdirs.user_data_dir("newsflow"))
    # pgserver, whatever else answers: only its data folder outlives a run.
    with embedded_postgres(data_dir / "postgres") as service:
        print(f"using {service.how}", flush=True)
        yield service.address


def load_catalogue() -> Catalogue:
    """The catalogue the tagger uses (``enrich/data``), loaded once at start-up."""
    from enrich.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    producers = {
        name: ProducerFacts(name, entry.kind, entry.country, entry.commodities, entry.parent)
        for name, entry in taxonomy.producers.items()
    }
    return Catalogue(producers, tuple(sorted(taxonomy.countries)), tuple(sorted(taxonomy.commodities)))
