import os
from pathlib import Path

import pyarrow as pa
import pytest

from newsflow.schemas import to_table
from newsflow.sink import chunk_file_name, land_batch, read_table
from newsflow.source import Batch, RawRecord


def _batch(offsets: range, partition: int = 0) -> Batch:
    return Batch([RawRecord("news", partition, o, 1_638_792_000_000, None, b"x") for o in offsets])


def _dead_letters(batch: Batch) -> dict[str, pa.Table]:
    rows = [{"kafka_topic": r.topic, "kafka_partition": r.partition, "kafka_offset": r.offset,
             "error_kind": "malformed_json", "error": "e", "dead_lettered_at": 0,
             "pipeline_version": "t"} for r in batch.records]
    return {"dead_letters": to_table("dead_letters", rows)}


def test_file_names_are_deterministic_and_dated_by_kafka_time(tmp_path: Path) -> None:
    batch = _batch(range(10, 15))
    (landed,) = land_batch(tmp_path, _dead_letters(batch), batch)
    assert landed.path == tmp_path / "dead_letters" / "ingest_date=2021-12-06" / chunk_file_name("news", 0, 10)
    assert not list(tmp_path.rglob(".*tmp*"))  # no temp files left behind


def test_replay_after_crash_overwrites_instead_of_duplicating(tmp_path: Path) -> None:
    # First attempt landed offsets 10..29 as one file, then crashed before committing.
    first = _batch(range(10, 30))
    land_batch(tmp_path, _dead_letters(first), first)
    # The restart resumes at the committed offset 10 with smaller batches.
    for offsets in (range(10, 20), range(20, 30)):
        batch = _batch(offsets)
        land_batch(tmp_path, _dead_letters(batch), batch)
    offsets = read_table(tmp_path, "dead_letters")["kafka_offset"].to_pylist()
    assert sorted(offsets) == list(range(10, 30))


def test_replay_across_midnight_removes_the_stale_file_in_the_next_day(tmp_path: Path) -> None:
    day = 86_400_000
    records = [RawRecord("news", 0, o, 1_638_792_000_000 + (day if o >= 15 else 0), None, b"x")
               for o in range(10, 20)]
    # The first attempt landed 10..14 (6 Dec) and 15..19 (7 Dec) as two files, uncommitted.
    for part in (records[:5], records[5:]):
        land_batch(tmp_path, _dead_letters(Batch(part)), Batch(part))
    assert len(list(tmp_path.rglob("*.parquet"))) == 2
    # The replay reads 10..19 as one batch: one file, in the first record's day.
    land_batch(tmp_path, _dead_letters(Batch(records)), Batch(records))
    (only,) = tmp_path.rglob("*.parquet")
    assert only.parent.name == "ingest_date=2021-12-06"
    assert sorted(read_table(tmp_path, "dead_letters")["kafka_offset"].to_pylist()) == list(range(10, 20))


def test_stale_files_of_other_partitions_are_untouched(tmp_path: Path) -> None:
    other = _batch(range(50, 60), partition=1)
    land_batch(tmp_path, _dead_letters(other), other)
    mine = _batch(range(0, 5), partition=0)
    land_batch(tmp_path, _dead_letters(mine), mine)
    assert read_table(tmp_path, "dead_letters").num_rows == 15


def test_read_table_of_nothing_has_the_schema(tmp_path: Path) -> None:
    table = read_table(tmp_path, "articles")
    assert table.num_rows == 0 and "article_id" in table.schema.names


def test_partition_locks_exclude_each_other_and_say_who_holds_them(tmp_path: Path) -> None:
    from newsflow.sink import PartitionLockTimeout, partition_locks

    batch = Batch(_batch(range(1), partition=1).records + _batch(range(1), partition=0).records)
    waits: list[str] = []
    # flock conflicts between two opens of the file, even in one process.
    with partition_locks(tmp_path, batch), pytest.raises(PartitionLockTimeout, match=f"pid {os.getpid()}"):  # noqa: SIM117
        with partition_locks(tmp_path, _batch(range(5, 6)), wait_s=0.5, on_wait=waits.append):
            pass
    assert len(waits) == 1 and "p0000.lock" in waits[0]
    with partition_locks(tmp_path, batch, wait_s=0.5):  # released on exit
        assert sorted(p.name for p in (tmp_path / "_locks").iterdir()) == ["news-p0000.lock", "news-p0001.lock"]
