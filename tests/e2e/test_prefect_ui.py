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
from tests.integration.kafka_helpers import ROOT, produce

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.slow]


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
