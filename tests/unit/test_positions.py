"""Which log the lake landed from (topic id and epoch), and where it stands in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsflow.lake import app_id, log_id_property, open_table, read_table
from newsflow.positions import LogChangedError, prepare_sink
from newsflow.schemas import TABLES, to_table
from newsflow.source import Batch, RawRecord


def _land(sink, offsets: range, partition: int = 0) -> None:  # type: ignore[no-untyped-def]
    batch = Batch([RawRecord("news", partition, o, 1_638_792_000_000, None, b"x") for o in offsets])
    rows = [{"kafka_topic": "news", "kafka_partition": partition, "kafka_offset": o, "error_kind": "e", "error": "e",
             "dead_lettered_at": 0, "pipeline_version": "t"} for o in offsets]
    sink.land({"dead_letters": to_table("dead_letters", rows)}, batch)


def test_the_first_run_records_the_log_and_the_same_log_resumes(tmp_path: Path) -> None:
    sink = prepare_sink(tmp_path, "g", "news", "id-1")
    assert sink.epoch == 0
    for name in TABLES:
        table = open_table(tmp_path, name)
        assert table is not None and table.metadata().configuration[log_id_property("news")] == "id-1"
    _land(sink, range(5))
    assert prepare_sink(tmp_path, "g", "news", "id-1").epoch == 0


def test_another_log_is_refused_until_a_new_epoch_is_asked_for(tmp_path: Path) -> None:
    _land(prepare_sink(tmp_path, "g", "news", "id-1"), range(5))
    with pytest.raises(LogChangedError, match="not the log .* run again with --new-epoch"):
        prepare_sink(tmp_path, "g", "news", "id-2")
    sink = prepare_sink(tmp_path, "g", "news", "id-2", new_epoch=True)
    assert sink.epoch == 1
    _land(sink, range(3))  # offsets 0..2 again, of the new log: landed, not skipped
    table = read_table(tmp_path, "dead_letters", columns=["kafka_epoch", "kafka_offset"])
    assert sorted(zip(table["kafka_epoch"].to_pylist(), table["kafka_offset"].to_pylist(), strict=True)) == [
        (0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (1, 0), (1, 1), (1, 2)]
    assert prepare_sink(tmp_path, "g", "news", "id-2").epoch == 1  # later runs stay in the new epoch
    with pytest.raises(LogChangedError):
        prepare_sink(tmp_path, "g", "news", "id-1")


def test_a_broker_without_topic_ids_is_not_checked(tmp_path: Path) -> None:
    _land(prepare_sink(tmp_path, "g", "news", "id-1"), range(2))
    assert prepare_sink(tmp_path, "g", "news", None).epoch == 0


def test_the_lake_position_is_the_lowest_over_the_tables(tmp_path: Path) -> None:
    sink = prepare_sink(tmp_path, "g", "news", "id-1")
    partitions = [("news", 0), ("news", 1)]
    assert sink.next_offsets(partitions) == {}
    _land(sink, range(5))
    assert sink.next_offsets(partitions) == {("news", 0): 5}
    # A crash after some tables' commits: the position is where the laggard stands, as another
    # process's sink sees it too.
    from deltalake import CommitProperties, Transaction, write_deltalake

    table = open_table(tmp_path, "articles")
    assert table is not None
    write_deltalake(table, table.schema().to_arrow().empty_table(), mode="append",
                    commit_properties=CommitProperties(app_transactions=[Transaction(app_id("g", "news", 0, 0), 9)]))
    assert sink.next_offsets(partitions) == {("news", 0): 5}
    # A partition only one table has landed (a crash inside the first batch): no position yet.
    write_deltalake(table, table.schema().to_arrow().empty_table(), mode="append",
                    commit_properties=CommitProperties(app_transactions=[Transaction(app_id("g", "news", 1, 0), 3)]))
    assert prepare_sink(tmp_path, "g", "news", "id-1").next_offsets(partitions) == {("news", 0): 5}
