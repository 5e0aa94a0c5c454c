"""A batch of good and bad events through every stage (no broker, no Prefect)."""

from __future__ import annotations

import json
from pathlib import Path

from newsflow.accounting import account
from newsflow.config import BatchLimits
from newsflow.pipeline import process_batch
from newsflow.sink import land_batch
from newsflow.source import Batch, MemorySource, records_from_values
from newsflow.tasks.dedup import DedupIndex

GERMAN = ("Die Regierung in Berlin hat am Montag neue Maßnahmen beschlossen, um die Energiepreise "
          "zu senken. Der Kanzler sagte, die Entlastung komme schnell bei den Bürgern an, und die "
          "Opposition kritisierte den Plan als zu spät und zu klein für die vielen Familien im Land.")


def mixed_events(seed_event_bytes: bytes) -> list[bytes]:
    seed = json.loads(seed_event_bytes)
    return [
        seed_event_bytes,
        b"{this is not json",
        b"\xff\xfe invalid utf-8",
        json.dumps({"id": "no-body", "title": "missing body"}).encode(),
        json.dumps({"id": "empty", "body": ""}).encode(),
        json.dumps({"id": "huge", "body": "word " * 1_000_000}).encode(),  # 5 MB
        json.dumps({"id": "german", "body": GERMAN}).encode(),
        json.dumps({**seed, "id": "seed-copy"}).encode(),  # an exact duplicate: kept, flagged
        json.dumps({"id": "html-only-script", "body": "<html><script>alert(1)</script></html>",
                    "content_type": "text/html"}).encode(),
    ]


def test_every_offset_lands_exactly_once(tmp_path: Path, seed_event_bytes: bytes, validator) -> None:  # type: ignore[no-untyped-def]
    values = mixed_events(seed_event_bytes)
    source = MemorySource(records_from_values(values, topic="news"))
    index = DedupIndex()
    while True:
        batch = source.poll_batch(BatchLimits(max_records=4))
        if not batch.records:
            break
        output = process_batch(batch, index, validator)
        land_batch(tmp_path, output.tables, batch)
        source.commit(batch)
    result = account(tmp_path)
    assert result.doubled() == []
    assert result.missing({("news", 0): len(values)}) == []
    assert set(o for _, _, o in result.dead_letters) == {1, 2}
    assert set(o for _, _, o in result.quarantined) == {3, 4, 5, 6, 8}
    assert set(o for _, _, o in result.articles) == {0, 7}
    assert source.committed == {("news", 0): len(values)}


def test_quarantine_rows_say_why(seed_event_bytes: bytes, validator) -> None:  # type: ignore[no-untyped-def]
    batch = Batch(records_from_values(mixed_events(seed_event_bytes), topic="news"))
    stages: list[str] = []
    output = process_batch(batch, DedupIndex(), validator, max_body_chars=2_000_000, stage_done=stages.append)
    assert stages == ["decode", "clean", "extract", "enrich", "validate"]  # the benchmark's CPU budget
    reasons = {row["article_id"]: row["reason"] for row in output.tables["quarantine"].to_pylist()}
    assert "expect_column_values_to_be_in_set(language)" in reasons["german"]
    assert "expect_column_values_to_be_between(body_chars)" in reasons["huge"]
    assert "expect_column_values_to_not_be_null(body)" in reasons["no-body"]
    assert "expect_column_values_to_be_between(word_count)" in reasons["empty"]
    errors = {row["kafka_offset"]: row["error_kind"] for row in output.tables["dead_letters"].to_pylist()}
    assert errors == {1: "malformed_json", 2: "invalid_utf8"}
    articles = {row["article_id"]: row for row in output.tables["articles"].to_pylist()}
    assert articles["seed-copy"]["duplicate_of"] == "5746d6ddd9dd780a"
    # The duplicate is not analysed again: its entities would double every count downstream.
    assert set(output.tables["entities"]["article_id"].to_pylist()) == {"5746d6ddd9dd780a"}


def test_a_redelivered_article_is_accounted_in_quarantine_not_landed_twice(
    tmp_path: Path, seed_event_bytes: bytes, validator  # type: ignore[no-untyped-def]
) -> None:
    from newsflow.lake import read_table
    from newsflow.pipeline import dedup_index_from

    first = Batch(records_from_values([seed_event_bytes], topic="news"))
    land_batch(tmp_path, process_batch(first, dedup_index_from(tmp_path), validator).tables, first)
    # A later run (a fresh index from the lake) receives the same event at the next offset.
    again = Batch(records_from_values([seed_event_bytes], topic="news", start_offset=1))
    land_batch(tmp_path, process_batch(again, dedup_index_from(tmp_path), validator).tables, again)
    result = account(tmp_path)
    assert result.doubled() == [] and result.missing({("news", 0): 2}) == []
    assert read_table(tmp_path, "articles", columns=["article_id"]).num_rows == 1
    reasons = read_table(tmp_path, "quarantine", columns=["reason"])["reason"].to_pylist()
    assert len(reasons) == 1 and reasons[0].startswith("redelivery: article ")


def test_check_counts_places_and_finds_doubles_in_arrow(tmp_path: Path) -> None:
    from deltalake import write_deltalake

    from newsflow.accounting import check_offsets
    from newsflow.lake import read_table
    from newsflow.schemas import to_table

    batch = Batch(records_from_values([b"{bad", b"{bad"], topic="news"))
    rows = [{"kafka_topic": "news", "kafka_partition": 0, "kafka_offset": r.offset, "error_kind": "e", "error": "e",
             "dead_lettered_at": 0, "pipeline_version": "t"} for r in batch.records]
    land_batch(tmp_path, {"dead_letters": to_table("dead_letters", rows)}, batch)
    result = check_offsets(tmp_path, 0)
    assert (result.articles, result.quarantined, result.dead_letters, result.doubled) == (0, 0, 2, [])
    # Written past the sink (as a second group would have), offset 1 is there twice.
    copy = read_table(tmp_path, "dead_letters").slice(1, 1)
    write_deltalake(str(tmp_path / "dead_letters"), copy, mode="append", partition_by=["ingest_date"])
    assert check_offsets(tmp_path, 0).doubled == [("news", 0, 1)]
