"""Helpers shared by the tests that run against the embedded broker."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from newsflow.accounting import account
from newsflow.broker import ensure_topics
from newsflow.lake import read_table

ROOT = Path(__file__).resolve().parents[2]


def produce(bootstrap: str, topic: str, values: list[bytes], partitions: int = 3) -> dict[tuple[str, int], int]:
    """Send values round-robin over partitions; returns the expected end offset per partition.

    (Tansu's ListOffsets under-reports the log end, so tests count on the producer's acks.)"""
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


def ingest_command(bootstrap: str, topic: str, output: str | Path, *, batch_records: int,
                   mode: str = "drain") -> list[str]:
    """`newsflow ingest` through this interpreter (the venv's bin/ may not be on PATH)."""
    return [sys.executable, "-m", "newsflow.cli", "ingest", "--bootstrap-servers", bootstrap, "--topic", topic,
            "--output", str(output), "--batch-records", str(batch_records), "--mode", mode]


def ingest_env(prefect_api: str, batch_wait_s: float, **extra: str) -> dict[str, str]:
    return {**os.environ, "PREFECT_API_URL": prefect_api, "NEWSFLOW_BATCH_WAIT_S": str(batch_wait_s), **extra}


def assert_accounted(output: str | Path, expected: dict[tuple[str, int], int], total: int) -> None:
    """Every produced offset landed in exactly one place, and no article id landed twice."""
    result = account(output)
    doubled, missing = result.doubled(), result.missing(expected)
    assert doubled == [], f"landed twice: {doubled}"
    assert missing == [], f"landed nowhere: {missing}"
    assert len(result.all_offsets) == total
    ids = read_table(output, "articles", columns=["article_id"])["article_id"].to_pylist()
    assert len(ids) == len(set(ids)), "an article id landed twice"
