"""docker-compose.yml: valid Compose, and the broker users run is the one the tests run.

There is no Docker engine on the CI machines, so the file is checked, not run:
against the Compose Specification's JSON schema (vendored in
``tests/kafka/compose_spec/``, Apache-2.0, see its LICENSE), and against the
broker settings the test fixtures use (``tests/kafka/broker.properties``).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from newsflow.settings import Settings, TopicsConfig
from tests.kafka.broker import POM, shared_properties

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SCHEMA = Path(__file__).resolve().parent / "compose_spec" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _kafka_env(compose: dict) -> dict[str, str]:
    return {k: str(v) for k, v in compose["services"]["kafka"]["environment"].items()}


def test_compose_file_is_valid_against_the_compose_spec_schema(compose):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(compose)


def test_the_schema_check_catches_a_broken_file(compose):
    broken = {**compose, "services": {**compose["services"], "kafka": {**compose["services"]["kafka"], "ports": 5}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).validate(broken)


def test_broker_settings_match_the_test_fixture(compose):
    env = _kafka_env(compose)
    for key, value in shared_properties().items():
        name = "KAFKA_" + key.upper().replace(".", "_")
        assert env.get(name) == value, f"{name} is {env.get(name)!r} in docker-compose.yml, {value!r} in the tests"


def test_broker_is_the_apache_kafka_version_the_tests_run(compose):
    version = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text()).group(1)
    for name in ("kafka", "kafka-init"):
        assert compose["services"][name]["image"] == f"apache/kafka:{version}"


def test_broker_data_and_identity(compose):
    env = _kafka_env(compose)
    # A fixed id, a valid Kafka Uuid: 16 bytes in URL-safe base64 without padding.
    assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16
    volumes = compose["services"]["kafka"]["volumes"]
    assert any(v.split(":")[1] == env["KAFKA_LOG_DIRS"] for v in volumes), volumes
    assert "kafka-data" in compose["volumes"]


def test_topics_are_created_with_the_services_limits(compose):
    script = compose["services"]["kafka-init"]["command"][0]
    assert f"max.message.bytes={Settings.model_fields['max_message_bytes'].default}" in script
    assert "retention.ms=" in script and "--partitions 6" in script and "--replication-factor" in script
    assert "auto.create" not in script and _kafka_env(compose)["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    topics = TopicsConfig()
    for topic in (topics.raw, topics.enriched, topics.dlq, topics.events):
        assert topic in script.split("for topic in", 1)[1].split(";", 1)[0], f"kafka-init does not create {topic}"


def test_the_mounted_config_exists_and_nothing_listens_beyond_loopback(compose):
    mount = compose["x-newsflow"]["volumes"][0]
    default = re.fullmatch(r"\$\{NEWSFLOW_CONFIG:-([^}]+)\}:/etc/newsflow/config.yaml:ro", mount).group(1)
    assert (ROOT / default).is_file(), f"{default} is mounted by default but not in the repository"
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_services_wait_for_healthy_dependencies(compose):
    assert compose["x-newsflow"]["depends_on"] == {
        "kafka-init": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
    }
    assert compose["services"]["kafka-init"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    for name in ("kafka", "postgres"):
        assert compose["services"][name]["healthcheck"]["test"]
