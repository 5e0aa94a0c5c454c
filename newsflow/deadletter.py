"""The dead-letter topic: unparseable records, original bytes untouched, the error in headers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa

from newsflow import PIPELINE_VERSION
from newsflow.config import KafkaSettings
from newsflow.events import Unparseable
from newsflow.schemas import DEAD_LETTERS


def dead_letter_headers(item: Unparseable) -> list[tuple[str, bytes]]:
    record = item.record
    return [
        ("newsflow.error.kind", item.kind.encode()),
        ("newsflow.error", item.error.encode("utf-8", "replace")),
        ("newsflow.source.topic", record.topic.encode()),
        ("newsflow.source.partition", str(record.partition).encode()),
        ("newsflow.source.offset", str(record.offset).encode()),
        ("newsflow.pipeline_version", PIPELINE_VERSION.encode()),
    ]


def dead_letter_rows(items: Sequence[Unparseable]) -> pa.Table:
    """The local, exactly-once record of what went to the dead-letter topic."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "kafka_topic": item.record.topic,
            "kafka_partition": item.record.partition,
            "kafka_offset": item.record.offset,
            "kafka_timestamp": item.record.table_timestamp_ms,
            "key": item.record.key,
            "value": item.record.value,
            "error_kind": item.kind,
            "error": item.error,
            "dead_lettered_at": now,
            "pipeline_version": PIPELINE_VERSION,
        }
        for item in items
    ]
    return pa.Table.from_pylist(rows, schema=DEAD_LETTERS)


class DeadLetterPublisher:
    """Sends unparseable records to `<topic>.dlq` and waits for the broker to acknowledge them."""

    def __init__(self, settings: KafkaSettings):
        from kafka import KafkaProducer

        self.topic = settings.dlq_topic
        self._producer = KafkaProducer(acks="all", retries=5, **settings.client_options())
        # The records of the last publish the broker acknowledged: the land task that calls this
        # is retried as a whole (a failed offset commit, say), and must not send them twice.
        self._acknowledged: set[tuple[str, int, int]] = set()

    def publish(self, items: Sequence[Unparseable]) -> None:
        coordinates = [(i.record.topic, i.record.partition, i.record.offset) for i in items]
        items = [i for i, c in zip(items, coordinates, strict=True) if c not in self._acknowledged]
        futures = [
            self._producer.send(
                self.topic,
                key=item.record.key,
                value=item.record.value or b"",
                headers=dead_letter_headers(item),
            )
            for item in items
        ]
        self._producer.flush()
        for future in futures:
            future.get(timeout=30)  # raise if the broker did not take it: offsets stay uncommitted
        self._acknowledged = set(coordinates)

    def close(self) -> None:
        self._producer.close()
