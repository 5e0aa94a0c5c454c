"""Maintenance of the lake: compaction per closed day, vacuum, checkpoint, retention, beside ingest."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pyarrow as pa

from newsflow.lake import open_table, read_table
from newsflow.maintain import files_per_day, maintain
from newsflow.schemas import to_table
from newsflow.sink import DeltaSink, land_batch
from newsflow.source import Batch, RawRecord

DAY_MS = 86_400_000
DEC_6 = 1_638_792_000_000  # 2021-12-06 12:00 UTC
TODAY = dt.date(2021, 12, 8)


def _batch(offsets: range, day: int) -> Batch:
    return Batch([RawRecord("news", 0, o, DEC_6 + day * DAY_MS, None, b"x") for o in offsets])


def _dead_letters(batch: Batch) -> dict[str, pa.Table]:
    rows = [{"kafka_topic": r.topic, "kafka_partition": r.partition, "kafka_offset": r.offset,
             "kafka_timestamp": r.timestamp_ms, "error_kind": "malformed_json", "error": "e",
             "dead_lettered_at": 0, "pipeline_version": "t"} for r in batch.records]
    return {"dead_letters": to_table("dead_letters", rows)}


def _land_days(output: str | Path, batches_per_day: int = 4, size: int = 5) -> int:
    offset = 0
    for day in range(3):  # 6, 7 December (closed) and 8 December (today)
        for _ in range(batches_per_day):
            batch = _batch(range(offset, offset + size), day)
            land_batch(output, _dead_letters(batch), batch)
            offset += size
    return offset


def _offsets(output: str | Path) -> list[int]:
    return sorted(read_table(output, "dead_letters", columns=["kafka_offset"])["kafka_offset"].to_pylist())


def test_closed_days_end_with_one_file_and_no_row_changes(tmp_path: Path) -> None:
    total = _land_days(tmp_path)
    table = open_table(tmp_path, "dead_letters")
    assert table is not None
    assert files_per_day(table) == {"2021-12-06": 4, "2021-12-07": 4, "2021-12-08": 4}
    reports = {r.table: r for r in maintain(tmp_path, today=TODAY, vacuum_retention_hours=0)}
    report = reports["dead_letters"]
    assert report.days_compacted == ["2021-12-06", "2021-12-07"]
    assert (report.files_before, report.files_after) == (12, 6)
    assert report.files_vacuumed == 8  # the files compaction replaced
    table.update_incremental()
    assert files_per_day(table) == {"2021-12-06": 1, "2021-12-07": 1, "2021-12-08": 4}  # today stays open
    assert _offsets(tmp_path) == list(range(total))
    assert list((tmp_path / "dead_letters" / "_delta_log").glob("*.checkpoint.parquet"))
    # Files on disk now match the log: globbing them no longer double-counts.
    assert len(list((tmp_path / "dead_letters").glob("ingest_date=*/*.parquet"))) == 6
    assert reports["articles"].files_before == 0  # tables without rows are maintained too


def test_retention_deletes_old_days_only(tmp_path: Path) -> None:
    _land_days(tmp_path, batches_per_day=1)
    maintain(tmp_path, today=TODAY, retention_days=1, vacuum_retention_hours=0)
    days = read_table(tmp_path, "dead_letters", columns=["ingest_date"])["ingest_date"].to_pylist()
    assert sorted(set(days)) == [dt.date(2021, 12, 7), dt.date(2021, 12, 8)]


def test_maintenance_beside_a_landing_ingest_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """An ingest keeps landing (into closed days too, as late records do) while maintain runs."""
    _land_days(tmp_path, batches_per_day=3)
    sink = DeltaSink(tmp_path, "newsflow-ingest")
    start, end = 1000, 1000 + 40 * 5
    done = threading.Event()

    def ingest() -> None:
        try:
            for offset in range(start, end, 5):
                batch = _batch(range(offset, offset + 5), day=(offset // 5) % 3)
                sink.land(_dead_letters(batch), batch)
        finally:
            done.set()

    writer = threading.Thread(target=ingest)
    writer.start()
    runs = 0
    while not done.is_set() or runs == 0:
        maintain(tmp_path, today=TODAY, vacuum_retention_hours=1)
        runs += 1
    writer.join()
    maintain(tmp_path, today=TODAY, vacuum_retention_hours=1)
    offsets = _offsets(tmp_path)
    assert len(offsets) == len(set(offsets))
    assert offsets == list(range(45)) + list(range(start, end))
    table = open_table(tmp_path, "dead_letters")
    assert table is not None
    closed = {d: n for d, n in files_per_day(table).items() if d is not None and d < TODAY.isoformat()}
    assert set(closed.values()) == {1}
