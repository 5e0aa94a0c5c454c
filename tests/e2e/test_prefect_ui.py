"""A user's view: `newsflow serve` against `prefect server start`, one deployment run, the UI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import wait_for_text
from tests.e2e.test_readme_commands import readme_block
from tests.integration.kafka_helpers import ROOT, produce

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.slow]


async def _run_then_cancel(deployment: str, timeout_s: float = 180) -> str:
    """Wait for the deployment's run to be RUNNING, cancel it, return its final state type."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.states import Cancelling

    async with get_client() as client:
        target = await client.read_deployment_by_name(deployment)
        deadline = time.monotonic() + timeout_s
        run = None
        while time.monotonic() < deadline:
            runs = await client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[target.id])))
            run = runs[0] if runs else None
            if run is not None and run.state is not None and run.state.is_running():
                break
            await asyncio.sleep(1)
        assert run is not None and run.state is not None and run.state.is_running(), run
        await client.set_flow_run_state(run.id, Cancelling())
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                return run.state.type.value
            await asyncio.sleep(1)
        return run.state.type.value if run.state else "NONE"


def test_scheduled_deployment_run_and_artifact_show_in_the_ui(
    prefect_server: str, broker: str, browser, artifacts_dir: Path, tmp_path: Path, seed_event_bytes: bytes  # type: ignore[no-untyped-def]
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    topic = "news.e2e"
    produce(broker, topic, [seed_event_bytes, b"{broken json"])
    output = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "KAFKA_BOOTSTRAP_SERVERS": broker,
           "NEWSFLOW_TOPIC": topic, "NEWSFLOW_OUTPUT": str(output), "NEWSFLOW_BATCH_WAIT_S": "2"}
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "newsflow.cli", "serve", "--interval-minutes", "600"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server}):
            deadline = time.monotonic() + 120
            run = None
            while run is None and time.monotonic() < deadline:
                try:
                    run = run_deployment("newsflow-ingest/drain-scheduled", timeout=300)
                except Exception:  # the deployment is not registered yet
                    assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
                    time.sleep(2)
            assert run is not None and run.state is not None
            assert run.state.is_completed(), (tmp_path / "serve.log").read_text()[-3000:]

            async def artifacts() -> dict[str, object]:
                async with get_client() as client:
                    found = await client.read_artifacts(
                        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
                    )
                    return {a.key: a for a in found}

            by_key = asyncio.run(artifacts())

            # The README's way to start the (paused) stream deployment, as written; then a cancel
            # from the UI's side: the served run stops and is not left running or crashed.
            start_stream = readme_block("Scheduled and streaming deployments")[-1]
            assert start_stream == "prefect deployment run newsflow-ingest/stream"
            bin_dir = tmp_path / "bin"
            bin_dir.mkdir()
            (bin_dir / "prefect").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m prefect "$@"\n')
            (bin_dir / "prefect").chmod(0o755)
            started = subprocess.run(["bash", "-c", start_stream], env={**env, "PATH": f"{bin_dir}:{env['PATH']}"},
                                     capture_output=True, text=True, timeout=120)
            assert started.returncode == 0, started.stdout + started.stderr
            stream_state = asyncio.run(_run_then_cancel("newsflow-ingest/stream"))
            assert stream_state in {"CANCELLED", "COMPLETED"}, stream_state
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert {"newsflow-ingest-counts", "newsflow-ingest-report"} <= set(by_key)
    assert len(list((output / "data_docs").glob("*/index.html"))) == 1  # this run's own Data Docs

    ui = prefect_server.removesuffix("/api")
    browser.get(f"{ui}/runs/flow-run/{run.id}")
    text = wait_for_text(browser, [run.name, "Completed", "drain-scheduled"])
    browser.save_screenshot(str(artifacts_dir / "prefect-flow-run.png"))
    assert run.name in text and "Completed" in text and "drain-scheduled" in text

    report = by_key["newsflow-ingest-report"]
    browser.get(f"{ui}/artifacts/artifact/{report.id}")  # type: ignore[attr-defined]
    text = wait_for_text(browser, ["Quarantine reasons", "malformed_json"])
    browser.save_screenshot(str(artifacts_dir / "prefect-artifact.png"))
    assert "Quarantine reasons" in text and "malformed_json" in text
