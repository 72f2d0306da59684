"""The tests' Postgres server: the dev stack's, or Docker's when one answers.

Resolution order: ``DATABASE_URL`` when set; else testcontainers when a Docker
engine answers; else pgserver from ``devstack.embedded``. (The tests' brokers
come from their own fixtures: Apache Kafka from Maven Central jars, and
Tansu.) The testcontainers step is test-only (testcontainers comes with the
``test`` extra), so it lives here rather than in the runtime dev stack.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from devstack import embedded
from devstack.embedded import Service


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
def postgres_testcontainer() -> Iterator[Service]:
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver=None) as container:
        yield Service("postgres", container.get_connection_url(), "testcontainers Postgres")


@contextlib.contextmanager
def postgres_service(configured: str | None, data_dir: Path) -> Iterator[Service]:
    """A Postgres server: the configured one, else testcontainers if Docker answers, else pgserver."""
    if not configured and docker_available():
        with postgres_testcontainer() as service:
            yield service
    else:
        with embedded.postgres_service(configured, data_dir) as service:
            yield service

