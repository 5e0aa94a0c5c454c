"""Against the real embedded broker: crash between write and commit, accounting, dead letters."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from newsflow.accounting import account
from tests.integration.kafka_helpers import ROOT, assert_accounted, ingest_command, ingest_env, produce
from tests.unit.test_pipeline_accounting import mixed_events

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def events(seed_event_bytes: bytes, copies: int) -> list[bytes]:
    seed = json.loads(seed_event_bytes)
    variants = [
        json.dumps({**seed, "id": f"seed-{i}", "body": seed["body"].replace("Monday", f"Monday ({i})")}).encode()
        for i in range(copies)
    ]
    return mixed_events(seed_event_bytes) + variants


def run_ingest(bootstrap: str, topic: str, output: str | Path, api: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ingest_command(bootstrap, topic, output, batch_records=4), cwd=ROOT, env=ingest_env(api, 2, **env),
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
    landed_before_restart = account(output).all_offsets
    assert landed_before_restart  # batch 2 was committed to the tables, its offsets never to Kafka

    resumed = run_ingest(broker, topic, output, prefect_api)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    assert_accounted(output, expected, len(values))
    assert sum(account(output).dead_letters.values()) == 2


def test_flow_under_prefect_lands_reports_and_dead_letters(
    broker: str, prefect_api: str, tmp_path: Path, seed_event_bytes: bytes
) -> None:
    import asyncio

    from kafka import KafkaConsumer
    from prefect.client.orchestration import get_client

    from newsflow.flows.ingest import ingest

    topic = "news.flow"
    values = events(seed_event_bytes, copies=2)
    expected = produce(broker, topic, values)
    summary = ingest(mode="drain", bootstrap_servers=broker, topic=topic, output_dir=str(tmp_path),
                     batch_records=5)
    assert summary["records"] == len(values)
    assert_accounted(tmp_path, expected, len(values))

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


def test_a_committed_offset_ahead_of_the_lake_skips_nothing(
    broker: str, prefect_api: str, tmp_path: Path, seed_event_bytes: bytes
) -> None:
    """The group's committed offset moves past what this lake holds (a run of the same group
    landed elsewhere): the next run reads from the lake's position, not from the committed one."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    topic = "news.ahead"
    values = events(seed_event_bytes, copies=4)[:8]
    produce(broker, topic, values[:4], partitions=1)
    output = tmp_path / "out"
    first = run_ingest(broker, topic, output, prefect_api)
    assert first.returncode == 0, first.stderr[-3000:]
    expected = produce(broker, topic, values[4:], partitions=1)

    consumer = KafkaConsumer(bootstrap_servers=broker, group_id="newsflow-ingest", enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, 0)])
    consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(6, "", -1)})
    consumer.close()

    resumed = run_ingest(broker, topic, output, prefect_api)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "lake holds it only up to 3; reading it again" in resumed.stdout + resumed.stderr
    assert_accounted(output, expected, len(values))
