"""The lake: every table is a Delta Lake table (delta-rs) at `<output>/<table>`, read through its log.

Writing lives in newsflow/sink.py; this module knows where tables are, what their schemas are in
the lake, who may write them, and how to read them (Arrow, DuckDB) without listing Parquet files:
a Delta table's folder also holds files that compaction has replaced, so only the log says which
files are the table.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from newsflow.schemas import TABLES
from newsflow.source import LAST_TABLE_TIMESTAMP_MS  # Python dates end at 9999-12-31

if TYPE_CHECKING:
    from deltalake import DeltaTable

# Every table is partitioned by the UTC date of each row's Kafka record timestamp: derived from
# the record, not the clock, so a batch redone on another day lands in the same partition.
PARTITION_COLUMN = "ingest_date"
PARTITION_FIELD = pa.field(PARTITION_COLUMN, pa.date32())
# Which incarnation of the topic's log a row's offsets belong to: 0, then one more each time the
# topic is found recreated and ingest is told to continue (--new-epoch). A row's place in Kafka is
# (kafka_topic, kafka_epoch, kafka_partition, kafka_offset).
EPOCH_COLUMN = "kafka_epoch"
EPOCH_FIELD = pa.field(EPOCH_COLUMN, pa.int32(), nullable=False)
# Table properties: the consumer group that writes the table (set when it is created), and per
# topic the id of the log landed from and its epoch.
WRITER_GROUP_PROPERTY = "newsflow.writer.group"
DEDUP_WINDOW_DAYS = 30


def _writer_properties() -> Any:
    from deltalake import WriterProperties

    return WriterProperties(compression="ZSTD")


# Data files are zstd-compressed Parquet, as newsflow's files were before the lake (delta-rs
# defaults to snappy, which compresses article text less).
WRITER_PROPERTIES = _writer_properties()


class LakeError(RuntimeError):
    """A user-facing problem with the lake (printed without a traceback by the CLI)."""


class SchemaChangeError(LakeError):
    """A table's schema in the lake cannot take the rows of this version without breaking it."""


class WriterGroupError(LakeError):
    """The tables are written by another consumer group: both would land every record."""


_URI = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]+):/+(?P<rest>.*)$")


def lake_root(output: str | os.PathLike[str]) -> str:
    """The lake's root as delta-rs wants it: an absolute local path, or a URI (s3://bucket/prefix).

    Settings hold the output as a Path, which collapses a URI's "//" ("s3:/bucket/prefix"): the
    scheme is recognised either way."""
    text = str(output)
    match = _URI.match(text)
    if match and len(match["scheme"]) > 1:  # not a Windows drive letter
        return f"{match['scheme']}://{match['rest']}".rstrip("/")
    return str(Path(text).resolve())


def is_object_store(output: str | os.PathLike[str]) -> bool:
    return not lake_root(output).startswith(("/", "file://"))


def local_root(output: str | os.PathLike[str]) -> Path:
    """Where files beside the lake go that are not tables (GX Data Docs, the HTML report): the
    output folder itself, or for a lake on object storage NEWSFLOW_DOCS_DIR (default: here)."""
    if is_object_store(output):
        return Path(os.environ.get("NEWSFLOW_DOCS_DIR", "."))
    return Path(output)


def table_uri(output: str | os.PathLike[str], name: str) -> str:
    return f"{lake_root(output)}/{name}"


def storage_options(output: str | os.PathLike[str]) -> dict[str, str] | None:
    """Options for delta-rs's object store. Credentials and endpoint come from the usual AWS_*
    variables, which delta-rs reads itself; only what differs from AWS proper is added here
    (never logged: they may hold secrets)."""
    if not lake_root(output).startswith(("s3://", "s3a://")):
        return None
    options: dict[str, str] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["AWS_ENDPOINT_URL"] = endpoint
        if endpoint.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
    return options or None


def log_id_property(topic: str) -> str:
    return f"newsflow.log.{topic}.id"


def log_epoch_property(topic: str) -> str:
    return f"newsflow.log.{topic}.epoch"


def lake_schema(name: str) -> pa.Schema:
    """A table's schema in the lake: its schema from newsflow.schemas, the log's epoch and the
    partition column."""
    return TABLES[name].append(EPOCH_FIELD).append(PARTITION_FIELD)


def ingest_dates(timestamps_ms: Sequence[int | None]) -> pa.Array:
    """The partition value of each Kafka timestamp: its UTC date, or null when the record has no
    usable timestamp (missing, -1, before 1970, or past year 9999, which dates cannot hold)."""
    days = [
        ms // 86_400_000 if ms is not None and 0 <= ms <= LAST_TABLE_TIMESTAMP_MS else None
        for ms in timestamps_ms
    ]
    return pa.array(days, pa.int32()).cast(pa.date32())


def app_id(group: str, topic: str, partition: int, epoch: int = 0) -> str:
    """The Delta transaction identifier of one Kafka partition (of one epoch of its topic's log)
    as consumed by one group."""
    return f"newsflow:{group}:{topic}:{epoch}:{partition}"


def open_table(output: str | os.PathLike[str], name: str) -> DeltaTable | None:
    """The Delta table `name` under output, or None if it has not been created yet."""
    from deltalake import DeltaTable

    uri, options = table_uri(output, name), storage_options(output)
    if not DeltaTable.is_deltatable(uri, storage_options=options):
        return None
    return DeltaTable(uri, storage_options=options)


def writer_group(table: DeltaTable) -> str | None:
    return table.metadata().configuration.get(WRITER_GROUP_PROPERTY)


def check_writer_group(table: DeltaTable, name: str, group: str) -> None:
    owner = writer_group(table)
    if owner is not None and owner != group:
        raise WriterGroupError(
            f"table {name} at {table.table_uri} is written by consumer group {owner!r}, not {group!r}: "
            "two groups landing into the same tables would each land every record. Use the group "
            f"that owns them (--group {owner} / NEWSFLOW_GROUP) or another --output."
        )


def check_tables(output: str | os.PathLike[str], group: str) -> None:
    """Fail before the first batch if an existing table belongs to another consumer group, or
    cannot take this version's rows (SchemaChangeError)."""
    for name in TABLES:
        table = open_table(output, name)
        if table is not None:
            check_writer_group(table, name, group)
            schema_mode(table_schema(table), delta_schema(lake_schema(name)), name)


def table_schema(table: DeltaTable) -> pa.Schema:
    """A Delta table's schema, as Arrow."""
    return pa.schema(table.schema().to_arrow())


def schema_mode(existing: pa.Schema, wanted: pa.Schema, name: str) -> Literal["merge"] | None:
    """How rows of schema `wanted` may be appended to a table of schema `existing` (both as Delta
    stores them): None when they match, "merge" when columns were added or dropped that are
    nullable (old rows read them as null; new rows write null). Anything else would break the
    table's readers or its earlier rows, and raises SchemaChangeError."""
    problems: list[str] = []
    merge = False
    for old in existing:
        if old.name not in wanted.names:
            if old.nullable:
                merge = True
            else:
                problems.append(f"required column {old.name!r} is no longer written")
            continue
        new = wanted.field(old.name)
        if new.type != old.type:
            problems.append(f"column {old.name!r} is {old.type} in the table but {new.type} now")
        elif new.nullable and not old.nullable:
            problems.append(f"column {old.name!r} is required in the table but nullable now")
    for new in wanted:
        if new.name not in existing.names:
            if new.nullable:
                merge = True
            else:
                problems.append(f"new column {new.name!r} is required, but the table's earlier rows lack it")
    if problems:
        raise SchemaChangeError(
            f"table {name}: this version's schema cannot be added to the existing table without breaking it: "
            + "; ".join(problems)
            + ". Write this version to a new --output, or migrate the table first."
        )
    return "merge" if merge else None


def delta_schema(schema: pa.Schema) -> pa.Schema:
    """An Arrow schema as Delta stores it (timestamps in microseconds, and so on)."""
    from deltalake import Schema

    return pa.schema(Schema.from_arrow(schema).to_arrow())


def _read_schema(name: str, columns: Sequence[str] | None) -> pa.Schema:
    schema = lake_schema(name)
    if columns is None:
        return schema
    return pa.schema([schema.field(c) for c in columns])


def data_files(table: DeltaTable, since: dt.date | None = None, pruning: Any = None) -> Any:
    """A pyarrow dataset of the table's current files (those of partitions on or after `since`),
    without the partition column. DeltaTable.to_pyarrow_dataset builds a fragment with partition
    and statistics expressions per file, which measured about 5 ms a file, 1.9 s for a year of
    daily files; the log's file list costs milliseconds, and readers that do not need
    ingest_date (the dedup index, check) read the files directly. `pruning` is another
    file-pruning predicate of delta-rs (SQL over partition columns), used instead of `since`."""
    import pyarrow.dataset as ds

    if pruning is None and since is not None:
        pruning = [(PARTITION_COLUMN, ">=", since.isoformat())]
    schema = pa.schema([f for f in table_schema(table) if f.name != PARTITION_COLUMN])
    files = table.file_uris(file_pruning_predicate=pruning)
    root = table.table_uri.rstrip("/")
    if not is_object_store(root):
        return ds.dataset(files, format="parquet", schema=schema)
    # On object storage through delta-rs's own store (the same endpoint and credentials as the log).
    import pyarrow.fs as pa_fs
    from deltalake.fs import DeltaStorageHandler

    filesystem = pa_fs.PyFileSystem(DeltaStorageHandler(root, storage_options(root)))
    relative = [f[len(root) + 1:] if f.startswith(root + "/") else f for f in files]
    return ds.dataset(relative, format="parquet", schema=schema, filesystem=filesystem)


def read_table(
    output: str | os.PathLike[str],
    name: str,
    columns: Sequence[str] | None = None,
    since: dt.date | None = None,
) -> pa.Table:
    """Read a table's current version through its log, as its newsflow schema.

    Only `columns` are read (all by default); `since` keeps only partitions on or after that
    date (files of other partitions are not opened). An empty table of the right schema if the
    table does not exist yet."""
    schema = _read_schema(name, columns)
    table = open_table(output, name)
    if table is None:
        return schema.empty_table()
    if PARTITION_COLUMN in schema.names:
        dataset = table.to_pyarrow_dataset(
            file_pruning_predicate=[(PARTITION_COLUMN, ">=", since.isoformat())] if since else None
        )
    else:
        dataset = data_files(table, since)
    data = dataset.to_table(columns=list(schema.names))
    return data.cast(schema)


def offsets_landed(
    output: str | os.PathLike[str], name: str, *, epoch: int | None = None, table_name: str | None = None
) -> pa.Table:
    """Only the Kafka coordinates of a table's rows (of one epoch, and for quarantine of one
    table_name, if given), streamed batch by batch: the whole table is never held."""
    import pyarrow.dataset as ds

    columns = ["kafka_topic", EPOCH_COLUMN, "kafka_partition", "kafka_offset"]
    table = open_table(output, name)
    if table is None:
        return _read_schema(name, columns).empty_table()
    dataset = data_files(table)
    conditions = []
    if epoch is not None:
        conditions.append(ds.field(EPOCH_COLUMN) == epoch)
    if table_name is not None:
        conditions.append(ds.field("table_name") == table_name)
    condition = None
    for c in conditions:
        condition = c if condition is None else condition & c
    batches = dataset.to_batches(columns=columns, filter=condition)
    schema = pa.schema([dataset.schema.field(c) for c in columns])
    return pa.Table.from_batches(batches, schema=schema).cast(_read_schema(name, columns))


ACCOUNTING_TABLES = ("articles", "quarantine", "dead_letters")


def epochs_landed(output: str | os.PathLike[str], names: Iterable[str] = ACCOUNTING_TABLES) -> list[int]:
    """The epochs of the topics' logs that rows were landed from."""
    found: set[int] = set()
    for name in names:
        table = open_table(output, name)
        if table is not None:
            column = data_files(table).to_table(columns=[EPOCH_COLUMN])[EPOCH_COLUMN]
            found.update(pc.unique(column).to_pylist())
    return sorted(found)


DEDUP_COLUMNS = ["article_id", "content_hash", "simhash", "duplicate_of", "kafka_timestamp",
                 "kafka_topic", "kafka_partition", "kafka_offset"]


def dedup_batches(
    output: str | os.PathLike[str], window_days: int, today: dt.date | None = None,
    articles: DeltaTable | None = None,
) -> Iterator[pa.RecordBatch]:
    """The fingerprint columns of the articles of the last `window_days` days, for the dedup
    index, one file's batches at a time: start-up reads neither bodies nor the whole history,
    and never holds the whole window as Arrow and Python objects at once. `articles`: the table,
    if the caller has it open (the sink's), so that its log is not read into memory twice.

    Each file is read with its own ParquetFile rather than through a dataset scan: reading the 155
    files of the 30-day window of benchmarks/lake.py's 1M-article history raised RSS by 20-30 MB
    through a scan, by 6-10 MB file by file."""
    import pyarrow.parquet as pq

    table = articles if articles is not None else open_table(output, "articles")
    if table is None:
        return
    since = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=window_days)
    schema = _read_schema("articles", DEDUP_COLUMNS)
    files = data_files(table, since)
    del table, articles  # a log opened here is not needed while the files are read
    for fragment in files.get_fragments():
        with pq.ParquetFile(fragment.path, filesystem=files.filesystem) as parquet:
            # A file written before a column existed has none: nulls, as a dataset scan gives.
            present = set(parquet.schema_arrow.names)
            for batch in parquet.iter_batches(columns=[c for c in DEDUP_COLUMNS if c in present], use_threads=False):
                yield pa.RecordBatch.from_arrays([
                    batch.column(c).cast(f.type) if c in present else pa.nulls(batch.num_rows, f.type)
                    for c, f in zip(DEDUP_COLUMNS, schema, strict=True)
                ], schema=schema)


def files_outside_log(output: str | os.PathLike[str], names: Iterable[str] = TABLES) -> list[Path]:
    """Files in a local lake's table folders that the tables' logs do not reference: data files
    that compaction replaced (until `maintain` vacuums them), files of a commit that failed, or
    foreign files (a 0-byte `.parquet`, an editor's backup). Every reader goes through the log and
    skips them; `newsflow check` names them. Not listed for object storage (a full listing)."""
    if is_object_store(output):
        return []
    outside: list[Path] = []
    for name in names:
        table = open_table(output, name)
        folder = Path(output) / name
        if table is None or not folder.is_dir():
            continue
        referenced = {Path(uri.removeprefix("file://")).resolve() for uri in table.file_uris()}
        for path in folder.rglob("*"):
            if path.is_file() and "_delta_log" not in path.relative_to(folder).parts \
                    and path.resolve() not in referenced:
                outside.append(path)
    return sorted(outside)


def dedup_rows(output: str | os.PathLike[str], window_days: int, today: dt.date | None = None) -> pa.Table:
    """dedup_batches() as one table."""
    return pa.Table.from_batches(list(dedup_batches(output, window_days, today)),
                                 schema=_read_schema("articles", DEDUP_COLUMNS))


def dedup_window_days() -> int:
    raw = os.environ.get("NEWSFLOW_DEDUP_WINDOW_DAYS", "")
    try:
        return int(raw) if raw else DEDUP_WINDOW_DAYS
    except ValueError as exc:
        raise ValueError(f"NEWSFLOW_DEDUP_WINDOW_DAYS must be an integer, got {raw!r}") from exc


def register_tables(con: Any, output: str | os.PathLike[str], names: Iterable[str] = TABLES) -> Any:
    """Make every table a DuckDB view of its current Delta version (deltalake -> Arrow dataset ->
    DuckDB, which pushes projections and filters down); an empty view of the right columns for a
    table that does not exist yet. Returns the connection."""
    for name in names:
        table = open_table(output, name)
        source = table.to_pyarrow_dataset() if table is not None else lake_schema(name).empty_table()
        con.register(f"{name}__delta", source)
        con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM "{name}__delta"')
    return con
