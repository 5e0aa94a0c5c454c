"""Maintenance flow: compact closed days, checkpoint, vacuum, retention (newsflow/maintain.py)."""

from __future__ import annotations

import os
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact

from newsflow.maintain import DEFAULT_VACUUM_RETENTION_HOURS, maintain, retention_days_from_env


@flow(name="newsflow-maintain", log_prints=True)
def maintain_lake(
    output_dir: str | None = None,
    retention_days: int | None = None,
    vacuum_retention_hours: int = DEFAULT_VACUUM_RETENTION_HOURS,
) -> list[dict[str, Any]]:
    """Maintain every table of the lake; safe to run while an ingest is landing."""
    output = output_dir or os.environ.get("NEWSFLOW_OUTPUT", "output")
    days = retention_days if retention_days is not None else retention_days_from_env()
    reports = maintain(output, retention_days=days, vacuum_retention_hours=vacuum_retention_hours)
    logger = get_run_logger()
    for report in reports:
        logger.info(report.summary())
    rows = [{"table": r.table, "files_before": r.files_before, "files_after": r.files_after,
             "days_compacted": len(r.days_compacted), "rows_deleted": r.rows_deleted,
             "files_vacuumed": r.files_vacuumed, "version": r.version} for r in reports]
    create_table_artifact(key="newsflow-maintain", table=rows, description=f"Maintenance of {output}")
    return rows


if __name__ == "__main__":
    maintain_lake()
