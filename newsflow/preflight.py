"""Checks before a command talks to Kafka for real: is the address a Kafka broker, does the topic exist.

kafka-python retries an unreachable or non-Kafka address for a long time and logs every attempt;
a user who mistyped a port should get one line of advice within seconds instead."""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Iterator

from newsflow.config import KafkaSettings

# A TCP connect is refused at once when nothing listens; a listener that does not speak Kafka is
# only found out by a Kafka request, which gets this long to answer (both well inside 10 s).
CONNECT_TIMEOUT_S = 2.0
BOOTSTRAP_TIMEOUT_S = 6.0

ADVICE = ("start the embedded broker with `newsflow broker`, start infra/docker-compose.yml, "
          "or set KAFKA_BOOTSTRAP_SERVERS (or --bootstrap-servers) to a Kafka broker's host:port")


class KafkaUnavailable(Exception):
    """The bootstrap address is not a reachable Kafka broker (the message carries the advice)."""


class TopicMissing(Exception):
    """The topic does not exist on the broker (newsflow never creates it implicitly when reading)."""


def _address(server: str) -> tuple[str, int]:
    host, _, port = server.strip().rpartition(":")
    return (host.strip("[]") or "localhost"), int(port or 9092)


def _any_listener(bootstrap_servers: str) -> bool:
    for server in bootstrap_servers.split(","):
        try:
            with socket.create_connection(_address(server), timeout=CONNECT_TIMEOUT_S):
                return True
        except (OSError, ValueError):
            continue
    return False


@contextlib.contextmanager
def _client_logs_quiet() -> Iterator[None]:
    """kafka-python logs each failed bootstrap attempt at WARNING/ERROR, which Python prints to
    stderr when nothing is configured: dozens of lines for one wrong address. The probe's verdict
    is the one line the user needs; `newsflow --kafka-debug` (a handler on "kafka") still sees all."""
    kafka_logger = logging.getLogger("kafka")
    quiet = logging.NullHandler()
    if not kafka_logger.handlers:
        kafka_logger.addHandler(quiet)
    try:
        yield
    finally:
        kafka_logger.removeHandler(quiet)


def kafka_topics(settings: KafkaSettings, timeout_s: float = BOOTSTRAP_TIMEOUT_S) -> set[str]:
    """The broker's topics, proving the address speaks Kafka; KafkaUnavailable (one line) if not."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    servers = settings.bootstrap_servers
    if not _any_listener(servers):
        raise KafkaUnavailable(f"cannot reach Kafka at {servers} (connection refused): {ADVICE}")
    started = time.monotonic()
    admin = None
    with _client_logs_quiet():
        try:
            admin = KafkaAdminClient(
                **settings.client_options(),
                bootstrap_timeout_ms=int(timeout_s * 1000),
                request_timeout_ms=int(timeout_s * 1000),
            )
            return set(admin.list_topics())
        except (KafkaError, OSError, ValueError) as exc:
            waited = time.monotonic() - started
            raise KafkaUnavailable(
                f"{servers} accepts connections but did not answer as a Kafka broker within {waited:.0f} s "
                f"({type(exc).__name__}; wrong port, or TLS/SASL settings that do not match the broker?): {ADVICE}"
            ) from None
        finally:
            if admin is not None:
                admin.close()


def require_topic(settings: KafkaSettings, topic: str | None = None) -> None:
    """Fail unless the topic exists: a mistyped topic on a schedule must not stay green forever."""
    wanted = topic or settings.topic
    topics = kafka_topics(settings)
    if wanted not in topics:
        known = ", ".join(sorted(t for t in topics if not t.startswith("__"))) or "none"
        raise TopicMissing(
            f"topic {wanted!r} does not exist at {settings.bootstrap_servers} (topics there: {known}); "
            "create it with `newsflow replay` (which creates it) or your Kafka tools, or fix --topic / NEWSFLOW_TOPIC"
        )
