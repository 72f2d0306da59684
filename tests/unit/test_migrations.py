"""Pure parts of the migration runner: the search_path flag and the components' migration lists."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict

from ingest.state import COMPONENT_SCHEMA
from newsflow.migrations import with_search_path
from sinks.schema import component as sink_component


@pytest.mark.parametrize("dsn", [
    "postgresql://u:secret@127.0.0.1:5432/db",
    "host=127.0.0.1 port=5432 dbname=db user=u password=secret",
])
def test_search_path_is_added_to_a_dsn_without_options(dsn: str) -> None:
    params = conninfo_to_dict(with_search_path(dsn))
    assert params["options"] == "-c search_path=newsflow,\\ public"
    assert (params["dbname"], params["password"]) == ("db", "secret")


def test_search_path_comes_after_the_dsns_own_options() -> None:
    dsn = "postgresql://u@127.0.0.1/db?options=-c%20statement_timeout%3D5000"
    assert conninfo_to_dict(with_search_path(dsn))["options"] == (
        "-c statement_timeout=5000 -c search_path=newsflow,\\ public"
    )


@pytest.mark.parametrize("component", [COMPONENT_SCHEMA, sink_component()], ids=lambda c: c.name)
def test_versions_are_unique_and_start_at_1(component) -> None:
    versions = [m.version for m in component.migrations]
    assert versions == list(range(1, len(versions) + 1))
    assert len({m.name for m in component.migrations}) == len(versions)
