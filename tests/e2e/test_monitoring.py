"""Prefect-native monitoring as a user meets it: `newsflow ingest` against `prefect server start`.

Checks through the API: the run's state message, the quarantine / dead-letter / lag events, the
artifacts (report with GX results and the Data Docs path as text, counts, lag, progress), and that
an idle streaming run creates no task runs; then the run page in Chromium."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import wait_for_text
from tests.integration.kafka_helpers import ROOT, ingest_command, produce
from tests.unit.test_pipeline_accounting import mixed_events

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.slow]

STAGE_TASKS = {"clean", "extract", "enrich", "validate", "land"}


def _post(api: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(f"{api}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _events(api: str, flow_run_id: str) -> list[dict[str, Any]]:
    """newsflow.* events related to the flow run (the server persists events a moment later)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = _post(api, "/events/filter", {"filter": {"event": {"prefix": ["newsflow."]},
                                                        "related": {"id": [f"prefect.flow-run.{flow_run_id}"]}},
                                             "limit": 50})
        found = page["events"]
        if {e["event"] for e in found} >= {"newsflow.records.quarantined", "newsflow.records.dead-lettered",
                                          "newsflow.consumer.lag"}:
            break
        time.sleep(1)
    return found


def _flow_runs(api: str) -> list[dict[str, Any]]:
    return _post(api, "/flow_runs/filter", {"sort": "START_TIME_DESC", "limit": 10})


def _task_runs(api: str, flow_run_id: str) -> list[dict[str, Any]]:
    return _post(api, "/task_runs/filter", {"flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 50})


def test_state_message_events_artifacts_and_idle_stream(  # type: ignore[no-untyped-def]
    prefect_server: str, broker: str, browser, artifacts_dir: Path, tmp_path: Path, seed_event_bytes: bytes
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    topic = "news.monitoring"
    values = mixed_events(seed_event_bytes)
    produce(broker, topic, values)
    output = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "NEWSFLOW_BATCH_WAIT_S": "1", "NEWSFLOW_WORKERS": "1",
           "NEWSFLOW_ARTIFACT_EVERY_BATCHES": "1"}
    drained = subprocess.run(ingest_command(broker, topic, output, batch_records=4), cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
    assert drained.returncode == 0, drained.stdout[-3000:] + drained.stderr[-3000:]

    run = _flow_runs(prefect_server)[0]
    message = run["state"]["message"]
    assert run["state"]["type"] == "COMPLETED"
    # "N records: A articles, Q quarantined, D dead letters": the parts add up to the records read.
    counts = [int(word) for word in message.replace(",", "").split() if word.isdigit()]
    assert message.startswith(f"{len(values)} records: ") and "quarantined" in message and "dead letter" in message
    assert counts[0] == sum(counts[1:4]), message

    events = _events(prefect_server, run["id"])
    by_name: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_name.setdefault(event["event"], []).append(event)
    quarantined = by_name["newsflow.records.quarantined"]
    dead = by_name["newsflow.records.dead-lettered"]
    assert sum(e["payload"]["articles"] for e in quarantined) == counts[2]
    assert sum(e["payload"]["count"] for e in dead) == counts[3]
    assert {"malformed_json", "invalid_utf8"} <= {k for e in dead for k in e["payload"]["reasons"]}
    assert all(e["resource"]["prefect.resource.id"] == f"newsflow.topic.{topic}" for e in events)
    lag = by_name["newsflow.consumer.lag"]
    assert len(lag) >= 1 and all("partitions" in e["payload"] for e in lag)

    async def artifacts() -> dict[str, Any]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run["id"]])))
            return {a.key: a for a in found}

    with temporary_settings({PREFECT_API_URL: prefect_server}):
        by_key = asyncio.run(artifacts())
    assert {"newsflow-ingest-report", "newsflow-ingest-counts", "newsflow-consumer-lag",
            "newsflow-ingest-progress"} <= set(by_key)
    report = by_key["newsflow-ingest-report"].data
    docs = list((output / "data_docs").glob("*/index.html"))
    assert len(docs) == 1 and str(docs[0].resolve()) in report and "file://" not in report
    assert "## Validation (Great Expectations)" in report and "expectation checks" in report
    assert by_key["newsflow-ingest-progress"].data == 100.0

    # An idle streaming run: task runs only for batches with records, none per empty poll.
    stream = subprocess.Popen(ingest_command(broker, topic, output, batch_records=4, mode="stream"), cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        stream_run: dict[str, Any] | None = None
        while stream_run is None and time.monotonic() < deadline:
            running = [r for r in _flow_runs(prefect_server) if r["state"]["type"] == "RUNNING"]
            stream_run = running[0] if running else None
            time.sleep(1)
        assert stream_run is not None
        idle_s = 30
        time.sleep(idle_s)  # about 30 empty polls at a 1 s batch wait
        tasks = _task_runs(prefect_server, stream_run["id"])
        print(f"task runs of a streaming run idle for {idle_s} s: {len(tasks)}")
        assert tasks == []
        # Records arrive: the running stream shows its artifacts before it ends.
        produce(broker, topic, [seed_event_bytes, b"{not json"])
        live: dict[str, Any] = {}
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not {"newsflow-ingest-counts", "newsflow-ingest-progress"} <= set(live):
            live = {a["key"]: a for a in _post(prefect_server, "/artifacts/filter",
                                                {"artifacts": {"flow_run_id": {"any_": [stream_run["id"]]}}})}
            time.sleep(1)
        assert {"newsflow-ingest-counts", "newsflow-ingest-progress", "newsflow-consumer-lag"} <= set(live)
        assert _post(prefect_server, "/flow_runs/filter", {"flow_runs": {"id": {"any_": [stream_run["id"]]}}}
                     )[0]["state"]["type"] == "RUNNING"
        names = sorted(t["name"].rsplit("-", 1)[0] for t in _task_runs(prefect_server, stream_run["id"]))
        print(f"task runs of the stream after its first batch: {names}")
        assert set(names) <= STAGE_TASKS and "poll-batch" not in names
    finally:
        stream.send_signal(signal.SIGTERM)
        out, _ = stream.communicate(timeout=120)
    assert stream.returncode == 0, out[-3000:]

    ui = prefect_server.removesuffix("/api")
    browser.get(f"{ui}/runs/flow-run/{run['id']}")
    text = wait_for_text(browser, [run["name"], "Completed"])
    browser.save_screenshot(str(artifacts_dir / "prefect-monitoring-run.png"))
    assert run["name"] in text
    browser.get(f"{ui}/artifacts/artifact/{by_key['newsflow-ingest-report'].id}")
    text = wait_for_text(browser, ["Validation (Great Expectations)", "Quarantine reasons", "malformed_json"])
    browser.save_screenshot(str(artifacts_dir / "prefect-monitoring-report.png"))
    assert "malformed_json" in text and str(docs[0].resolve()) in text
