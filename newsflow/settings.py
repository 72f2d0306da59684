"""One settings object, validated at start-up and handed to constructors.

Sources, highest priority first: environment variables (``KAFKA_BOOTSTRAP_SERVERS``,
``DATABASE_URL``, ``NEWSFLOW_*``), then the YAML file given with ``--config``,
then defaults. Secrets are :class:`SecretStr` so they never reach a log line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from newsflow.errors import ConfigError
from newsflow.models import TOPIC_DLQ, TOPIC_ENRICHED, TOPIC_EVENTS, TOPIC_RAW
from newsflow.redact import redact_url, url_secrets

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Feed headers that carry credentials (Authorization, X-Api-Key, Cookie...).
_SECRET_HEADER = re.compile(r"auth|token|key|secret|cookie|pass|session", re.IGNORECASE)


class FeedConfig(BaseModel):
    """One feed to poll."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    name: str | None = None
    interval_s: float = Field(default=900.0, gt=0, validation_alias=AliasChoices("interval_s", "interval"))
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _http_only(cls, url: str) -> str:
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"feed url must be http(s): {redact_url(url)!r}")
        return url

    def secret_values(self) -> list[str]:
        """Credentials in this feed's URL and headers, never to be logged or stored."""
        headers = [v for k, v in self.headers.items() if _SECRET_HEADER.search(k)]
        return url_secrets(self.url) + [v for v in headers if v]


class TopicsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    raw: str = TOPIC_RAW
    enriched: str = TOPIC_ENRICHED
    dlq: str = TOPIC_DLQ
    # One record per event, without the article text, for subscribers who want the facts only.
    events: str = TOPIC_EVENTS
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)


class FetchConfig(BaseModel):
    """Limits for every HTTP fetch of strangers' bytes (see docs/bad-inputs.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connect_timeout_s: float = 5.0
    total_timeout_s: float = 20.0
    max_body_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    per_host_concurrency: int = Field(default=2, ge=1)
    concurrency: int = Field(default=16, ge=1)
    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
    # Loopback and private addresses are refused unless this is set: the demo
    # and tests serve feeds on 127.0.0.1.
    allow_private_addresses: bool = False
    # A failing feed is retried after a capped, jittered exponential backoff
    # starting at retry_base_s (never abandoned); a sane Retry-After is honoured.
    retry_base_s: float = Field(default=60.0, gt=0)
    retry_cap_s: float = Field(default=6 * 3600.0, gt=0)
    # An article page that failed transiently (5xx, 429, timeout, reset) is
    # published from the feed at once, then fetched again on later polls with
    # a capped backoff for page_retry_window_s; when it arrives the article is
    # re-published with its full text (issue 8 #5).
    page_retry_window_s: float = Field(default=24 * 3600.0, ge=0)
    page_retry_base_s: float = Field(default=60.0, gt=0)
    page_retry_cap_s: float = Field(default=3600.0, gt=0)


class DatabaseConfig(BaseModel):
    """Deadlines on every Postgres connection, so a frozen server or network never hangs a service (issue 8).

    TCP keepalives and ``tcp_user_timeout`` find a dead peer or path; the
    statement timeout bounds work the server is slow at; ``work_timeout_s``
    is the client's own deadline for one unit of work (a batch), which also
    catches a server, proxy or middlebox that keeps the socket open and
    answers nothing, where TCP sees no fault. It must exceed the slowest
    healthy batch write.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    connect_timeout_s: int = Field(default=5, ge=2)  # libpq counts whole seconds, minimum 2
    statement_timeout_s: float = Field(default=20.0, gt=0)
    work_timeout_s: float = Field(default=25.0, gt=0)
    # A transaction left open by a client that vanished would hold its row locks.
    idle_in_transaction_timeout_s: float = Field(default=60.0, gt=0)
    keepalives_idle_s: int = Field(default=10, ge=1)
    keepalives_interval_s: int = Field(default=5, ge=1)
    keepalives_count: int = Field(default=3, ge=1)
    tcp_user_timeout_s: float = Field(default=25.0, gt=0)

    def libpq_params(self) -> dict[str, str]:
        """libpq parameters that bound connecting and detect a dead peer (ignored on unix sockets)."""
        return {
            "connect_timeout": str(self.connect_timeout_s),
            "keepalives": "1",
            "keepalives_idle": str(self.keepalives_idle_s),
            "keepalives_interval": str(self.keepalives_interval_s),
            "keepalives_count": str(self.keepalives_count),
            "tcp_user_timeout": _ms(self.tcp_user_timeout_s),
        }

    def session_settings(self) -> dict[str, str]:
        """Server-side deadlines, as settings for ``set_config`` once connected."""
        return {
            "statement_timeout": _ms(self.statement_timeout_s),
            "idle_in_transaction_session_timeout": _ms(self.idle_in_transaction_timeout_s),
        }


def _ms(seconds: float) -> str:
    return str(round(seconds * 1000))


class Settings(BaseSettings):
    """All of newsflow's configuration.

    Built directly (``Settings(...)``), keyword arguments beat the environment;
    :func:`load_settings` adds the YAML file below both.
    """

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_prefix="NEWSFLOW_",
        env_nested_delimiter="__",
        populate_by_name=True,
    )

    kafka_bootstrap_servers: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"),
    )
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
    )
    topics: TopicsConfig = Field(default_factory=TopicsConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    feeds: list[FeedConfig] = Field(default_factory=list)

    # Processes for page extraction (trafilatura is CPU-bound); 0 means one per core.
    extract_workers: int = Field(default=0, ge=0)
    log_level: str = "INFO"
    #: ``text`` (one line a record) or ``json`` (one object a line, for log shippers).
    log_format: Literal["text", "json"] = "text"
    enrich_group: str = "newsflow-enrich"
    sink_group: str = "newsflow-sink"
    sink_batch_size: int = Field(default=500, ge=1)
    sink_batch_timeout_ms: int = Field(default=1000, ge=1)
    # Once a batch has records, a pause this long ends it (issue 9 #4). Below
    # saturation, longer pauses gather more articles per batch: fewer
    # transactions, offset writes and commits per article (CPU of the sink,
    # Postgres and the broker), for at most sink_batch_timeout_ms of latency.
    sink_batch_lull_ms: int = Field(default=500, ge=0)
    # The same for enrich's batches (one produce flush and one commit each);
    # enrich's batches also end after 500 ms.
    enrich_batch_lull_ms: int = Field(default=100, ge=0)
    # Short session/heartbeat make group joins take ~3 s instead of ~20 s;
    # production may raise them.
    consumer_session_timeout_ms: int = 10000
    consumer_heartbeat_interval_ms: int = 3000
    max_message_bytes: int = 4 * 1024 * 1024
    # ingest_entries keeps the entries a feed still lists, and the others for
    # this many days after they were seen (issue 8 #10).
    entries_keep_days: float = Field(default=30.0, gt=0)
    # A feed being polled is leased to one ingest process for this long, and
    # renewed every third of it while the poll runs; a process that dies
    # frees its feeds for the other pollers when its leases run out (issue 9).
    # Above 3 s: the poller looks at its leases once a second.
    ingest_lease_s: float = Field(default=60.0, ge=3.0)
    # ingest worker processes (issue 9 #1): each polls, fetches, extracts and
    # publishes its own pages; 0 keeps one process with an extraction pool.
    ingest_workers: int = Field(default=0, ge=0)
    # How long a service waits at start for an unreachable broker or database
    # before it exits with a clear message.
    startup_timeout_s: float = Field(default=30.0, gt=0)
    data_dir: Path | None = None
    # /metrics, /healthz and /readyz of this process (NEWSFLOW_METRICS_PORT); off when unset.
    # Each service is its own process: give each its own port when they share a host.
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in _LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(_LOG_LEVELS)}")
        return level.upper()

    def kafka_client_config(self) -> dict[str, Any]:
        """Connection options shared by every kafka-python client."""
        config: dict[str, Any] = {
            "bootstrap_servers": self.kafka_bootstrap_servers,
            "security_protocol": self.kafka_security_protocol,
            # kafka-python backs off reconnects up to 30 s; a broker that comes back would then sit
            # unused for up to 30 s. Apache Kafka's own clients cap it at 1 s, and so do we.
            "reconnect_backoff_max_ms": 1000,
        }
        if self.kafka_sasl_mechanism:
            config["sasl_mechanism"] = self.kafka_sasl_mechanism
            config["sasl_plain_username"] = self.kafka_sasl_username
            config["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        return config

    def secret_values(self) -> list[str]:
        """Every secret this configuration holds, for log redaction."""
        secrets = [self.kafka_sasl_password.get_secret_value()] if self.kafka_sasl_password else []
        for feed in self.feeds:
            secrets += feed.secret_values()
        if self.database_url is not None:
            url = self.database_url.get_secret_value()
            secrets.append(url)
            password = _password_in(url)
            if password:
                secrets.append(password)
        return secrets

    def database_dsn(self) -> str:
        if self.database_url is None:
            raise ConfigError("no database configured (DATABASE_URL)")
        return self.database_url.get_secret_value()


def load_settings(config_path: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings: explicit overrides, then env, then the YAML file, then defaults."""
    file_values = _read_yaml(config_path) if config_path is not None else {}

    class _WithFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, InitSettingsSource(settings_cls, file_values)

    try:
        loaded = _WithFile(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration: {_summary(exc)}") from None
    except ValueError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
    # Hand out a plain Settings so the local subclass never leaks; which fields
    # were given (by any source) is kept, for defaults that depend on the command.
    return Settings.model_construct(_fields_set=set(loaded.model_fields_set), **dict(loaded))


def _summary(exc: ValidationError) -> str:
    """Each problem as ``where: what`` on one line; never the input (it may be a secret)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "settings"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a mapping at the top level")
    return data


def _password_in(url: str) -> str | None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        return conninfo_to_dict(url).get("password")
    except Exception:  # noqa: BLE001 - a malformed DSN is reported when it is used
        return None
