"""Clear start-up errors (issue 8 #9): one line and exit 2 for bad configuration,
a bounded wait for an unreachable broker or database, and SIGTERM honoured
from the first instant (handlers installed before the heavy imports)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from newsflow.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "CanaryDbPw4471"


def _newsflow(args: list[str], env: dict[str, str], timeout_s: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsflow", *args], cwd=ROOT, env={**os.environ, **env},
        capture_output=True, text=True, timeout=timeout_s,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once it is closed


def _assert_one_line(done: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert done.returncode == code, (done.returncode, done.stderr[-2000:])
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("newsflow: "), done.stderr[-2000:]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert PASSWORD not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("config", "env", "fragment"),
    [
        ("feeds: [\n", {}, "cannot read config"),
        ("feeds:\n  - url: ftp://example.com/feed\n", {}, "feeds.0.url"),
        ("", {"NEWSFLOW_FETCH__MAX_REDIRECTS": "many"}, "fetch.max_redirects"),
        ("", {"KAFKA_BOOTSTRAP_SERVERS": ""}, "KAFKA_BOOTSTRAP_SERVERS is not set"),
        ("", {"KAFKA_BOOTSTRAP_SERVERS": "no-port-here"}, "not host:port"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(config: str, env: dict[str, str], fragment: str, tmp_path: Path,
                                                    kafka_bootstrap: str, database_url: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(config)
    base = {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "DATABASE_URL": database_url}
    _assert_one_line(_newsflow(["ingest", "--config", str(path)], {**base, **env}), 2, fragment)


def _with(dsn: str, **changes: object) -> str:
    return make_conninfo(**{**conninfo_to_dict(dsn), "password": PASSWORD, **changes})


@pytest.mark.parametrize("service", ["sink", "ingest", "run"])
@pytest.mark.parametrize(
    ("change", "fragment"),
    [({"port": "notaport"}, "port"), ({"sslmode": "bogus"}, "sslmode"), ({"dbname": "nf_missing_db"}, "does not exist")],
)
def test_a_permanently_wrong_database_url_fails_at_once(service: str, change: dict, fragment: str,
                                                         kafka_bootstrap: str, database_url: str) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "DATABASE_URL": _with(database_url, **change)}
    started = time.monotonic()
    done = _newsflow([service], env, timeout_s=30)
    _assert_one_line(done, 2, "DATABASE_URL", fragment)
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("service", ["ingest", "enrich", "sink"])
def test_an_unreachable_broker_is_waited_for_then_reported(service: str, database_url: str) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{_closed_port()}", "DATABASE_URL": database_url,
           "NEWSFLOW_STARTUP_TIMEOUT_S": "3"}
    started = time.monotonic()
    done = _newsflow([service], env, timeout_s=60)
    elapsed = time.monotonic() - started
    _assert_one_line(done, 1, "Kafka broker at 127.0.0.1:", "unreachable")
    assert 2 <= elapsed < 15, elapsed


@pytest.mark.parametrize("service", ["ingest", "enrich", "sink"])
@pytest.mark.parametrize("after_s", [0.25, 0.6])
def test_sigterm_in_the_first_seconds_exits_cleanly(service: str, after_s: float, tmp_path: Path,
                                                      make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url", "kafka_bootstrap_servers"})))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "DATABASE_URL": settings.database_dsn()}
    proc = subprocess.Popen([sys.executable, "-m", "newsflow", service, "--config", str(config)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(after_s)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, (proc.returncode, err.decode()[-2000:])


def test_sigterm_while_waiting_for_the_broker_exits_cleanly(database_url: str) -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{_closed_port()}", "DATABASE_URL": database_url}
    proc = subprocess.Popen([sys.executable, "-m", "newsflow", "sink"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(2.0)
        assert proc.poll() is None  # still waiting (30 s by default)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
        assert time.monotonic() - started < 3
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
