"""`newsflow maintain`: keep the lake's tables cheap to read for as long as it runs.

Every landed batch adds one small file per table per ingest_date it touches. Per table, maintain:
1. deletes rows older than NEWSFLOW_RETENTION_DAYS, if set (whole ingest_date partitions);
2. compacts each closed day (an ingest_date before today, UTC) that holds more than one file into
   one (delta-rs optimize; a compaction commit rewrites files but adds or removes no row, so it
   commutes with ingest's appends, which can run at the same time);
3. writes a checkpoint of the log, so opening the table reads one Parquet file, not every commit;
4. vacuums: removes files no version younger than the retention period refers to (those the
   compaction replaced). The retention must cover the longest reader and any write in flight: a
   file being written by a running ingest is unreferenced until its commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from deltalake.exceptions import CommitFailedError

from newsflow.lake import PARTITION_COLUMN, WRITER_PROPERTIES, open_table
from newsflow.schemas import TABLES

if TYPE_CHECKING:
    from deltalake import DeltaTable

log = logging.getLogger(__name__)
# A week of versions stays readable (time travel, readers that opened an older version), and a
# running ingest's files in flight are never that old.
DEFAULT_VACUUM_RETENTION_HOURS = 168
MIN_VACUUM_RETENTION_HOURS = 1


@dataclass
class TableMaintenance:
    """What maintain did to one table."""

    table: str
    files_before: int = 0
    files_after: int = 0
    days_compacted: list[str] = field(default_factory=list)
    rows_deleted: int = 0
    files_vacuumed: int = 0
    version: int | None = None

    def summary(self) -> str:
        return (f"{self.table:<13} files {self.files_before:>6} -> {self.files_after:<6} "
                f"days compacted {len(self.days_compacted):>4}  rows deleted {self.rows_deleted:>7}  "
                f"files vacuumed {self.files_vacuumed:>6}  version {self.version}")


def files_per_day(table: DeltaTable) -> Counter[str | None]:
    """Number of data files of the table's current version per ingest_date (None: the null partition)."""
    actions = table.get_add_actions(flatten=True)
    import pyarrow as pa

    actions = pa.table(actions)
    column = f"partition.{PARTITION_COLUMN}"
    if column not in actions.column_names:
        return Counter()
    return Counter(None if d is None else str(d) for d in actions[column].to_pylist())


def retention_days_from_env() -> int | None:
    raw = os.environ.get("NEWSFLOW_RETENTION_DAYS", "")
    if not raw:
        return None
    try:
        days = int(raw)
    except ValueError as exc:
        raise ValueError(f"NEWSFLOW_RETENTION_DAYS must be a whole number of days, got {raw!r}") from exc
    if days < 1:
        raise ValueError(f"NEWSFLOW_RETENTION_DAYS must be at least 1, got {days}")
    return days


def maintain_table(
    table: DeltaTable,
    name: str,
    *,
    today: dt.date,
    retention_days: int | None = None,
    vacuum_retention_hours: int = DEFAULT_VACUUM_RETENTION_HOURS,
) -> TableMaintenance:
    report = TableMaintenance(name)
    report.files_before = sum(files_per_day(table).values())
    if retention_days is not None:
        cutoff = today - dt.timedelta(days=retention_days)
        metrics: dict[str, Any] = table.delete(f"{PARTITION_COLUMN} < '{cutoff.isoformat()}'")
        report.rows_deleted = int(metrics.get("num_deleted_rows") or 0)
    for day, files in sorted(files_per_day(table).items(), key=lambda item: str(item[0])):
        if files > 1 and day is not None and day < today.isoformat():
            try:
                table.optimize.compact(partition_filters=[(PARTITION_COLUMN, "=", day)],
                                       writer_properties=WRITER_PROPERTIES)
            except CommitFailedError as exc:  # a concurrent commit conflicted; the next run compacts it
                log.warning("%s %s: compaction not committed (%s); left for the next run", name, day, exc)
                table.update_incremental()
                continue
            report.days_compacted.append(day)
    table.create_checkpoint()
    vacuumed = table.vacuum(retention_hours=vacuum_retention_hours, dry_run=False,
                            enforce_retention_duration=False)
    report.files_vacuumed = len(vacuumed)
    table.cleanup_metadata()  # log files older than the table's log retention (30 days by default)
    report.files_after = sum(files_per_day(table).values())
    report.version = table.version()
    return report


def maintain(
    output: str | os.PathLike[str],
    *,
    today: dt.date | None = None,
    retention_days: int | None = None,
    vacuum_retention_hours: int = DEFAULT_VACUUM_RETENTION_HOURS,
) -> list[TableMaintenance]:
    """Maintain every table of the lake under output; returns what was done per table."""
    today = today or dt.datetime.now(dt.UTC).date()
    reports = []
    for name in TABLES:
        table = open_table(output, name)
        if table is None:
            continue
        report = maintain_table(table, name, today=today, retention_days=retention_days,
                                vacuum_retention_hours=vacuum_retention_hours)
        log.info("%s", report.summary())
        reports.append(report)
    return reports
