"""Settings for every component, read from the environment with sane local defaults."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from newsflow.tasks.workers import Bounds

T = TypeVar("T", int, float)

DEFAULT_TOPIC = "news.articles"
DEFAULT_GROUP = "newsflow-ingest"


def _env_number(name: str, default: T, kind: Callable[[str], T]) -> T:
    """A numeric setting from the environment, with an error that names the variable."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return kind(raw)
    except ValueError as exc:
        expected = "an integer" if kind is int else "a number"
        raise ValueError(f"{name} must be {expected}, got {raw!r}") from exc


@dataclass(frozen=True)
class KafkaSettings:
    """Where the events come from and where unparseable ones go."""

    bootstrap_servers: str = "127.0.0.1:9092"
    topic: str = DEFAULT_TOPIC
    group_id: str = DEFAULT_GROUP
    dead_letter_topic: str | None = None  # default: "<topic>.dlq"
    # kafka-python joins a group in about half the session timeout; 6 s keeps start-up short.
    session_timeout_ms: int = 6000
    heartbeat_interval_ms: int = 1500
    # A member that does not poll for this long leaves the group. The flow polls (partitions
    # paused) every few seconds while a batch works (newsflow.supervision), so a slow batch never
    # reaches it; a record's CPU budget (NEWSFLOW_RECORD_CPU_S) stays far below it anyway.
    max_poll_interval_ms: int = 600_000
    security_protocol: str = "PLAINTEXT"
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_password: str | None = field(default=None, repr=False)  # of an encrypted ssl_keyfile; never printed
    sasl_mechanism: str | None = None
    sasl_plain_username: str | None = None
    sasl_plain_password: str | None = field(default=None, repr=False)  # never printed

    @property
    def dlq_topic(self) -> str:
        return self.dead_letter_topic or f"{self.topic}.dlq"

    def client_options(self) -> dict[str, Any]:
        """Connection options shared by producers, consumers and admin clients."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "security_protocol": self.security_protocol,
        }
        for key in (
            "ssl_cafile",
            "ssl_certfile",
            "ssl_keyfile",
            "ssl_password",
            "sasl_mechanism",
            "sasl_plain_username",
            "sasl_plain_password",
        ):
            value = getattr(self, key)
            if value:
                options[key] = value
        redact_in_kafka_logs(self.secrets())
        return options

    def secrets(self) -> list[str]:
        return [s for s in (self.ssl_password, self.sasl_plain_password) if s]


class _Redact(logging.Filter):
    """Replaces secret values in a log record's rendered message with ***."""

    def __init__(self) -> None:
        super().__init__()
        self.values: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(value in message for value in self.values):
            for value in self.values:
                message = message.replace(value, "***")
            record.msg, record.args = message, None
        return True


_REDACT = _Redact()


def redact_in_kafka_logs(secrets: list[str]) -> None:
    """Keep passwords out of kafka-python's logs.

    kafka-python logs whole client configurations at DEBUG (KafkaAdminClient does), and a logger's
    filter only sees records created on that logger, so the filter goes on every kafka.* logger."""
    if not secrets:
        return
    import kafka  # noqa: F401  (its modules create their loggers on import)
    import kafka.admin  # noqa: F401

    _REDACT.values.update(secrets)
    names = [n for n in logging.root.manager.loggerDict if n == "kafka" or n.startswith("kafka.")]
    for name in names:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


def default_workers() -> int:
    """One worker process per core, up to 4 (each holds its own spaCy model, ~0.5 GB)."""
    return max(1, min(os.cpu_count() or 1, 4))


@dataclass(frozen=True)
class BatchLimits:
    """A micro-batch closes at whichever limit is reached first."""

    max_records: int = 200
    max_bytes: int = 32 * 1024 * 1024
    max_wait_s: float = 5.0
    # How long to wait for a batch's first record, if not max_wait_s: the batch loop looks in
    # briefly while it has a batch under validation to land.
    first_record_wait_s: float | None = None


@dataclass(frozen=True)
class Settings:
    """Everything one ingest run needs to know."""

    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    limits: BatchLimits = field(default_factory=BatchLimits)
    output_dir: Path = Path("output")
    # Bodies above this size are not parsed or analysed; the article is quarantined instead.
    max_body_chars: int = 2_000_000
    # Processes for the per-article work (cleaning, NLP, extraction, enrichment); 0 = in the
    # flow's own process (no memory cap, no protection from a crash: tests and debugging only).
    workers: int = field(default_factory=default_workers)
    # Per record and stage: CPU seconds before the record is quarantined (cpu_budget). Long enough
    # for a 1,000,000-character text (about 33 s of extraction on a loaded core), far below the
    # consumer's max poll interval (600 s), which the flow keeps alive meanwhile anyway.
    record_cpu_seconds: float = 60.0
    # Resident memory of one worker process (its model is about 0.3 GB) before the record it works
    # on is quarantined (memory_cap): 2 workers + the flow process fit a 4 GB, 2-core box.
    worker_memory_mb: int = 1536

    @property
    def bounds(self) -> Bounds:
        return Bounds(cpu_seconds=self.record_cpu_seconds, memory_bytes=self.worker_memory_mb * 1024 * 1024)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def settings_from_env(**overrides: Any) -> Settings:
    """Build settings from NEWSFLOW_* / KAFKA_* environment variables, then apply overrides."""
    env = os.environ
    kafka = KafkaSettings(
        bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", KafkaSettings.bootstrap_servers),
        topic=env.get("NEWSFLOW_TOPIC", DEFAULT_TOPIC),
        group_id=env.get("NEWSFLOW_GROUP", DEFAULT_GROUP),
        dead_letter_topic=env.get("NEWSFLOW_DLQ_TOPIC") or None,
        session_timeout_ms=_env_number("NEWSFLOW_SESSION_TIMEOUT_MS", 6000, int),
        max_poll_interval_ms=_env_number("NEWSFLOW_MAX_POLL_INTERVAL_MS", KafkaSettings.max_poll_interval_ms, int),
        security_protocol=env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
        ssl_cafile=env.get("KAFKA_SSL_CAFILE") or None,
        ssl_certfile=env.get("KAFKA_SSL_CERTFILE") or None,
        ssl_keyfile=env.get("KAFKA_SSL_KEYFILE") or None,
        ssl_password=env.get("KAFKA_SSL_PASSWORD") or None,
        sasl_mechanism=env.get("KAFKA_SASL_MECHANISM") or None,
        sasl_plain_username=env.get("KAFKA_SASL_USERNAME") or None,
        sasl_plain_password=env.get("KAFKA_SASL_PASSWORD") or None,
    )
    limits = BatchLimits(
        max_records=_env_number("NEWSFLOW_BATCH_RECORDS", BatchLimits.max_records, int),
        max_bytes=_env_number("NEWSFLOW_BATCH_BYTES", BatchLimits.max_bytes, int),
        max_wait_s=_env_number("NEWSFLOW_BATCH_WAIT_S", BatchLimits.max_wait_s, float),
    )
    settings = Settings(
        kafka=kafka,
        limits=limits,
        output_dir=Path(env.get("NEWSFLOW_OUTPUT", "output")),
        max_body_chars=_env_number("NEWSFLOW_MAX_BODY_CHARS", Settings.max_body_chars, int),
        workers=max(0, _env_number("NEWSFLOW_WORKERS", default_workers(), int)),
        record_cpu_seconds=_env_number("NEWSFLOW_RECORD_CPU_S", Settings.record_cpu_seconds, float),
        worker_memory_mb=_env_number("NEWSFLOW_WORKER_MEMORY_MB", Settings.worker_memory_mb, int),
    )
    return settings.with_overrides(**overrides) if overrides else settings
