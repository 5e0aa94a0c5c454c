"""KafkaSource against the embedded broker: the consumer lag it reports after each batch."""

from __future__ import annotations

from typing import Any

import pytest

from newsflow.config import BatchLimits, KafkaSettings
from newsflow.source import KafkaSource
from tests.integration.kafka_helpers import produce


def _first_batch(source: KafkaSource, limits: BatchLimits) -> Any:
    for _ in range(60):  # the group join takes a few polls
        batch = source.poll_batch(limits)
        if batch.records:
            return batch
    raise AssertionError("no records within 60 polls")


def test_lag_after_each_batch_comes_from_the_fetches_without_a_request(
    broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch loop reads the lag after every landed batch, between the next batch's stages. A
    ListOffsets request waits behind the fetch in flight on the same connection (up to 500 ms),
    so the lag must come from what the fetches already said, and still count right."""
    topic = "source.lag"
    ends = produce(broker, topic, [b'{"n": %d}' % i for i in range(12)], partitions=2)
    settings = KafkaSettings(bootstrap_servers=broker, topic=topic, group_id="lag-test")
    source = KafkaSource(settings)
    try:
        limits = BatchLimits(max_records=5, max_wait_s=2.0)
        first = _first_batch(source, limits)
        assert source.commit(first)
        read = len(first)
        while read < 12:  # the rest, read but not committed (a batch in flight)
            read += len(source.poll_batch(limits))
        committed = first.next_offsets()

        def no_request(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("lag() asked the broker")

        monkeypatch.setattr(source._consumer, "end_offsets", no_request)
        monkeypatch.setattr(source._consumer, "committed", no_request)
        lag = source.lag()
        assert lag == {tp: end - committed.get(tp, 0) for tp, end in ends.items()}
        assert sum(lag.values()) == 12 - len(first)
    finally:
        source.close()


def test_a_batch_ships_once_the_log_is_read_to_its_end(broker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream's event must not wait for an empty poll after it: once every partition is read to
    the high watermark its last fetch reported, the batch ships. Records produced into a topic
    that has been read come back in batches whose last poll returned records."""
    topic = "source.drained"
    produce(broker, topic, [b'{"n": %d}' % i for i in range(6)], partitions=2)
    settings = KafkaSettings(bootstrap_servers=broker, topic=topic, group_id="drained-test")
    source = KafkaSource(settings)
    try:
        limits = BatchLimits(max_records=100, max_wait_s=5.0)
        read = len(_first_batch(source, limits))
        while read < 6:
            read += len(source.poll_batch(limits))
        returned: list[int] = []  # records returned by each consumer poll
        real_poll = source._consumer.poll

        def counting_poll(*args: Any, **kwargs: Any) -> Any:
            polled = real_poll(*args, **kwargs)
            returned.append(sum(len(records) for records in polled.values()))
            return polled

        monkeypatch.setattr(source._consumer, "poll", counting_poll)
        produce(broker, topic, [b'{"n": %d}' % i for i in range(6, 9)], partitions=2)
        batches = []
        while sum(len(b) for b in batches) < 3:
            returned.clear()
            batch = source.poll_batch(limits)
            if batch.records:
                batches.append(batch)
                assert returned[-1] > 0, f"the batch waited for an empty poll: {returned}"
        assert sorted(r.offset for b in batches for r in b.records) == [3, 3, 4]
    finally:
        source.close()


def test_a_partition_given_back_with_nothing_committed_or_landed_is_read_from_its_start(broker: str) -> None:
    """A batch read and not landed when the group rebalanced, its partition given back to the
    same consumer: with no committed offset and nothing in the lake, the partition is read from
    its start again. kafka-python keeps the fetch position of a partition assigned to it again,
    which skipped the batch (seen in the three-consumer scale-out test on S3)."""
    topic = "source.given.back"
    produce(broker, topic, [b'{"n": %d}' % i for i in range(10)], partitions=1)
    settings = KafkaSettings(bootstrap_servers=broker, topic=topic, group_id="given-back-test")
    source = KafkaSource(settings, resume_at=lambda topic, partition: None)  # an empty lake
    try:
        limits = BatchLimits(max_records=5, max_wait_s=2.0)
        first = _first_batch(source, limits)
        assert [r.offset for r in first.records] == [0, 1, 2, 3, 4]
        # The rebalance, as the consumer's listener sees it: the same partition assigned again.
        source._assigned(source._consumer.assignment())
        assert not source.is_current(first)  # the batch in hand is not landed
        again = _first_batch(source, limits)
        assert [r.offset for r in again.records] == [0, 1, 2, 3, 4]
    finally:
        source.close()
