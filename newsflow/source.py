"""Where raw events come from: a Source interface, a real Kafka source and an in-memory one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from newsflow.config import BatchLimits, KafkaSettings

log = logging.getLogger(__name__)


# The range of times the tables hold (year 1 to year 9999, in ms since 1970).
FIRST_TABLE_TIMESTAMP_MS = -62_135_596_800_000
LAST_TABLE_TIMESTAMP_MS = 253_402_300_799_999


@dataclass(frozen=True)
class RawRecord:
    """One consumed Kafka record, exactly as it arrived."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()
    # Set when the client could not read the record at all (a corrupt record, a header key that is
    # not UTF-8): key and value are then unknown, and the record goes to the dead letters.
    error: str | None = None

    @property
    def size(self) -> int:
        return len(self.value or b"") + len(self.key or b"")

    @property
    def table_timestamp_ms(self) -> int | None:
        """The Kafka timestamp as the tables keep it: None for "no timestamp" (-1) and for any
        time outside years 1..9999, which Delta's microsecond timestamps (and most readers)
        cannot hold: a producer's hostile clock must not fail the batch's landing."""
        ts = self.timestamp_ms
        return ts if ts is not None and ts != -1 and FIRST_TABLE_TIMESTAMP_MS <= ts <= LAST_TABLE_TIMESTAMP_MS else None


@dataclass
class Batch:
    """A micro-batch of records, ordered by (partition, offset)."""

    records: list[RawRecord] = field(default_factory=list)
    # The consumer-group generation the records were read in (see KafkaSource.is_current).
    generation: int = 0
    # Per partition, the offset the source was reading from when the batch began (where the
    # previous batch ended, or where the consumer was sought to); None if unknown. A batch whose
    # first offset is past it got no record in between from the broker: those are gone.
    read_from: dict[tuple[str, int], int | None] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def bytes(self) -> int:
        return sum(r.size for r in self.records)

    def by_partition(self) -> dict[tuple[str, int], list[RawRecord]]:
        groups: dict[tuple[str, int], list[RawRecord]] = {}
        for record in self.records:
            groups.setdefault((record.topic, record.partition), []).append(record)
        return groups

    def first_offsets(self) -> dict[tuple[str, int], int]:
        """Each partition's first offset in this batch."""
        return {tp: recs[0].offset for tp, recs in self.by_partition().items()}

    def next_offsets(self) -> dict[tuple[str, int], int]:
        """The offsets to commit once this batch has landed: last offset + 1 per partition."""
        return {tp: recs[-1].offset + 1 for tp, recs in self.by_partition().items()}


class Source(Protocol):
    """Anything the ingest flow can read micro-batches from and acknowledge them to."""

    def poll_batch(self, limits: BatchLimits) -> Batch: ...

    def commit(self, batch: Batch) -> bool: ...

    def rewind(self, positions: Mapping[tuple[str, int], int]) -> None: ...

    def is_current(self, batch: Batch) -> bool: ...

    def still_owns(self, batch: Batch) -> bool: ...

    def caught_up(self) -> bool: ...

    def has_assignment(self) -> bool: ...

    def owns_all_partitions(self) -> bool: ...

    def keep_alive(self) -> None: ...

    def close(self) -> None: ...


class MemorySource:
    """A Source over records held in memory: for unit tests and seed snapshots, no broker needed."""

    def __init__(self, records: Iterable[RawRecord]):
        self._records = sorted(records, key=lambda r: (r.topic, r.partition, r.offset))
        self._position = 0
        self._generation = 0
        # Where each partition is read from next, as a consumer's position: unknown until a
        # partition has been read or rewound (a fresh consumer starts at the first record it has).
        self._next: dict[tuple[str, int], int] = {}
        self.committed: dict[tuple[str, int], int] = {}

    def poll_batch(self, limits: BatchLimits) -> Batch:
        batch = Batch(generation=self._generation)
        size = 0
        while self._position < len(self._records) and len(batch) < limits.max_records:
            record = self._records[self._position]
            if batch.records and size + record.size > limits.max_bytes:
                break
            batch.records.append(record)
            tp = (record.topic, record.partition)
            batch.read_from.setdefault(tp, self._next.get(tp, record.offset))
            size += record.size
            self._position += 1
        self._next.update(batch.next_offsets())
        return batch

    def rewind(self, positions: Mapping[tuple[str, int], int]) -> None:
        """Read from these offsets again (records of other partitions after the earliest of them
        are read again too, as a redelivery); batches read before are stale."""
        self._generation += 1
        self._next.update(positions)
        again = [i for i, r in enumerate(self._records)
                 if (r.topic, r.partition) in positions and r.offset >= positions[(r.topic, r.partition)]]
        self._position = min(again, default=self._position)

    def commit(self, batch: Batch) -> bool:
        self.committed.update(batch.next_offsets())
        return True

    def is_current(self, batch: Batch) -> bool:
        return batch.generation == self._generation

    def still_owns(self, batch: Batch) -> bool:
        return True

    def caught_up(self) -> bool:
        return self._position >= len(self._records)

    def has_assignment(self) -> bool:
        return True

    def owns_all_partitions(self) -> bool:
        return True

    def keep_alive(self) -> None:
        pass

    def lag(self) -> dict[tuple[str, int], int]:
        """Records per partition after its committed offset."""
        behind: dict[tuple[str, int], int] = {}
        for record in self._records:
            tp = (record.topic, record.partition)
            behind[tp] = behind.get(tp, 0) + (record.offset >= self.committed.get(tp, 0))
        return behind

    def close(self) -> None:
        pass


# With records in hand, the batch ships as soon as the consumer has read every assigned partition
# up to the high watermark of its last fetch (the end of the log, as the broker last reported it):
# waiting for more only delays a stream's rows. Where a partition's high watermark is not known
# yet, a poll that finds nothing new within this long means the backlog is drained; a backlog's
# records are fetched ahead and come back at once.
DRAINED_POLL_MS = 100


class KafkaSource:
    """A Source reading one topic with a consumer group; offsets are committed only by commit()."""

    def __init__(self, settings: KafkaSettings, *, client_id: str = "newsflow-ingest",
                 resume_at: Callable[[str, int], int | None] | None = None):
        """resume_at(topic, partition): where to start a partition that has no committed offset
        (the lake's own recorded position), or None for auto_offset_reset."""
        from kafka import KafkaConsumer

        self._settings = settings
        self._resume_at = resume_at
        self._unchecked: set[Any] = set()  # assigned, paused until their committed offset is looked up
        self._generation = 0
        # Each partition's next offset to read, as far as this consumer set or read it (see
        # Batch.read_from); absent where auto_offset_reset decides.
        self._next: dict[tuple[str, int], int] = {}
        # The group's committed offset of each assigned partition, as this consumer last looked it
        # up or committed it (only the partition's owner commits it): lag() needs no request.
        self._committed: dict[tuple[str, int], int | None] = {}
        self._consumer = KafkaConsumer(
            group_id=settings.group_id,
            client_id=client_id,
            enable_auto_commit=False,  # we commit after the Parquet is durably written
            auto_offset_reset="earliest",
            # Reading never creates a topic: a mistyped name must fail, not wait on an empty one.
            allow_auto_create_topics=False,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
            max_poll_interval_ms=settings.max_poll_interval_ms,
            # Article events are large (HTML pages run to hundreds of KB): fetch more per request.
            max_partition_fetch_bytes=16 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            **settings.client_options(),
        )
        self._consumer.subscribe([settings.topic], listener=_assignment_listener(self._assigned))
        self._empty_polls = 0

    def _assigned(self, assigned: Iterable[Any]) -> None:
        self._generation += 1
        partitions = set(assigned)
        if partitions:
            # Every assigned partition restarts where the group committed it: kafka-python keeps
            # the fetch position of a partition assigned to it again, which would skip the records
            # of a batch read before the rebalance and not landed. Looking up committed offsets
            # takes a request, which the listener may not make (it runs on the client's IO thread):
            # the partitions wait, paused, for poll_batch.
            self._consumer.pause(*partitions)
            self._unchecked |= partitions

    def _resume_unchecked(self) -> None:
        """Start each newly assigned partition at its committed offset; without one (a new group,
        offsets expired) where the lake stands, or by auto_offset_reset if neither is known."""
        if not self._unchecked:
            return
        partitions, self._unchecked = self._unchecked & self._consumer.assignment(), set()
        for tp in partitions:
            self._next.pop((tp.topic, tp.partition), None)
            committed = self._consumer.committed(tp)
            self._committed[(tp.topic, tp.partition)] = committed
            if committed is not None:
                self._seek(tp, committed)
                continue
            position = self._resume_at(tp.topic, tp.partition) if self._resume_at is not None else None
            if position is not None:
                log.warning("%s partition %d has no committed offset: resuming at %d, where the lake "
                            "stands", tp.topic, tp.partition, position)
                self._seek(tp, position)
            else:
                # Said explicitly: a partition assigned to this consumer again keeps its fetch
                # position, past a batch that was read but not landed before the rebalance.
                self._consumer.seek_to_beginning(tp)
        self._consumer.resume(*partitions)

    def _seek(self, tp: Any, offset: int) -> None:
        self._consumer.seek(tp, offset)
        self._next[(tp.topic, tp.partition)] = offset

    def rewind(self, positions: Mapping[tuple[str, int], int]) -> None:
        """Read these partitions again from these offsets (those still assigned). Every batch read
        before is stale, as after a rebalance: is_current() is False for it."""
        from kafka import TopicPartition

        assigned = self._consumer.assignment()
        for (topic, partition), offset in positions.items():
            tp = TopicPartition(topic, partition)
            if tp in assigned:
                self._seek(tp, offset)
        self._generation += 1

    def is_current(self, batch: Batch) -> bool:
        """False once the group has rebalanced since the batch was read.

        The assignment is eager: every rebalance revokes all partitions and restarts the ones
        assigned again from their committed offsets. A batch read before it must not be landed
        (its partitions may now be another member's, which reads them again) nor committed."""
        return batch.generation == self._generation

    def still_owns(self, batch: Batch) -> bool:
        """Ask the group coordinator whether this consumer still owns the batch's partitions.

        is_current() only knows what this consumer has been told at its last poll: one paused past
        its session timeout (a long GC, SIGSTOP, a frozen VM) resumes believing it still owns
        partitions the group has since given to another member. So the batch's first offsets,
        where its partitions' committed offsets already are, are committed again: the coordinator
        refuses that from a member of an older generation. Called under the partition locks,
        right before landing."""
        if not self.is_current(batch):
            return False
        return self._commit(batch.first_offsets(), "this consumer no longer owns the batch's partitions")

    def poll_batch(self, limits: BatchLimits) -> Batch:
        from kafka.errors import CorruptRecordError

        batch = Batch(generation=self._generation)
        size = 0
        deadline = time.monotonic() + limits.max_wait_s
        first_record_deadline = deadline if limits.first_record_wait_s is None else min(
            deadline, time.monotonic() + limits.first_record_wait_s)
        while len(batch) < limits.max_records and size < limits.max_bytes:
            remaining_ms = int(((deadline if batch.records else first_record_deadline) - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                break
            unreadable: RawRecord | None = None
            try:
                polled = self._consumer.poll(
                    timeout_ms=min(remaining_ms, DRAINED_POLL_MS if batch.records else 500),
                    max_records=limits.max_records - len(batch),
                )
            except CorruptRecordError as exc:
                unreadable, polled = self._skip_unreadable(exc), {}
            self._resume_unchecked()
            if self._generation != batch.generation:
                # Rebalanced inside this poll: what was read before it is read again from the
                # committed offsets (by us or the new owner), so it is dropped here.
                batch, size = Batch(generation=self._generation), 0
            if unreadable is not None:
                key = (unreadable.topic, unreadable.partition)
                batch.read_from.setdefault(key, self._next.get(key))
                batch.records.append(unreadable)
                continue
            if not polled:
                # An empty poll after some records: the backlog is drained, ship what we have.
                if batch.records:
                    break
                continue
            for tp, records in polled.items():
                if records:
                    batch.read_from.setdefault((tp.topic, tp.partition), self._next.get((tp.topic, tp.partition)))
                for rec in records:
                    batch.records.append(
                        RawRecord(
                            topic=tp.topic,
                            partition=tp.partition,
                            offset=rec.offset,
                            timestamp_ms=rec.timestamp,
                            key=rec.key,
                            value=rec.value,
                            headers=tuple((k, v) for k, v in (rec.headers or [])),
                        )
                    )
                    size += len(rec.value or b"")
            if self._read_to_high_watermark():
                break
        batch.records.sort(key=lambda r: (r.topic, r.partition, r.offset))
        self._next.update(batch.next_offsets())
        return batch

    def _read_to_high_watermark(self) -> bool:
        """True when every assigned partition that is being read has been read up to the high
        watermark of its last fetch response. No request: both figures are the consumer's own."""
        reading = self._consumer.assignment() - self._consumer.paused()
        if not reading:
            return False
        for tp in reading:
            end = self._consumer.highwater(tp)
            if end is None or self._consumer.position(tp) < end:
                return False
        return True

    def _skip_unreadable(self, exc: Exception) -> RawRecord:
        """The record kafka-python could not read (poll raised CorruptRecordError: a failed CRC,
        a header key that is not UTF-8, a malformed record), as a RawRecord carrying the error;
        the consumer moves past it. It lands in the dead letters, so its offset is accounted for
        and committed with its batch; if that batch is not landed, it is met and skipped again.

        kafka-python names neither the partition nor the offset in the exception: the fetcher's
        record set in progress (the one that raised) names the partition, and the partition's
        position is the record's offset (records before it were returned and moved it). A failed
        CRC spoils a whole record batch: each of its offsets is skipped this way in turn."""
        from kafka import TopicPartition

        in_progress = getattr(getattr(self._consumer, "_fetcher", None), "_next_partition_records", None)
        tp = getattr(in_progress, "topic_partition", None)
        if not isinstance(tp, TopicPartition):
            raise exc  # nothing says which record it was: fail loudly rather than skip blindly
        offset = self._consumer.position(tp)
        self._consumer.seek(tp, offset + 1)
        log.warning("unreadable record %s/%d@%d dead-lettered: %s", tp.topic, tp.partition, offset, exc)
        return RawRecord(tp.topic, tp.partition, offset, None, None, None, error=f"{type(exc).__name__}: {exc}")

    def commit(self, batch: Batch) -> bool:
        """Commit the batch's offsets; False if the group rebalanced away from us meanwhile.

        After a lost commit the partitions resume at their committed offsets (here or in the
        consumer that now owns them), so the batch is landed again under the same file names.
        """
        return self._commit(batch.next_offsets(), "offsets not committed, the group rebalanced")

    def _commit(self, offsets: dict[tuple[str, int], int], refused: str) -> bool:
        """Commit offsets synchronously; False (logged after `refused`) if the coordinator refuses
        them because this consumer is no longer a member of the current generation."""
        from kafka import TopicPartition
        from kafka.errors import CommitFailedError, RebalanceInProgressError
        from kafka.structs import OffsetAndMetadata

        if not offsets:
            return True
        try:
            self._consumer.commit({
                TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
                for (topic, partition), offset in offsets.items()
            })
        except (CommitFailedError, RebalanceInProgressError) as exc:
            log.warning("%s: %s", refused, exc)
            return False
        self._committed.update(offsets)
        return True

    def caught_up(self) -> bool:
        """True when every assigned partition has been read up to its end offset."""
        from kafka.errors import KafkaError

        assignment = self._consumer.assignment()
        if not assignment:
            return False
        try:
            ends = self._consumer.end_offsets(list(assignment))
            return all(self._consumer.position(tp) >= ends.get(tp, 0) for tp in assignment)
        except KafkaError as exc:  # broker unreachable for now: not caught up, keep polling
            log.warning("could not read end offsets: %s", exc)
            return False

    def has_assignment(self) -> bool:
        return bool(self._consumer.assignment())

    def lag(self) -> dict[tuple[str, int], int]:
        """Consumer lag of the assigned partitions, as `kafka-consumer-groups --describe` shows it:
        records between the group's committed offset and the partition's end.

        The end is the high watermark of the partition's last fetch response, so reading the lag
        after every batch sends no request: a ListOffsets request waits on the partition leader's
        connection behind the fetch in flight there (up to fetch_max_wait_ms, 500 ms), and the
        batch loop, which reads the lag between the stages of the next batch, held that batch up
        by as long (docs/speed.md). Only a partition that no fetch has answered yet is asked for."""
        assignment = list(self._consumer.assignment())
        if not assignment:
            return {}
        ends = {tp: self._consumer.highwater(tp) for tp in assignment}
        unknown = [tp for tp, end in ends.items() if end is None]
        if unknown:
            ends.update(self._consumer.end_offsets(unknown))
        behind = {}
        for tp in assignment:
            key = (tp.topic, tp.partition)
            if key not in self._committed:
                self._committed[key] = self._consumer.committed(tp)
            committed = self._committed[key] or 0
            # Never below what this consumer has already read: the embedded Tansu (0.6) reports
            # low end offsets, so there the lag counts only records read but not yet committed.
            end = max(ends.get(tp) or 0, self._consumer.position(tp) or 0)
            behind[key] = max(0, end - committed)
        return behind

    def owns_all_partitions(self) -> bool:
        """True when this consumer is the only member holding the topic's partitions."""
        partitions = self._consumer.partitions_for_topic(self._settings.topic) or set()
        return len(self._consumer.assignment()) >= len(partitions) > 0

    def keep_alive(self) -> None:
        """Show the group coordinator this member is alive while a batch is worked on.

        poll() is what resets kafka-python's max-poll-interval timer, so the consumer polls with
        every assigned partition paused: no record comes back (fetched ones are kept for after
        the resume), positions do not move. A rebalance inside this poll raises the generation,
        so the batch in hand is then not landed (is_current) and is read again."""
        from kafka.errors import KafkaError

        assignment = self._consumer.assignment()
        try:
            self._consumer.pause(*assignment)
            polled = self._consumer.poll(timeout_ms=0)
            for tp, records in polled.items():
                # Only a partition assigned inside this very poll can return records: give them back.
                self._consumer.seek(tp, records[0].offset)
        except KafkaError as exc:  # the broker is unreachable for now: the next tick tries again
            log.warning("keep-alive poll failed: %s", exc)
        finally:
            # Not the partitions a rebalance inside this poll assigned: they wait for their
            # committed offsets (_resume_unchecked).
            self._consumer.resume(*[tp for tp in assignment
                                    if tp in self._consumer.assignment() and tp not in self._unchecked])

    def close(self) -> None:
        self._consumer.close(autocommit=False)


def _assignment_listener(on_assigned: Callable[[Iterable[Any]], None]) -> Any:
    """A kafka-python rebalance listener calling on_assigned(partitions) after every assignment."""
    from kafka import ConsumerRebalanceListener

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked: object) -> None:
            pass

        def on_partitions_assigned(self, assigned: Any) -> None:
            on_assigned(assigned)

    return Listener()


def records_from_values(
    values: Sequence[bytes], *, topic: str = "memory", partition: int = 0, start_offset: int = 0
) -> list[RawRecord]:
    """Wrap raw event bytes as records, as if they had been consumed from one partition."""
    now_ms = int(time.time() * 1000)
    return [
        RawRecord(topic, partition, start_offset + i, now_ms, None, value)
        for i, value in enumerate(values)
    ]
