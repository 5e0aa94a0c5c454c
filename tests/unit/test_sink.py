"""Landing into Delta tables exactly once, through app transactions in each table's log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from newsflow.lake import SchemaChangeError, WriterGroupError, app_id, lake_schema, read_table
from newsflow.schemas import TABLES, to_table
from newsflow.sink import DeltaSink, land_batch
from newsflow.source import Batch, RawRecord

DEC_6 = 1_638_792_000_000  # 2021-12-06 12:00 UTC
DAY_MS = 86_400_000


def _batch(offsets: range, partition: int = 0, timestamp_ms: int | None = DEC_6) -> Batch:
    return Batch([RawRecord("news", partition, o, timestamp_ms, None, b"x") for o in offsets])


def _dead_letters(batch: Batch) -> dict[str, pa.Table]:
    rows = [{"kafka_topic": r.topic, "kafka_partition": r.partition, "kafka_offset": r.offset,
             "kafka_timestamp": r.timestamp_ms, "error_kind": "malformed_json", "error": "e",
             "dead_lettered_at": 0, "pipeline_version": "t"} for r in batch.records]
    return {"dead_letters": to_table("dead_letters", rows)}


def _offsets(output: Path) -> list[int]:
    return sorted(read_table(output, "dead_letters")["kafka_offset"].to_pylist())


def test_every_table_is_a_delta_table_partitioned_by_kafka_date(tmp_path: Path) -> None:
    batch = _batch(range(10, 15))
    landed = land_batch(tmp_path, _dead_letters(batch), batch)
    assert [x.table for x in landed] == list(TABLES)
    assert {x.table: x.rows for x in landed}["dead_letters"] == 5
    for name in TABLES:  # every table records the batch's position, rows or not
        table = DeltaTable(str(tmp_path / name))
        assert table.metadata().partition_columns == ["ingest_date"]
        assert table.transaction_version(app_id("newsflow-ingest", "news", 0)) == 14
    dates = read_table(tmp_path, "dead_letters")["ingest_date"].to_pylist()
    assert dates == [dt.date(2021, 12, 6)] * 5
    assert (tmp_path / "dead_letters" / "ingest_date=2021-12-06").is_dir()


def test_a_redone_batch_lands_nothing_twice_however_it_is_cut(tmp_path: Path) -> None:
    # The first attempt landed 10..29 as one batch and crashed before committing its offsets.
    first = _batch(range(10, 30))
    land_batch(tmp_path, _dead_letters(first), first)
    # The restart resumes at the committed offset 10 with smaller batches...
    for offsets in (range(10, 20), range(20, 30)):
        batch = _batch(offsets)
        assert all(x.version is None for x in land_batch(tmp_path, _dead_letters(batch), batch))
    # ... or a bigger one, of which only the new part is written.
    bigger = _batch(range(10, 40))
    landed = land_batch(tmp_path, _dead_letters(bigger), bigger)
    assert {x.table: x.rows for x in landed}["dead_letters"] == 10
    assert _offsets(tmp_path) == list(range(10, 40))


def test_each_row_is_dated_by_its_own_record_across_midnight(tmp_path: Path) -> None:
    records = [RawRecord("news", 0, o, DEC_6 + (DAY_MS if o >= 15 else 0), None, b"x") for o in range(10, 20)]
    land_batch(tmp_path, _dead_letters(Batch(records)), Batch(records))
    table = read_table(tmp_path, "dead_letters")
    by_offset = dict(zip(table["kafka_offset"].to_pylist(), table["ingest_date"].to_pylist(), strict=True))
    assert by_offset[14] == dt.date(2021, 12, 6) and by_offset[15] == dt.date(2021, 12, 7)


@pytest.mark.parametrize("timestamp_ms", [None, -1, 253_402_300_800_000 + DAY_MS, -62_200_000_000_000])
def test_records_with_unusable_timestamps_land_in_the_null_partition(tmp_path: Path, timestamp_ms: int | None) -> None:
    batch = _batch(range(3), timestamp_ms=timestamp_ms)  # missing, -1, year 10000, year 0
    land_batch(tmp_path, _dead_letters(batch), batch)
    table = read_table(tmp_path, "dead_letters")
    assert table["ingest_date"].to_pylist() == [None] * 3
    assert table["kafka_timestamp"].null_count == (3 if timestamp_ms is None else 0)


def test_other_partitions_are_untouched(tmp_path: Path) -> None:
    other = _batch(range(50, 60), partition=1)
    land_batch(tmp_path, _dead_letters(other), other)
    mine = _batch(range(0, 5), partition=0)
    land_batch(tmp_path, _dead_letters(mine), mine)
    assert len(_offsets(tmp_path)) == 15


def test_a_writer_racing_another_on_the_same_partition_writes_nothing_twice(tmp_path: Path) -> None:
    """A zombie reads what the table holds, the new owner commits the same offsets and more, then
    the zombie commits: delta-rs refuses it (the owner's commit set the same app id), and the
    zombie's second look finds nothing left to write."""
    owner = DeltaSink(tmp_path, "newsflow-ingest")
    owners_batch = _batch(range(0, 40))

    class Zombie(DeltaSink):
        raced = False

        def _versions(self, table, partitions):  # type: ignore[no-untyped-def]
            versions = super()._versions(table, partitions)
            if not Zombie.raced and table.metadata().name == "dead_letters":
                Zombie.raced = True
                owner.land(_dead_letters(owners_batch), owners_batch)  # between the zombie's read and write
            return versions

    land_batch(tmp_path, {}, _batch(range(0, 1), partition=1))  # the tables exist before the race
    zombies_batch = _batch(range(0, 5))
    landed = Zombie(tmp_path, "newsflow-ingest").land(_dead_letters(zombies_batch), zombies_batch)
    assert Zombie.raced
    assert {x.table: x.rows for x in landed}["dead_letters"] == 0
    assert _offsets(tmp_path) == list(range(0, 40))


def test_delta_refuses_a_commit_setting_an_app_id_committed_since_it_read(tmp_path: Path) -> None:
    """The delta-rs behaviour the sink relies on (checked against the installed version)."""
    from deltalake import CommitProperties, Transaction, write_deltalake
    from deltalake.exceptions import CommitFailedError

    data = pa.table({"x": [1]})
    write_deltalake(str(tmp_path), data)
    stale = DeltaTable(str(tmp_path))
    write_deltalake(str(tmp_path), data, mode="append",
                    commit_properties=CommitProperties(app_transactions=[Transaction("app", 5)]))
    # Another app id commutes with the winner's commit...
    write_deltalake(stale, data, mode="append",
                    commit_properties=CommitProperties(app_transactions=[Transaction("other", 1)]))
    stale = DeltaTable(str(tmp_path), version=0)
    # ... the same one does not.
    with pytest.raises(CommitFailedError, match="Concurrent transaction"):
        write_deltalake(stale, data, mode="append",
                        commit_properties=CommitProperties(app_transactions=[Transaction("app", 9)]))
    assert DeltaTable(str(tmp_path)).transaction_version("app") == 5


def test_another_consumer_group_is_refused(tmp_path: Path) -> None:
    batch = _batch(range(5))
    land_batch(tmp_path, _dead_letters(batch), batch, group="newsflow-ingest")
    with pytest.raises(WriterGroupError, match="written by consumer group 'newsflow-ingest', not 'other'"):
        land_batch(tmp_path, _dead_letters(batch), batch, group="other")
    assert len(_offsets(tmp_path)) == 5


def _create(output: Path, name: str, schema: pa.Schema) -> None:
    DeltaTable.create(str(output / name), schema=schema, partition_by=["ingest_date"],
                      configuration={"newsflow.writer.group": "newsflow-ingest"}, raise_if_key_not_exists=False)


def test_an_older_table_gains_new_nullable_columns(tmp_path: Path) -> None:
    older = lake_schema("dead_letters").remove(lake_schema("dead_letters").get_field_index("key"))
    _create(tmp_path, "dead_letters", older)
    batch = _batch(range(3))
    land_batch(tmp_path, _dead_letters(batch), batch)
    table = DeltaTable(str(tmp_path / "dead_letters"))
    assert "key" in table.schema().to_arrow().names  # merged
    assert len(_offsets(tmp_path)) == 3


def test_a_breaking_schema_change_fails_clearly(tmp_path: Path) -> None:
    schema = lake_schema("dead_letters")
    changed = schema.set(schema.get_field_index("error"), pa.field("error", pa.int64(), nullable=False))
    _create(tmp_path, "dead_letters", changed)
    batch = _batch(range(3))
    with pytest.raises(SchemaChangeError, match="column 'error' is int64 in the table but string"):
        land_batch(tmp_path, _dead_letters(batch), batch)
