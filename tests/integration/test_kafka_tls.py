"""Replay and ingest over TLS with a client certificate; the key's password never shows up anywhere."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from newsflow.accounting import account
from newsflow.broker import EmbeddedBroker, free_port
from tests.integration.kafka_helpers import ROOT, assert_accounted, ingest_command, ingest_env
from tests.integration.tls import TlsFront, make_certificates

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _prefect_text_of_latest_run() -> str:
    """Parameters, logs and artifacts of the newest flow run, as one string."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        LogFilter,
        LogFilterFlowRunId,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    async def collect() -> str:
        async with get_client() as client:
            run = (await client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1))[0]
            logs = await client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id])))
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id])))
            assert logs and artifacts, "the run left no logs or artifacts to check"
            return "\n".join([json.dumps(run.parameters), *(log.message for log in logs),
                              *(json.dumps(a.data) for a in artifacts)])

    return asyncio.run(collect())


def test_replay_and_ingest_over_tls_with_client_certificate(
    prefect_api: str, tmp_path: Path, seed_event_bytes: bytes
) -> None:
    from kafka import KafkaConsumer
    from kafka.errors import KafkaError

    password = f"key-pass-{secrets.token_hex(8)}"
    certs = make_certificates(tmp_path / "certs", password)
    tls_port = free_port()
    topic = "news.tls"
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    lines = [seed_event_bytes.decode(), '{"id": "broken", "body": ']  # the second line is a dead letter
    (seeds / "feed.jsonl").write_text("\n".join(lines) + "\n")
    output = tmp_path / "out"
    tls_env = {
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CAFILE": str(certs.ca),
        "KAFKA_SSL_CERTFILE": str(certs.client_cert),
        "KAFKA_SSL_KEYFILE": str(certs.client_key),
        "KAFKA_SSL_PASSWORD": password,
    }
    bootstrap = f"127.0.0.1:{tls_port}"

    with EmbeddedBroker(advertised_port=tls_port) as broker, TlsFront(tls_port, broker.port, certs) as front:
        replay = subprocess.run(
            [sys.executable, "-m", "newsflow.cli", "--kafka-debug", "replay", str(seeds), "--topic", topic,
             "--bootstrap-servers", bootstrap, "--partitions", "1", "--no-progress"],
            cwd=ROOT, env=ingest_env(prefect_api, 2, **tls_env), capture_output=True, text=True, timeout=120,
        )
        assert replay.returncode == 0, replay.stderr[-2000:]
        # --kafka-debug: kafka-python logs client configurations (with the password) at DEBUG.
        ingest_debug = ingest_command(bootstrap, topic, output, batch_records=10)
        ingest_debug.insert(3, "--kafka-debug")
        ingest = subprocess.run(ingest_debug, cwd=ROOT, env=ingest_env(prefect_api, 2, **tls_env),
                                capture_output=True, text=True, timeout=300)
        assert ingest.returncode == 0, ingest.stderr[-3000:]
        tls_connections = front.handshakes

        # The listener speaks only TLS: a plaintext client cannot even bootstrap.
        with pytest.raises(KafkaError):
            KafkaConsumer(bootstrap_servers=bootstrap, api_version_auto_timeout_ms=3000)

    assert tls_connections >= 3  # replay, the ingest consumer and the dead-letter producer
    assert_accounted(output, {(topic, 0): len(lines)}, len(lines))
    assert len(account(output).dead_letters) == 1
    # The debug logs did run, configurations and all.
    assert "Starting KafkaAdminClient with configuration" in replay.stderr
    assert "DEBUG kafka." in ingest.stderr

    printed = replay.stdout + replay.stderr + ingest.stdout + ingest.stderr
    assert password not in printed
    assert password not in _prefect_text_of_latest_run()
    for path in output.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
