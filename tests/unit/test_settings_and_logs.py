"""Settings precedence and secret redaction."""

from __future__ import annotations

import logging

import pytest

from newsflow.errors import ConfigError
from newsflow.logs import REDACTED, RedactingFilter
from newsflow.settings import Settings, load_settings


def _write(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_environment_beats_file_and_file_beats_defaults(tmp_path, monkeypatch):
    config = _write(tmp_path, "kafka_bootstrap_servers: file:9092\nsink_batch_size: 7\n"
                              "feeds:\n  - {url: 'https://a.example/feed', interval: 60}\n")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "env:9092")
    settings = load_settings(config)
    assert settings.kafka_bootstrap_servers == "env:9092"
    assert settings.sink_batch_size == 7
    assert settings.feeds[0].interval_s == 60
    assert settings.fetch.max_redirects == Settings().fetch.max_redirects


def test_invalid_config_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="http"):
        load_settings(_write(tmp_path, "feeds:\n  - {url: 'file:///etc/passwd'}\n"))
    with pytest.raises(ConfigError):
        load_settings(_write(tmp_path, "no_such_setting: 1\n"))
    with pytest.raises(ConfigError):
        load_settings(_write(tmp_path, "- a list\n"))


def test_database_url_is_secret_in_repr(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:hunter22@db/x")
    settings = load_settings()
    assert "hunter22" not in repr(settings)
    assert "hunter22" in settings.secret_values()


def test_redacting_filter_hides_secrets_in_formatted_records():
    record = logging.LogRecord(
        "kafka.admin.client", logging.DEBUG, __file__, 1,
        "Starting KafkaAdminClient with configuration: %s",
        ({"sasl_plain_password": "s3cr3t-pw", "bootstrap_servers": "b:1"},), None,
    )
    RedactingFilter(["s3cr3t-pw"]).filter(record)
    assert "s3cr3t-pw" not in record.getMessage()
    assert REDACTED in record.getMessage()
