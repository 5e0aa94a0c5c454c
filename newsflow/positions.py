"""Which log the lake landed from, and where it stands in it.

Each table records, per topic, the Kafka topic id (KIP-516) of the log its rows came from and the
epoch of that log. A topic deleted and recreated, or a broker restarted without its data, has a
new id: its offsets start again at 0 and name other records. Resuming it as if it were the old
log would skip new records as "already landed" (or land them as later offsets), so ingest stops
and says how to continue: a new epoch, under which the new log's offsets are positions of their
own (app ids and the rows' kafka_epoch), and the history stays as it is.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from newsflow.lake import (
    LakeError,
    log_epoch_property,
    log_id_property,
)
from newsflow.schemas import TABLES

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from newsflow.config import KafkaSettings
    from newsflow.sink import DeltaSink
    from newsflow.source import Batch

log = logging.getLogger(__name__)
NEW_EPOCH_OPTION = "--new-epoch"


class LogChangedError(LakeError):
    """The topic's log is not the one the lake landed from."""


def kafka_topic_id(kafka: KafkaSettings) -> str | None:
    """The topic's id as the broker reports it (None if the broker predates topic ids or the
    topic does not exist yet)."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(**kafka.client_options())
    try:
        topics = admin.describe_topics([kafka.topic])
    finally:
        admin.close()
    for topic in topics:
        if topic.get("name") == kafka.topic and not topic.get("error_code"):
            value = topic.get("topic_id")
            if value and str(value).strip("0-"):  # the null UUID means "no id"
                return str(value)
    return None


def _recorded(tables: list[DeltaTable], topic: str) -> tuple[str | None, int]:
    """The log id and epoch the tables record for the topic (the highest epoch wins)."""
    best: tuple[str | None, int] = (None, 0)
    for table in tables:
        config = table.metadata().configuration
        epoch = int(config.get(log_epoch_property(topic)) or 0)
        log_id = config.get(log_id_property(topic))
        if log_id is not None and (best[0] is None or epoch > best[1]):
            best = (log_id, epoch)
    return best


def resolve_epoch(sink: DeltaSink, topic: str, topic_id: str | None, *, new_epoch: bool = False) -> int:
    """The epoch to land the topic's records under, after checking that its log is the one the
    lake landed from. Records the log's id in every table (creating the tables) the first time.

    Raises LogChangedError when the topic's id differs from the recorded one, unless new_epoch is
    set: then the epoch after the recorded one is recorded and returned. Several processes of one
    group may start at once: a property change refused because another process changed the table
    first is decided again on the tables as they are then."""
    from deltalake.exceptions import CommitFailedError

    from newsflow.sink import COMMIT_ATTEMPTS

    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        tables = [sink.table(name) for name in TABLES]
        recorded_id, epoch = _recorded(tables, topic)
        if topic_id is None:
            if recorded_id is not None:
                log.warning("the broker reports no id for topic %s: cannot check it is the log the lake "
                            "landed from (%s)", topic, recorded_id)
            sink.epoch = epoch
            return epoch
        if recorded_id is not None and recorded_id != topic_id:
            if not new_epoch:
                raise LogChangedError(
                    f"topic {topic} is not the log the tables under {sink.output} were landed from "
                    f"(its id is {topic_id}, the tables' is {recorded_id}): it was deleted and recreated, or "
                    "the broker restarted without its data, so its offsets name other records. Nothing was "
                    f"read or written. To land the new log beside the history, run again with {NEW_EPOCH_OPTION} "
                    f"(its offsets become epoch {epoch + 1}); or land it into another --output."
                )
            epoch += 1
            log.warning("topic %s: a new log (id %s); landing it as epoch %d", topic, topic_id, epoch)
        properties = {log_id_property(topic): topic_id, log_epoch_property(topic): str(epoch)}
        try:
            for table in tables:
                config = table.metadata().configuration
                if any(config.get(key) != value for key, value in properties.items()):
                    table.alter.set_table_properties(properties, raise_if_not_exists=False)
        except CommitFailedError:
            if attempt == COMMIT_ATTEMPTS:
                raise
            continue
        sink.epoch = epoch
        return epoch
    raise AssertionError("unreachable")


class LakePositions:
    """Where the lake expects each partition's next record, to catch a batch that starts past it.

    Read from the tables when a partition is first met, and again after every rebalance (another
    consumer may have landed it meanwhile); between rebalances only this consumer lands the
    partition, so each landed batch moves the position on without reading the tables."""

    def __init__(self, sink: DeltaSink):
        self._sink = sink
        self._next: dict[tuple[str, int], int] = {}
        self._generation: int | None = None

    def gaps(self, batch: Batch) -> dict[tuple[str, int], int]:
        """The partitions whose first offset in the batch is past the lake's next offset, with
        that offset."""
        if batch.generation != self._generation:
            self._next.clear()
            self._generation = batch.generation
        first = batch.first_offsets()
        unknown = [tp for tp in first if tp not in self._next]
        if unknown:
            self._next.update(self._sink.next_offsets(unknown))
        return {tp: self._next[tp] for tp, offset in first.items() if tp in self._next and offset > self._next[tp]}

    def landed(self, batch: Batch) -> None:
        self._next.update(batch.next_offsets())


def unconfirmed_gaps(batch: Batch, gaps: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
    """The gaps the broker has not confirmed: the source was not reading the partition from the
    lake's next offset (its committed offset was ahead of the lake, say, because the group's
    offsets were committed by a run writing elsewhere). Their records may well exist, so the batch
    must not land: its partitions are read again from the lake's offsets. A gap the source did
    read across (asked for the lake's next offset, got a later one) is records the broker no
    longer has: retention, compaction or transaction markers."""
    return {tp: expected for tp, expected in gaps.items() if batch.read_from.get(tp) != expected}


def prepare_sink(
    output: str | os.PathLike[str], group: str, topic: str, topic_id: str | None = None, *, new_epoch: bool = False
) -> DeltaSink:
    """The sink an ingest run lands with: the tables checked (writer group, schema) and the epoch
    of the topic's log resolved, before the first record is read."""
    from newsflow.lake import check_tables
    from newsflow.sink import DeltaSink

    check_tables(output, group)
    sink = DeltaSink(output, group)
    resolve_epoch(sink, topic, topic_id, new_epoch=new_epoch)
    return sink


def topic_id_or_none(kafka: KafkaSettings) -> str | None:
    """kafka_topic_id(), or None (with a warning) when the broker cannot say."""
    try:
        return kafka_topic_id(kafka)
    except Exception as exc:  # an old broker, a topic not created yet, a transient error
        log.warning("could not read the id of topic %s (%s): the log is not checked against the lake's", kafka.topic, exc)
        return None
