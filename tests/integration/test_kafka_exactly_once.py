"""Against the real embedded broker: crash between write and commit, accounting, dead letters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsflow.accounting import account
from newsflow.broker import ensure_topics
from tests.unit.test_pipeline_accounting import mixed_events

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def produce(bootstrap: str, topic: str, values: list[bytes], partitions: int = 3) -> dict[tuple[str, int], int]:
    """Send values round-robin over partitions; returns the expected end offset per partition."""
    from kafka import KafkaProducer

    ensure_topics(bootstrap, {topic: partitions, f"{topic}.dlq": 1})
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=16 * 1024 * 1024)
    futures = [producer.send(topic, value=v, partition=i % partitions) for i, v in enumerate(values)]
    producer.flush()
    ends: dict[tuple[str, int], int] = {}
    for future in futures:
        meta = future.get(timeout=30)
        key = (meta.topic, meta.partition)
        ends[key] = max(ends.get(key, 0), meta.offset + 1)
    producer.close()
    return ends


def events(seed_event_bytes: bytes, copies: int) -> list[bytes]:
    seed = json.loads(seed_event_bytes)
    variants = [
        json.dumps({**seed, "id": f"seed-{i}", "body": seed["body"].replace("Monday", f"Monday ({i})")}).encode()
        for i in range(copies)
    ]
    return mixed_events(seed_event_bytes) + variants


def run_ingest(bootstrap: str, topic: str, output: Path, api: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", "ingest", "--bootstrap-servers", bootstrap,
         "--topic", topic, "--output", str(output), "--batch-records", "4"],
        cwd=ROOT, env={**os.environ, "PREFECT_API_URL": api, "NEWSFLOW_BATCH_WAIT_S": "2", **env},
        capture_output=True, text=True, timeout=600,
    )


def test_sigkill_between_write_and_commit_loses_and_doubles_nothing(
    broker: str, prefect_api: str, tmp_path: Path, seed_event_bytes: bytes
) -> None:
    topic = "news.crash"
    values = events(seed_event_bytes, copies=6)
    expected = produce(broker, topic, values)
    output = tmp_path / "out"

    crashed = run_ingest(broker, topic, output, prefect_api, NEWSFLOW_FAULT_KILL_AFTER_LAND="2")
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    landed_before_restart = len(list(output.rglob("*.parquet")))
    assert landed_before_restart > 0  # batch 2 was written, its offsets never committed

    resumed = run_ingest(broker, topic, output, prefect_api)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    result = account(output)
    assert result.doubled() == []
    assert result.missing(expected) == []
    assert len(result.all_offsets) == len(values)
    assert sum(result.dead_letters.values()) == 2


def test_flow_under_prefect_lands_reports_and_dead_letters(
    broker: str, prefect_api: str, tmp_path: Path, seed_event_bytes: bytes
) -> None:
    import asyncio

    from kafka import KafkaConsumer
    from prefect.client.orchestration import get_client

    from flows.ingest import ingest

    topic = "news.flow"
    values = events(seed_event_bytes, copies=2)
    expected = produce(broker, topic, values)
    summary = ingest(mode="drain", bootstrap_servers=broker, topic=topic, output_dir=str(tmp_path),
                     batch_records=5)
    assert summary["records"] == len(values)
    result = account(tmp_path)
    assert result.doubled() == [] and result.missing(expected) == []

    # The dead-letter topic holds the original bytes with the error in headers.
    consumer = KafkaConsumer(f"{topic}.dlq", bootstrap_servers=broker, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000, group_id=None)
    dead = list(consumer)
    consumer.close()
    assert sorted(m.value for m in dead) == sorted([b"{this is not json", b"\xff\xfe invalid utf-8"])
    headers = dict(dead[0].headers)
    assert headers["newsflow.error.kind"] in (b"malformed_json", b"invalid_utf8")
    assert headers["newsflow.source.topic"] == topic.encode()

    async def artifacts() -> dict[str, object]:
        async with get_client() as client:
            found = await client.read_latest_artifacts()
            return {a.key: a for a in found}

    by_key = asyncio.run(artifacts())
    assert "newsflow-ingest-counts" in by_key and "newsflow-ingest-report" in by_key
    assert "Quarantine reasons" in str(by_key["newsflow-ingest-report"].data)
