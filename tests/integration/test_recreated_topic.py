"""The log ingest resumes must be the log it landed from; a partition without a committed offset
resumes where the lake stands."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from newsflow.accounting import account
from newsflow.broker import EmbeddedBroker
from newsflow.lake import epochs_landed, read_table
from tests.integration.kafka_helpers import ROOT, assert_accounted, ingest_command, ingest_env, produce
from tests.integration.test_faults import article

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _ingest(bootstrap: str, topic: str, output: Path, api: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(ingest_command(bootstrap, topic, output, batch_records=10) + list(extra), cwd=ROOT,
                          env=ingest_env(api, 1), capture_output=True, text=True, timeout=600)


def test_a_restarted_broker_with_a_longer_log_stops_ingest_until_told_to_continue(
    prefect_api: str, tmp_path: Path
) -> None:
    topic, output = "news.restarted", tmp_path / "out"
    with EmbeddedBroker() as first:
        old = produce(first.bootstrap_servers, topic, [article(i) for i in range(6)], partitions=2)
        assert _ingest(first.bootstrap_servers, topic, output, prefect_api).returncode == 0
    assert_accounted(output, old, 6)

    # The broker comes back without its data, and more (other) events than before are sent.
    with EmbeddedBroker() as second:
        new = produce(second.bootstrap_servers, topic, [article(100 + i) for i in range(10)], partitions=2)
        refused = _ingest(second.bootstrap_servers, topic, output, prefect_api)
        assert refused.returncode == 2, refused.stderr[-3000:]
        assert "is not the log the tables" in refused.stderr and "--new-epoch" in refused.stderr
        assert epochs_landed(output) == [0]  # nothing read, nothing written
        assert_accounted(output, old, 6)

        resumed = _ingest(second.bootstrap_servers, topic, output, prefect_api, "--new-epoch")
        assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert epochs_landed(output) == [0, 1]
    assert_accounted(output, new, 10)  # the latest epoch: every new offset once
    old_epoch = account(output, epoch=0)
    assert old_epoch.doubled() == [] and old_epoch.missing(old) == [] and len(old_epoch.all_offsets) == 6
    ids = read_table(output, "articles", columns=["article_id"])["article_id"].to_pylist()
    assert sorted(ids) == sorted([f"art-{i:05d}" for i in range(6)] + [f"art-{100 + i:05d}" for i in range(10)])


def test_a_partition_without_committed_offsets_resumes_where_the_lake_stands(
    broker: str, prefect_api: str, tmp_path: Path
) -> None:
    from kafka import KafkaAdminClient

    topic, output = "news.expired", tmp_path / "out"
    produce(broker, topic, [article(i) for i in range(8)], partitions=2)
    assert _ingest(broker, topic, output, prefect_api).returncode == 0
    # The group's offsets are gone (expired after a long pause, or the group was deleted).
    admin = KafkaAdminClient(bootstrap_servers=broker)
    admin.delete_groups(["newsflow-ingest"])
    admin.close()
    expected = produce(broker, topic, [article(i) for i in range(8, 12)], partitions=2)
    resumed = _ingest(broker, topic, output, prefect_api)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    said = resumed.stdout + resumed.stderr
    assert "partition 0 has no committed offset: resuming at 4, where the lake stands" in said, said[-3000:]
    assert_accounted(output, expected, 12)
