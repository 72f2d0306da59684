"""/metrics, /healthz and /readyz (issue 10): what each answers, and readiness following group joins."""

from __future__ import annotations

import socket

import pytest

from newsflow import metrics
from newsflow.errors import ConfigError
from tests.http_helpers import http_get


@pytest.fixture
def readiness(monkeypatch):
    fresh = metrics.Readiness()
    monkeypatch.setattr(metrics, "READINESS", fresh)
    return fresh


def test_endpoints_and_readiness_following_the_group(readiness):
    broker_up = {"up": False}
    checks = {"Kafka": lambda: None if broker_up["up"] else "127.0.0.1:9 unreachable"}
    with metrics.metrics_server("127.0.0.1", 0, checks) as port:
        base = f"http://127.0.0.1:{port}"
        readiness.expect_group("sink")
        assert http_get(f"{base}/healthz") == (200, "ok\n")
        status, body = http_get(f"{base}/readyz")
        assert status == 503
        assert body.splitlines() == ["Kafka: 127.0.0.1:9 unreachable", "sink: consumer group not joined yet"]

        broker_up["up"] = True
        readiness.group_joined("sink", True)
        assert http_get(f"{base}/readyz") == (200, "ready\n")
        readiness.group_joined("sink", False)  # a rebalance: partitions revoked
        assert http_get(f"{base}/readyz")[0] == 503

        metrics.ARTICLES_WRITTEN.inc(0)
        status, text = http_get(f"{base}/metrics")
        assert status == 200 and "newsflow_articles_written_total" in text and "process_cpu_seconds_total" in text
        assert http_get(f"{base}/other")[0] == 404
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_a_taken_port_is_a_config_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError, match="cannot serve metrics"), metrics.metrics_server(
            "127.0.0.1", taken.getsockname()[1], {}
        ):
            pass


def test_no_port_serves_nothing():
    with metrics.metrics_server("127.0.0.1", None, {}) as port:
        assert port is None


def test_broker_check_says_which_server_is_unreachable():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert "unreachable" in (metrics.broker_check(f"127.0.0.1:{port}")() or "")
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        assert metrics.broker_check(f"127.0.0.1:{listening.getsockname()[1]}")() is None
