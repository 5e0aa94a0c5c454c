"""Reading the lake through the Delta log: tables, windows, fingerprints, DuckDB views."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from newsflow.lake import (
    SchemaChangeError,
    dedup_rows,
    delta_schema,
    ingest_dates,
    is_object_store,
    lake_root,
    read_table,
    register_tables,
    schema_mode,
)
from newsflow.schemas import TABLES, to_table
from newsflow.sink import land_batch
from newsflow.source import Batch, RawRecord

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def _articles(days_ago: list[int]) -> tuple[dict[str, pa.Table], Batch]:
    records, rows = [], []
    for offset, days in enumerate(days_ago):
        ts = int((NOW - dt.timedelta(days=days)).timestamp() * 1000)
        records.append(RawRecord("news", 0, offset, ts, None, b"x"))
        rows.append({"article_id": f"a{offset}", "ingested_at": NOW, "body_chars": 1, "word_count": 1,
                     "body": "x" * 1000, "content_hash": f"h{offset}", "simhash": offset, "kafka_timestamp": ts,
                     "duplicate_of": "a0" if offset == 3 else None, "kafka_topic": "news",
                     "kafka_partition": 0, "kafka_offset": offset, "pipeline_version": "t"})
    return {"articles": to_table("articles", rows)}, Batch(records)


def test_ingest_dates_of_usable_and_unusable_timestamps() -> None:
    assert ingest_dates([0, 1_638_792_000_000, None, -1, 253_402_300_800_000]).to_pylist() == [
        dt.date(1970, 1, 1), dt.date(2021, 12, 6), None, None, None]


def test_lake_root_keeps_uris_and_resolves_paths(tmp_path: Path) -> None:
    assert lake_root("s3://bucket/prefix/") == "s3://bucket/prefix"
    assert lake_root(Path("s3://bucket/prefix")) == "s3://bucket/prefix"  # what a Path makes of it
    assert is_object_store("s3://bucket/prefix") and not is_object_store(tmp_path)
    assert lake_root(tmp_path / "out") == str((tmp_path / "out").resolve())


def test_reading_a_table_not_created_yet_gives_its_schema(tmp_path: Path) -> None:
    table = read_table(tmp_path, "articles")
    assert table.num_rows == 0 and table.schema.names[:2] == ["article_id", "url"]
    assert table.schema.names[-1] == "ingest_date"


def test_tables_read_back_with_their_newsflow_types(tmp_path: Path) -> None:
    tables, batch = _articles([0, 1])
    land_batch(tmp_path, tables, batch)
    table = read_table(tmp_path, "articles")
    # Delta stores timestamps in microseconds; readers get the schema of newsflow.schemas back.
    assert table.schema.field("kafka_timestamp").type == TABLES["articles"].field("kafka_timestamp").type
    assert sorted(table["article_id"].to_pylist()) == ["a0", "a1"]


def test_dedup_rows_read_fingerprints_of_the_window_only(tmp_path: Path) -> None:
    tables, batch = _articles([0, 5, 40, 2])  # a2 is older than the window
    land_batch(tmp_path, tables, batch)
    rows = dedup_rows(tmp_path, window_days=30, today=NOW.date())
    assert sorted(rows["article_id"].to_pylist()) == ["a0", "a1", "a3"]
    assert "body" not in rows.schema.names and "original_body" not in rows.schema.names
    assert "a2" in dedup_rows(tmp_path, window_days=60, today=NOW.date())["article_id"].to_pylist()


def test_duckdb_views_read_every_table_through_its_log(tmp_path: Path) -> None:
    tables, batch = _articles([0, 1, 2])
    land_batch(tmp_path, tables, batch)
    con = register_tables(duckdb.connect(), tmp_path)
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (3,)
    assert con.execute("SELECT count(*) FROM entities").fetchone() == (0,)  # created, no rows
    assert con.execute("SELECT count(DISTINCT ingest_date) FROM articles").fetchone() == (3,)


def test_duckdb_views_of_a_lake_not_created_yet_are_empty(tmp_path: Path) -> None:
    con = register_tables(duckdb.connect(), tmp_path / "nothing")
    assert con.execute("SELECT count(*) FROM quotes").fetchone() == (0,)


def test_schema_mode_merges_nullable_columns_and_refuses_the_rest() -> None:
    base = delta_schema(pa.schema([pa.field("a", pa.int64(), nullable=False), pa.field("b", pa.string())]))
    assert schema_mode(base, base, "t") is None
    assert schema_mode(base, base.append(pa.field("c", pa.string())), "t") == "merge"
    assert schema_mode(base, base.remove(1), "t") == "merge"  # a nullable column no longer written
    with pytest.raises(SchemaChangeError, match="new column 'c' is required"):
        schema_mode(base, base.append(pa.field("c", pa.string(), nullable=False)), "t")
    with pytest.raises(SchemaChangeError, match="required column 'a' is no longer written"):
        schema_mode(base, base.remove(0), "t")
    with pytest.raises(SchemaChangeError, match="column 'b' is string in the table but int64"):
        schema_mode(base, base.set(1, pa.field("b", pa.int64())), "t")
