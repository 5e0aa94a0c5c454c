"""The flow's batch loop with an in-memory source: commit order, land-before-commit, and a batch
read before a rebalance being dropped rather than landed (no broker; the Prefect harness)."""

from __future__ import annotations

import json
from pathlib import Path

from newsflow.accounting import account
from newsflow.config import BatchLimits, Settings
from newsflow.lake import read_table
from newsflow.source import Batch, MemorySource, records_from_values
from tests.unit.test_pipeline_accounting import mixed_events


class RecordingSource(MemorySource):
    """Checks at every commit that the batch's files are already on disk; can fake one rebalance."""

    def __init__(self, values: list[bytes], output: Path, stale_batch: int | None = None):
        super().__init__(records_from_values(values))
        self.output = output
        self.stale_batch = stale_batch
        self.stale_through = 0  # batches read up to this poll were read before the rebalance
        self.polls = 0
        self.commits: list[dict[tuple[str, int], int]] = []
        self.dropped: list[int] = []

    def poll_batch(self, limits: BatchLimits) -> Batch:
        batch = super().poll_batch(limits)
        if batch.records:
            self.polls += 1
            batch.generation = self.polls  # stands in for "read in this poll"
        return batch

    def is_current(self, batch: Batch) -> bool:
        if batch.generation == self.stale_batch and batch.generation not in self.dropped:
            # As after an eager rebalance: the partition restarts at its committed offset, and
            # every batch read before the rebalance (the next one is already in hand) is stale.
            self.stale_through = self.polls
            self._position = self._records.index(batch.records[0])
        if batch.generation <= self.stale_through and batch.generation not in self.dropped:
            self.dropped.append(batch.generation)
            return False
        return True

    def commit(self, batch: Batch) -> bool:
        landed = account(self.output).all_offsets
        assert {r.offset for r in batch.records} <= {offset for _, _, offset in landed}
        self.commits.append(batch.next_offsets())
        return super().commit(batch)


def _run(source: RecordingSource, output: Path, batch_records: int):  # type: ignore[no-untyped-def]
    from prefect import flow

    from newsflow.flows.ingest import run_ingest

    @flow(name="loop-under-test")
    def loop():  # type: ignore[no-untyped-def]
        settings = Settings(output_dir=output, limits=BatchLimits(max_records=batch_records, max_wait_s=0.1),
                            workers=0)
        return run_ingest(settings, source, mode="drain")

    return loop()


def _values(seed_event_bytes: bytes) -> list[bytes]:
    seed = json.loads(seed_event_bytes)
    copies = [json.dumps({**seed, "id": f"v{i}", "body": f"Report {i}. " + seed["body"]}).encode() for i in range(3)]
    return mixed_events(seed_event_bytes) + copies


def test_batches_commit_in_order_after_their_files(prefect_api: str, tmp_path: Path, seed_event_bytes: bytes) -> None:
    values = _values(seed_event_bytes)
    source = RecordingSource(values, tmp_path)
    totals = _run(source, tmp_path, batch_records=3)
    ends = [offsets[("memory", 0)] for offsets in source.commits]
    assert ends == sorted(ends) and ends[-1] == len(values)
    assert totals.batches == len(ends) == source.polls
    assert account(tmp_path).doubled() == []
    assert len(account(tmp_path).all_offsets) == len(values)


def test_batch_read_before_a_rebalance_is_read_again_not_landed(
    prefect_api: str, tmp_path: Path, seed_event_bytes: bytes
) -> None:
    values = _values(seed_event_bytes)
    source = RecordingSource(values, tmp_path, stale_batch=2)
    totals = _run(source, tmp_path, batch_records=3)
    assert source.dropped == [2, 3] and totals.redone_batches == 2
    result = account(tmp_path)
    assert result.doubled() == [] and len(result.all_offsets) == len(values)
    ids = read_table(tmp_path, "articles")["article_id"].to_pylist()
    assert len(ids) == len(set(ids))


def _run_source(source: MemorySource, output: Path, batch_records: int, monitor_class=None):  # type: ignore[no-untyped-def]
    from prefect import flow

    from newsflow.flows.ingest import run_ingest
    from newsflow.flows.monitoring import RunMonitor

    @flow(name="loop-under-test")
    def loop():  # type: ignore[no-untyped-def]
        settings = Settings(output_dir=output, limits=BatchLimits(max_records=batch_records, max_wait_s=0.1),
                            workers=0)
        monitor = (monitor_class or RunMonitor)(settings, source, "drain")
        return run_ingest(settings, source, mode="drain", monitor=monitor), monitor

    return loop()


class GoneRecorder:
    """A RunMonitor that also keeps the gaps it was told of."""

    def __new__(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        from newsflow.flows.monitoring import RunMonitor

        class Recording(RunMonitor):
            def __init__(self, *a, **k) -> None:  # type: ignore[no-untyped-def]
                super().__init__(*a, **k)
                self.gone: list[tuple[str, int, int, int]] = []

            def offsets_gone(self, topic: str, partition: int, first: int, last: int) -> None:
                self.gone.append((topic, partition, first, last))
                super().offsets_gone(topic, partition, first, last)

        return Recording(*args, **kwargs)


def test_a_batch_read_past_where_the_lake_stands_is_read_again_from_the_lake(
    prefect_api: str, tmp_path: Path, seed_event_bytes: bytes
) -> None:
    """The group's committed offset is ahead of the lake (a run of the same group wrote elsewhere):
    records 4..7 exist but were never landed here, so the batch read from 8 must not land."""
    records = records_from_values(_values(seed_event_bytes)[:12])
    _run_source(MemorySource(records[:4]), tmp_path, batch_records=4)

    ahead = MemorySource(records)
    ahead.rewind({("memory", 0): 8})  # as a consumer whose committed offset is 8
    totals, monitor = _run_source(ahead, tmp_path, batch_records=4, monitor_class=GoneRecorder)
    assert totals.redone_batches == 1
    assert monitor.gone == []
    result = account(tmp_path)
    assert result.doubled() == []
    assert sorted(offset for _, _, offset in result.all_offsets) == list(range(12))


def test_records_the_broker_no_longer_has_are_landed_past_and_reported(
    prefect_api: str, tmp_path: Path, seed_event_bytes: bytes
) -> None:
    """Records 4..7 were deleted (retention) while ingest was stopped: asked for offset 4, the
    source returns 8. The batch lands, and the gap is reported rather than waited on forever."""
    records = records_from_values(_values(seed_event_bytes)[:12])
    _run_source(MemorySource(records[:4]), tmp_path, batch_records=4)

    retained = MemorySource(records[8:])  # what the broker still has
    totals, monitor = _run_source(retained, tmp_path, batch_records=4, monitor_class=GoneRecorder)
    # Its first read started at 8 (where a fresh consumer starts): not proof, so it is read again
    # from the lake's offset 4, which the source answers with 8.
    assert totals.redone_batches == 1
    assert monitor.gone == [("memory", 0, 4, 7)]
    result = account(tmp_path)
    assert result.doubled() == []
    assert sorted(offset for _, _, offset in result.all_offsets) == [0, 1, 2, 3, 8, 9, 10, 11]


def test_a_batch_lands_while_the_next_batch_is_being_analysed(
    prefect_api: str, tmp_path: Path, seed_event_bytes: bytes, monkeypatch
) -> None:
    """With workers, a stage runs on the task runner and the loop's own thread lands the batch
    under validation meanwhile: batch 1's rows are in the tables while batch 2 is in extract."""
    import time

    from prefect import flow

    import newsflow.flows.ingest as ingest

    real_extract = ingest.extract_stage
    calls: list[int] = []
    seen_during_second_extract: list[set[int]] = []

    def watching_extract(articles, workers):  # type: ignore[no-untyped-def]
        calls.append(len(articles))
        if len(calls) == 2:  # hold batch 2 here until batch 1 is in the tables, or 60 s
            deadline = time.monotonic() + 60
            landed: set[int] = set()
            while time.monotonic() < deadline and not {0, 1, 2} <= landed:
                landed = {offset for _, _, offset in account(tmp_path).all_offsets}
                time.sleep(0.1)
            seen_during_second_extract.append(landed)
        return real_extract(articles, workers)

    monkeypatch.setattr(ingest, "extract_stage", watching_extract)
    values = _values(seed_event_bytes)[:6]
    source = MemorySource(records_from_values(values))

    @flow(name="loop-under-test")
    def loop():  # type: ignore[no-untyped-def]
        settings = Settings(output_dir=tmp_path, limits=BatchLimits(max_records=3, max_wait_s=0.1), workers=1)
        return ingest.run_ingest(settings, source, mode="drain")

    totals = loop()
    assert len(calls) == 2
    assert {0, 1, 2} <= seen_during_second_extract[0]
    assert not {3, 4, 5} & seen_during_second_extract[0]
    assert totals.batches == 2
    result = account(tmp_path)
    assert result.doubled() == [] and sorted(o for _, _, o in result.all_offsets) == list(range(6))
