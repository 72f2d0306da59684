"""The command line's own output: log levels and formats, libraries kept quiet, --version (issue 10)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from importlib.metadata import version

import pytest

from commands.cli import _parser
from commands.pipeline import FEEDS_FAILED, report_failed_feeds
from newsflow.logs import REDACTED, configure_logging
from newsflow.models import SCHEMA_VERSION


@pytest.fixture
def configure():
    """configure_logging, its handler writing to a buffer; the root logger restored after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    kafka_level = logging.getLogger("kafka").level
    buffer = io.StringIO()

    def configured(*args, **kwargs) -> io.StringIO:
        configure_logging(*args, **kwargs)
        root.handlers[0].setStream(buffer)
        return buffer

    yield configured
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    logging.getLogger("kafka").setLevel(kafka_level)


def test_third_party_info_is_dropped_and_ours_kept(configure):
    stderr = configure("INFO")
    logging.getLogger("pgserver").info("Running commandline: initdb")
    logging.getLogger("httpx").info("HTTP Request: GET https://feed.example/?token=x")
    logging.getLogger("ingest.service").info("feed polled")
    logging.getLogger("pgserver").warning("disk almost full")
    lines = stderr.getvalue().splitlines()
    assert [line.split(" ", 3)[3] for line in lines] == ["ingest.service: feed polled", "pgserver: disk almost full"]


def test_debug_lets_libraries_speak(configure):
    stderr = configure("DEBUG")
    logging.getLogger("pgserver").info("Running commandline: initdb")
    assert "pgserver: Running commandline: initdb" in stderr.getvalue()


def test_warning_level_silences_our_info_too(configure):
    stderr = configure("WARNING")
    logging.getLogger("commands.pipeline").info("quiet")
    logging.getLogger("commands.pipeline").warning("loud")
    assert stderr.getvalue().count("\n") == 1 and "loud" in stderr.getvalue()


def test_json_format_is_one_object_a_line_with_secrets_redacted(configure):
    stderr = configure("INFO", secrets=["hunter22"], log_format="json")
    log = logging.getLogger("sinks.service")
    log.info("connected with %s", "hunter22")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("batch failed")
    first, second = (json.loads(line) for line in stderr.getvalue().splitlines() if line.startswith("{"))
    assert first["level"] == "INFO" and first["logger"] == "sinks.service"
    assert first["message"] == f"connected with {REDACTED}"
    assert first["ts"].endswith("+00:00")
    assert second["message"] == "batch failed" and "ValueError: boom" in second["exception"]


def test_log_level_option_is_parsed_case_insensitively():
    args = _parser().parse_args(["run", "--once", "--log-level", "debug"])
    assert args.log_level == "DEBUG" and args.once


def test_version_prints_package_and_schema_version():
    done = subprocess.run([sys.executable, "-m", "newsflow", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"newsflow {version('newsflow')} (message schema_version {SCHEMA_VERSION})"


def test_failed_feeds_are_listed_and_give_their_own_exit_status(capsys):
    assert report_failed_feeds({}) == 0
    status = report_failed_feeds({"http://b.example/feed": "PermanentError: HTTP 404", "http://a.example/rss": "x\ny"})
    err = capsys.readouterr().err.splitlines()
    assert status == FEEDS_FAILED != 0
    assert err == ["newsflow: 2 feed(s) failed:", "  http://a.example/rss: x y", "  http://b.example/feed: PermanentError: HTTP 404"]
