"""The sink against a Postgres that freezes: the socket stays open, nothing is answered (issue 8, item 2).

A real sink process, a real broker and a real Postgres behind a loopback TCP
proxy written here. While frozen the proxy keeps every socket open and keeps
accepting, but forwards nothing, so TCP itself sees no fault (the kernel
still acknowledges every packet): only the sink's own deadlines can notice.
Bytes sent while frozen are lost, so a connection caught mid-request stays
stuck after the thaw unless the sink abandons it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from newsflow.kafka import ensure_topics
from newsflow.lifecycle import Stopper
from newsflow.settings import Settings
from sinks.postgres import connect
from sinks.schema import migrate
from sinks.service import run_sink
from tests.integration.sink_helpers import counts, enriched_article, keyed, stored_offsets
from tests.integration.test_sink_outage import _through, _upstream
from tests.kafka_helpers import produce

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DETECT_TARGET_S = 30.0  # issue 8: a frozen server is detected within 30 s ...
RESUME_TARGET_S = 30.0  # ... and writes resume within 30 s of its recovery
SIGTERM_TARGET_S = 10.0  # SIGTERM is honoured within 10 s, even mid-batch
FREEZE_S = 32.0  # longer than the default work deadline (25 s), so it must be detected


class FreezingProxy:
    """A loopback TCP proxy to Postgres that can stop forwarding (sockets kept open) and resume.

    While frozen it reads and drops what either side sends, so a request in
    flight is never answered, as with a server that hung and then recovered
    without the work in hand.
    """

    def __init__(self, upstream: tuple[int, str | tuple[str, int]]) -> None:
        self._family, self._address = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._listener.close()
        self.thaw()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.socket(self._family, socket.SOCK_STREAM)
            upstream.connect(self._address)
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self._flowing.is_set():
                    target.sendall(data)
                # Frozen: the bytes are lost and both sockets stay open. What
                # was in flight is never answered, even after the thaw.
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


@pytest.fixture
def proxy(database_url: str) -> Iterator[FreezingProxy]:
    proxy = FreezingProxy(_upstream(database_url))
    yield proxy
    proxy.close()


def _start_sink(settings: Settings, database_url: str, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    config = tmp_path / "sink.yaml"
    config.write_text(
        yaml.safe_dump({
            "topics": settings.topics.model_dump(),
            "sink_group": settings.sink_group,
            "sink_batch_size": 50,
            "sink_batch_timeout_ms": 300,
            "consumer_session_timeout_ms": 6000,
            "consumer_heartbeat_interval_ms": 2000,
            "log_level": "INFO",
        }),
        encoding="utf-8",
    )  # fmt: skip
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(REPO),
    }
    log_file = tmp_path / "sink.log"
    with log_file.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsflow", "sink", "--config", str(config)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return proc, log_file


def _articles(database_url: str) -> int:
    return counts(database_url)["articles"]


def _seconds_until(condition: Callable[[], bool], timeout_s: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _as_rows(targets: dict) -> dict[tuple[str, int], int]:
    return {(tp.topic, tp.partition): offset for tp, offset in targets.items()}


def _prepare(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    settings = make_settings()
    ensure_topics(settings)
    with connect(database_url) as conn:
        migrate(conn)  # so progress can be read from the first instant
    return settings


def test_frozen_database_is_detected_and_writes_resume_after_it_recovers(
    make_settings: Callable[..., Settings], database_url: str, proxy: FreezingProxy, tmp_path: Path
) -> None:
    settings = _prepare(make_settings, database_url)
    proc, log_file = _start_sink(settings, _through(proxy, database_url), tmp_path)
    try:
        produce(settings, settings.topics.enriched, keyed([enriched_article(i) for i in range(200)]))
        assert _seconds_until(lambda: _articles(database_url) == 200, 60) is not None

        proxy.freeze()
        frozen_at = time.monotonic()
        targets = produce(settings, settings.topics.enriched, keyed([enriched_article(i) for i in range(200, 400)]))
        detected = _seconds_until(lambda: b"database did not answer" in log_file.read_bytes(), FREEZE_S)
        time.sleep(max(0.0, FREEZE_S - (time.monotonic() - frozen_at)))
        assert _articles(database_url) == 200  # nothing got through the frozen proxy
        proxy.thaw()
        resumed = _seconds_until(lambda: _articles(database_url) > 200, 60)
        caught_up = _seconds_until(lambda: _articles(database_url) == 400, 60)
    finally:
        returncode = _stop(proc)

    lost = 400 - _articles(database_url)
    print(f"frozen database: detected after {detected}s, resumed {resumed}s after recovery, "
          f"caught up {caught_up}s later, lost {lost}, exit {returncode}")  # fmt: skip
    assert detected is not None and detected <= DETECT_TARGET_S, f"freeze not detected in {FREEZE_S}s; {log_file}"
    assert resumed is not None and resumed <= RESUME_TARGET_S, f"writes did not resume; {log_file}"
    assert lost == 0
    assert stored_offsets(database_url, settings.sink_group) == _as_rows(targets)
    assert returncode == 0


def test_sigterm_during_a_frozen_batch_exits_promptly_and_loses_nothing(
    make_settings: Callable[..., Settings], database_url: str, proxy: FreezingProxy, tmp_path: Path
) -> None:
    settings = _prepare(make_settings, database_url)
    proc, log_file = _start_sink(settings, _through(proxy, database_url), tmp_path)
    try:
        produce(settings, settings.topics.enriched, keyed([enriched_article(i) for i in range(100)]))
        assert _seconds_until(lambda: _articles(database_url) == 100, 60) is not None
        proxy.freeze()
        targets = produce(settings, settings.topics.enriched, keyed([enriched_article(i) for i in range(100, 200)]))
        time.sleep(3.0)  # the batch (300 ms timeout) is now written into the frozen socket
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        try:
            returncode = proc.wait(SIGTERM_TARGET_S + 20)
        except subprocess.TimeoutExpired:
            returncode = None
        exit_s = time.monotonic() - signalled
    finally:
        _stop(proc)
        proxy.thaw()

    print(f"SIGTERM during a frozen batch: exit {returncode} after {exit_s:.2f}s")
    assert returncode == 0, f"sink did not exit cleanly; {log_file}"
    assert exit_s <= SIGTERM_TARGET_S
    # The frozen batch never committed: nothing partial, and the next sink stores it all.
    assert _articles(database_url) == 100
    report = run_sink(settings, Stopper(), targets)
    assert report.written == 100
    assert _articles(database_url) == 200
    assert stored_offsets(database_url, settings.sink_group) == _as_rows(targets)
