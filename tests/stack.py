"""The tests' (and benchmarks') servers: the dev stack, plus Docker when one answers.

Resolution order: ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL``
when set; else testcontainers when a Docker engine answers; else the embedded
Tansu broker and pgserver of ``devstack.embedded``. The testcontainers step is
test-only (testcontainers comes with the ``test`` extra), so it lives here
rather than in the runtime dev stack. Also the per-test databases.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from devstack.embedded import Service, embedded_postgres, tansu_broker


def docker_available() -> bool:
    """True when a Docker engine answers (then testcontainers can be used)."""
    try:
        import docker  # testcontainers' dependency

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means "no usable engine"
        return False


@contextlib.contextmanager
def kafka_testcontainer() -> Iterator[Service]:
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer().with_kraft() as container:
        yield Service("kafka", container.get_bootstrap_server(), "testcontainers Apache Kafka")


@contextlib.contextmanager
def postgres_testcontainer() -> Iterator[Service]:
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver=None) as container:
        yield Service("postgres", container.get_connection_url(), "testcontainers Postgres")


@contextlib.contextmanager
def kafka_service(configured: str | None, log_path: Path | None = None) -> Iterator[Service]:
    """A broker: the configured one, else testcontainers if Docker answers, else Tansu."""
    if configured:
        yield Service("kafka", configured, "configured broker")
    elif docker_available():
        with kafka_testcontainer() as service:
            yield service
    else:
        with tansu_broker(log_path) as service:
            yield service


@contextlib.contextmanager
def postgres_service(configured: str | None, data_dir: Path) -> Iterator[Service]:
    """A Postgres server: the configured one, else testcontainers if Docker answers, else pgserver."""
    if configured:
        yield Service("postgres", configured, "configured database")
    elif docker_available():
        with postgres_testcontainer() as service:
            yield service
    else:
        with embedded_postgres(data_dir) as service:
            yield service

