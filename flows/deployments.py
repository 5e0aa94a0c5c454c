"""Deployments: a scheduled drain run and a long-running stream run of the ingest flow, and the
lake's daily maintenance."""

from __future__ import annotations

import datetime as dt
from typing import cast

from prefect import serve
from prefect.deployments.runner import RunnerDeployment

from newsflow.flows.ingest import ingest
from newsflow.flows.maintain import maintain_lake

DRAIN = "drain-scheduled"
STREAM = "stream"
MAINTAIN = "maintain-daily"


def build(interval_minutes: float = 5.0, stream_paused: bool = True) -> tuple[RunnerDeployment, ...]:
    """The deployments. Streaming starts paused: it runs until stopped, so a user starts it
    on purpose (`prefect deployment run newsflow-ingest/stream`) rather than on every serve.
    Maintenance runs daily, beside either (it commutes with ingest's commits)."""
    drain = ingest.to_deployment(
        name=DRAIN,
        interval=dt.timedelta(minutes=interval_minutes),
        parameters={"mode": "drain"},
        description="Consume everything new on the topic, land it, stop. Runs on an interval.",
        tags=["newsflow", "drain"],
    )
    stream = ingest.to_deployment(
        name=STREAM,
        parameters={"mode": "stream"},
        description="Consume continuously until the run is cancelled (SIGTERM finishes the batch in hand).",
        tags=["newsflow", "stream"],
        paused=stream_paused,
    )
    maintenance = maintain_lake.to_deployment(
        name=MAINTAIN,
        interval=dt.timedelta(days=1),
        description="Compact each closed day's small files, checkpoint the logs, vacuum, apply retention.",
        tags=["newsflow", "maintain"],
    )
    # to_deployment is sync here (no running event loop); the cast tells mypy so.
    return cast(RunnerDeployment, drain), cast(RunnerDeployment, stream), cast(RunnerDeployment, maintenance)


def serve_deployments(interval_minutes: float = 5.0, limit: int | None = None) -> None:
    """Register the deployments with the Prefect API and execute their runs in this process."""
    serve(*build(interval_minutes), limit=limit)
