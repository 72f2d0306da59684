"""Fixtures for the integration tiers: a real Kafka-protocol broker and a real Postgres.

Brokers: ``KAFKA_BOOTSTRAP_SERVERS`` when set, for every test. Otherwise the
integration suite runs on Apache Kafka 4.x (KRaft, jars from Maven Central via
tests/kafka/pom.xml, see tests/kafka/broker.py), and the tests marked
``smoke`` run a second time on the embedded Tansu broker so the default of
``newsflow run`` keeps working.

Postgres: ``DATABASE_URL`` when set, else testcontainers when a Docker engine
answers, else pgserver. Each test gets its own database, topics and consumer
groups, so tests never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from devstack.embedded import create_database, drop_database, tansu_broker
from newsflow.settings import FetchConfig, Settings, TopicsConfig
from tests.kafka.broker import kafka_cluster
from tests.stack import postgres_service

BROKERS = ("apache-kafka", "tansu")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Smoke tests run once per broker kind; everything else on Apache Kafka."""
    if "broker_kind" not in metafunc.fixturenames:
        return
    configured = bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    smoke = metafunc.definition.get_closest_marker("smoke") is not None
    kinds = list(BROKERS) if smoke and not configured else [BROKERS[0]]
    metafunc.parametrize("broker_kind", kinds, scope="session")


@pytest.fixture(scope="session")
def apache_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Apache Kafka KRaft node for the whole session."""
    with kafka_cluster(tmp_path_factory.mktemp("apache-kafka")) as cluster:
        yield cluster.bootstrap


@pytest.fixture(scope="session")
def tansu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.mktemp("tansu") / "broker.log"
    with tansu_broker(log_path) as service:
        yield service.address


@pytest.fixture(scope="session")
def kafka_bootstrap(request: pytest.FixtureRequest, broker_kind: str) -> str:
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        return configured
    return request.getfixturevalue("apache_kafka" if broker_kind == "apache-kafka" else "tansu")


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres_service(os.environ.get("DATABASE_URL"), tmp_path_factory.mktemp("pg")) as service:
        yield service.address


@pytest.fixture
def database_url(bare_database_url: str) -> str:
    """A fresh, empty database for one test, whose sessions find the newsflow schema's tables.

    The tests read the tables unqualified, as an operator's ``newsflow psql``
    does, so the database itself puts the schema on every session's path.
    The services set ``search_path`` themselves; tests/integration/test_migrate.py
    checks that on a ``bare_database_url``.
    """
    with psycopg.connect(bare_database_url, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(sql.SQL("ALTER DATABASE {} SET search_path = newsflow, public").format(sql.Identifier(name)))
    return bare_database_url


@pytest.fixture
def bare_database_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database with the server's default ``search_path``."""
    name = f"nf_test_{uuid.uuid4().hex[:12]}"
    url = create_database(pg_server_url, name)
    yield url
    drop_database(pg_server_url, name)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def make_settings(kafka_bootstrap: str, database_url: str, unique: str) -> Callable[..., Settings]:
    """Settings factory: a fresh database, fresh topics and fresh consumer groups."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "kafka_bootstrap_servers": kafka_bootstrap,
            "database_url": database_url,
            "topics": TopicsConfig(
                raw=f"t{unique}.raw", enriched=f"t{unique}.enriched", dlq=f"t{unique}.dlq",
                events=f"t{unique}.events", partitions=3,
            ),
            "fetch": FetchConfig(allow_private_addresses=True, total_timeout_s=10.0),
            "enrich_group": f"g{unique}.enrich",
            "sink_group": f"g{unique}.sink",
            "consumer_session_timeout_ms": 6000,
            "consumer_heartbeat_interval_ms": 2000,
        }
        values.update(overrides)
        return Settings(**values)

    return factory


SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"
