"""Start-up checks: a clear one-line error instead of a traceback (issue 8 #9).

Before a service builds its clients, the database URL is checked and the
broker and database are waited for, within ``startup_timeout_s``:

* a DATABASE_URL that can never work (unparseable, bad port or sslmode,
  missing database, refused credentials) is a :class:`ConfigError` at once;
  retrying it would only hide the mistake;
* a broker or database that does not answer is waited for, then reported as
  a :class:`StartupError` saying what was tried and for how long;
* a stop request (SIGTERM) during the wait ends it: the caller exits 0.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from newsflow.errors import ConfigError, NewsflowError
from newsflow.lifecycle import Stopper
from newsflow.redact import scrub
from newsflow.settings import Settings

# Fragments of libpq's messages for a DATABASE_URL that no retry will fix.
_PERMANENT_DATABASE_ERRORS = (
    "invalid sslmode value",
    "invalid integer value",
    "invalid port",
    "invalid connection option",
    "invalid value for parameter",
    "does not exist",  # database "x" / role "x"
    "password authentication failed",
    "no password supplied",
    "no pg_hba.conf entry",
    "server does not support ssl",
    "missing \"=\" after",
    "invalid uri",
    "invalid percent-encoded token",
)
_RETRY_PAUSE_S = 1.0


class StartupError(NewsflowError):
    """The broker or database did not answer within the start-up timeout."""


def wait_for_dependencies(
    settings: Settings, stopper: Stopper, needs_database: bool = True, needs_broker: bool = True
) -> bool:
    """Wait for the broker (and database); False if a stop was requested meanwhile.

    Both are tried in each round, so a permanently wrong DATABASE_URL is
    reported at once even while the broker is still down.
    """
    pending: dict[str, Callable[[], str | None]] = {}
    if needs_broker:
        servers = _bootstrap_addresses(settings.kafka_bootstrap_servers or "")
        where = ", ".join(f"{h}:{p}" for h, p in servers)
        pending[f"Kafka broker at {where}"] = lambda: _reach_broker(servers)
    if needs_database:
        dsn, secrets = settings.database_dsn(), settings.secret_values()
        pending[f"Postgres at {_describe_dsn(dsn)}"] = lambda: _reach_database(dsn, secrets)
    return _wait(pending, settings.startup_timeout_s, stopper)


def _wait(pending: dict[str, Callable[[], str | None]], timeout_s: float, stopper: Stopper) -> bool:
    """Try each dependency (None: reached; else why not) until all answer or the time is up."""
    started = time.monotonic()
    while True:
        if stopper.stopped:
            return False
        problems = {what: problem for what, attempt in pending.items() if (problem := attempt()) is not None}
        if not problems:
            return True
        pending = {what: pending[what] for what in problems}
        waited = time.monotonic() - started
        if waited + _RETRY_PAUSE_S >= timeout_s:
            detail = "; ".join(f"{what} unreachable: {problem}" for what, problem in problems.items())
            raise StartupError(f"gave up after {waited:.0f}s: {detail}")
        stopper.wait(_RETRY_PAUSE_S)


def _bootstrap_addresses(servers: str) -> list[tuple[str, int]]:
    addresses = []
    for server in (s.strip() for s in servers.split(",") if s.strip()):
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"KAFKA_BOOTSTRAP_SERVERS: {server!r} is not host:port")
        addresses.append((host.strip("[]"), int(port)))
    if not addresses:
        raise ConfigError("KAFKA_BOOTSTRAP_SERVERS is empty")
    return addresses


def _reach_broker(addresses: list[tuple[str, int]]) -> str | None:
    """None once one bootstrap server accepts a TCP connection (the clients do the rest)."""
    problem = "no address"
    for host, port in addresses:
        try:
            with socket.create_connection((host, port), timeout=3.0):
                return None
        except OSError as exc:
            problem = f"{host}:{port}: {exc.strerror or exc}"
    return problem


def _reach_database(dsn: str, secrets: list[str]) -> str | None:
    import psycopg

    try:
        with psycopg.connect(dsn, connect_timeout=5):
            return None
    except psycopg.ProgrammingError as exc:  # libpq could not even parse the URL
        raise ConfigError(f"DATABASE_URL is invalid: {_one_line(exc, secrets)}") from None
    except psycopg.OperationalError as exc:
        message = _one_line(exc, secrets)
        if any(fragment in message.lower() for fragment in _PERMANENT_DATABASE_ERRORS):
            raise ConfigError(f"DATABASE_URL does not work: {message}") from None
        return message


def _describe_dsn(dsn: str) -> str:
    """host:port/dbname of a DSN, never its password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 - reported when connecting
        return "DATABASE_URL"
    return f"{params.get('host', 'localhost')}:{params.get('port', 5432)}/{params.get('dbname', '')}"


def _one_line(exc: BaseException, secrets: list[str]) -> str:
    return scrub(" ".join(str(exc).split()), secrets)[:300]
