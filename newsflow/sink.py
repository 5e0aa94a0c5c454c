"""Landing tables as Parquet, exactly once: deterministic names, temp file + rename, fsync."""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from newsflow.events import ingest_date_of
from newsflow.schemas import TABLES, empty_table
from newsflow.source import Batch, RawRecord

_FILE_RE = re.compile(r"^(?P<topic>.+)-p(?P<partition>\d+)-o(?P<offset>\d+)\.parquet$")
LOCK_DIR = "_locks"
# How long landing waits for another process's lock on a partition before failing the run: the
# holder is normally landing one batch (seconds); much longer means it is stopped or hung.
LOCK_WAIT_S = 300.0


def chunk_file_name(topic: str, partition: int, first_offset: int) -> str:
    """The file a partition's slice of a batch lands in; a replay of the slice gets the same name."""
    return f"{topic}-p{partition:04d}-o{first_offset:020d}.parquet"


def ingest_date(record: RawRecord) -> str:
    """The Hive partition of a chunk: the UTC date of its first record's Kafka timestamp.

    Derived from the record rather than the clock, so a replay on another day lands in the same
    folder and overwrites instead of duplicating.
    """
    return ingest_date_of(record.timestamp_ms)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(table: pa.Table, path: Path) -> None:
    """Write Parquet to a temp name in the same folder, fsync, then rename over the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@dataclass(frozen=True)
class LandedFile:
    table: str
    path: Path
    rows: int


def _stale_files(table_dir: Path, first: RawRecord, dates: list[str]) -> Iterable[Path]:
    """Files of this partition starting at or after the slice's first offset.

    We always resume a partition at its committed offset, so such files were written by an attempt
    that never committed (a crash, a lost rebalance); their rows are about to be landed again. Only
    files starting inside this slice can overlap it, and each of those sits in the date folder of
    the record it starts at, so only the slice's `dates` are searched, however long the history.
    """
    prefix = f"{first.topic}-p{first.partition:04d}-o"
    for date in dates:
        for path in (table_dir / f"ingest_date={date}").glob(f"{prefix}*.parquet"):
            match = _FILE_RE.match(path.name)
            if match and int(match["offset"]) >= first.offset:
                yield path


def land_batch(output_dir: Path, tables: dict[str, pa.Table], batch: Batch) -> list[LandedFile]:
    """Write each table's rows of each partition slice of the batch; returns what was written."""
    landed: list[LandedFile] = []
    for (topic, partition), records in batch.by_partition().items():
        first = records[0]
        name = chunk_file_name(topic, partition, first.offset)
        date_dir = f"ingest_date={ingest_date(first)}"
        dates = sorted({ingest_date(r) for r in records})  # the same for every table
        for table_name, table in tables.items():
            table_dir = output_dir / table_name
            for stale in _stale_files(table_dir, first, dates):
                stale.unlink(missing_ok=True)
            mask = pc.and_(
                pc.equal(table["kafka_topic"], topic), pc.equal(table["kafka_partition"], partition)
            )
            part = table.filter(mask)
            if part.num_rows == 0:
                continue
            path = table_dir / date_dir / name
            write_atomically(part.cast(TABLES[table_name]), path)
            landed.append(LandedFile(table_name, path, part.num_rows))
    return landed


class PartitionLockTimeout(TimeoutError):
    """Another process held a partition's lock for longer than LOCK_WAIT_S."""


def _holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "another process"


@contextmanager
def partition_locks(
    output_dir: Path, batch: Batch, wait_s: float = LOCK_WAIT_S, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on each of the batch's partitions in this output folder.

    Fencing, landing and committing a batch happen under these locks, so a consumer that lost its
    partitions while it was paused cannot rename files over the new owner's: either it lands
    before the new owner takes the lock (whose landing then replaces those files), or it checks
    its membership after and finds it gone. Locks are taken in sorted order, so two consumers
    never wait on each other crosswise, and the OS releases them if the holder dies. Local
    filesystems only (flock). on_wait is told once per lock that has to be waited for."""
    lock_dir = output_dir / LOCK_DIR
    lock_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as held:
        for topic, partition in sorted(batch.by_partition()):
            path = lock_dir / f"{topic}-p{partition:04d}.lock"
            handle = held.enter_context(open(path, "a+"))  # noqa: SIM115 (closed by the stack)
            deadline, told = time.monotonic() + wait_s, False
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if on_wait is not None and not told:
                        on_wait(f"waiting for {path} (held by {_holder(handle)})")
                        told = True
                    if time.monotonic() > deadline:
                        raise PartitionLockTimeout(
                            f"{path} has been held by {_holder(handle)} for over {wait_s:.0f} s; "
                            "is another ingest stopped while landing?"
                        ) from None
                    time.sleep(0.2)
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}\n")
            handle.flush()
        yield


def read_table(output_dir: Path, name: str) -> pa.Table:
    """Read a landed table (all partitions); an empty table of the right schema if nothing landed."""
    table_dir = Path(output_dir) / name
    files = sorted(str(p) for p in table_dir.glob("*/*.parquet")) if table_dir.exists() else []
    if not files:
        return empty_table(name)
    dataset = ds.dataset(files, schema=TABLES[name], format="parquet")
    return dataset.to_table()
