"""The sink while Postgres is unreachable: at start, and exactly when partitions are assigned.

The outage is real network failure, not a mock: the sink talks to Postgres
through a loopback TCP relay that the test cuts (every connection dropped, new
ones closed at once) and restores.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from newsflow.kafka import ensure_topics
from newsflow.lifecycle import Stopper
from newsflow.settings import Settings
from sinks.service import SinkReport, run_sink
from tests.integration.sink_helpers import counts, enriched_article, keyed, stored_offsets
from tests.kafka_helpers import produce

pytestmark = pytest.mark.integration


class Relay:
    """A loopback TCP relay to Postgres that can be cut and restored."""

    def __init__(self, upstream: tuple[int, str | tuple[str, int]]) -> None:
        self._family, self._address = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self._up.clear()
        with self._lock:
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        _close(self._listener)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                _close(client)
                continue
            upstream = socket.socket(self._family, socket.SOCK_STREAM)
            upstream.connect(self._address)
            with self._lock:
                self._open += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass  # cut: the finally closes both ends
    finally:
        _close(source)
        _close(target)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the other side
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _upstream(database_url: str) -> tuple[int, str | tuple[str, int]]:
    params = conninfo_to_dict(database_url)
    host, port = params.get("host") or "127.0.0.1", int(params.get("port") or 5432)
    if host.startswith("/"):  # pgserver listens on a unix socket
        return socket.AF_UNIX, f"{host}/.s.PGSQL.{port}"
    return socket.AF_INET, (host, port)


def _through(relay: Relay, database_url: str) -> str:
    params = conninfo_to_dict(database_url)
    params.update(host="127.0.0.1", port=str(relay.port))
    return make_conninfo(**params)


def _migrated(database_url: str) -> bool:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT to_regclass('newsflow.migrations') IS NOT NULL").fetchone()[0]


def _wait_for(condition: Callable[[], bool], timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_waits_out_outages_at_start_and_at_assignment(
    make_settings: Callable[..., Settings], database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sinks")
    relay = Relay(_upstream(database_url))
    settings = make_settings(database_url=_through(relay, database_url), sink_batch_size=20)
    ensure_topics(settings)
    targets = produce(settings, settings.topics.enriched, keyed([enriched_article(i) for i in range(50)]))
    stopper, result = Stopper(), SinkReport()
    relay.cut()  # down before the sink starts
    worker = threading.Thread(target=lambda: result.__dict__.update(vars(run_sink(settings, stopper, targets))))
    worker.start()
    try:
        time.sleep(1.5)
        relay.restore()
        _wait_for(lambda: _migrated(database_url))
        seen = caplog.text.count("database unavailable")
        relay.cut()  # down again while the consumer joins its group
        # Assigned partitions stay paused until they are positioned from Postgres.
        _wait_for(lambda: caplog.text.count("database unavailable") > seen, timeout_s=30)
        assert counts(database_url)["articles"] == 0  # paused: nothing read past an unknown position
        relay.restore()
        worker.join(60)
    finally:
        stopper.stop()
        worker.join(30)
        relay.close()

    assert not worker.is_alive()
    assert (result.written, result.dead_lettered) == (50, 0)
    assert counts(database_url)["articles"] == 50
    assert stored_offsets(database_url, settings.sink_group) == {
        (tp.topic, tp.partition): offset for tp, offset in targets.items()
    }
