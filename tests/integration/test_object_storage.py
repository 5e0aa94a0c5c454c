"""The lake on object storage: S3 (moto's server mode, started here on a loopback port), with no
shared filesystem and no lock. A crash between the tables' commits and the offsets' commit, and a
zombie consumer, still leave every offset in exactly one place."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsflow.broker import free_port
from newsflow.lake import open_table, read_table
from tests.integration.kafka_helpers import assert_accounted, produce
from tests.integration.test_kafka_exactly_once import events, run_ingest
from tests.integration.test_zombie import run_zombie_scenario

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
SECRET = "not-a-real-secret-key-1234"


@pytest.fixture
def s3_lake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """An S3-compatible server with one bucket; yields s3://<bucket>/<prefix>. Credentials and
    endpoint are given as the usual AWS_* variables, as a user would (subprocesses inherit them)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=open(tmp_path / "moto.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "moto did not start"
                time.sleep(0.2)
        for key, value in {"AWS_ACCESS_KEY_ID": "newsflow-test", "AWS_SECRET_ACCESS_KEY": SECRET,
                           "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                           "NEWSFLOW_DOCS_DIR": str(tmp_path)}.items():
            monkeypatch.setenv(key, value)
        import boto3

        boto3.client("s3").create_bucket(Bucket="newsflow-lake")
        yield "s3://newsflow-lake/prod"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_crash_between_tables_and_offsets_on_s3(
    broker: str, prefect_api: str, s3_lake: str, seed_event_bytes: bytes
) -> None:
    topic = "news.s3crash"
    values = events(seed_event_bytes, copies=6)
    expected = produce(broker, topic, values)
    crashed = run_ingest(broker, topic, s3_lake, prefect_api, NEWSFLOW_FAULT_KILL_AFTER_LAND="2")
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    resumed = run_ingest(broker, topic, s3_lake, prefect_api)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert SECRET not in crashed.stdout + crashed.stderr + resumed.stdout + resumed.stderr
    assert_accounted(s3_lake, expected, len(values))
    table = open_table(s3_lake, "entities")
    assert table is not None and table.table_uri.startswith("s3://newsflow-lake/prod/entities")
    assert read_table(s3_lake, "entities", columns=["article_id"]).num_rows > 0
    assert not os.path.exists("s3:"), "the lake must not land in a local folder named after the URI"


def test_zombie_on_s3_lands_nothing_twice(broker: str, prefect_api: str, s3_lake: str, tmp_path: Path) -> None:
    run_zombie_scenario(broker, prefect_api, s3_lake, tmp_path, "STOP_AFTER_FENCE", "news.s3zombie")


def test_readers_and_maintenance_through_the_log_on_s3(s3_lake: str) -> None:
    import duckdb

    from newsflow.accounting import account
    from newsflow.lake import register_tables
    from newsflow.maintain import maintain
    from tests.unit.test_maintain import TODAY, _land_days

    total = _land_days(s3_lake)
    assert len(account(s3_lake).all_offsets) == total
    reports = {r.table: r for r in maintain(s3_lake, today=TODAY, vacuum_retention_hours=0)}
    assert (reports["dead_letters"].files_before, reports["dead_letters"].files_after) == (12, 6)
    assert len(account(s3_lake).all_offsets) == total
    con = register_tables(duckdb.connect(), s3_lake)
    assert con.execute("SELECT count(*) FROM dead_letters").fetchone() == (total,)


def test_a_new_version_replaces_the_earlier_one_on_s3(
    s3_lake: str, seed_event_bytes: bytes, validator  # type: ignore[no-untyped-def]
) -> None:
    """The replacement reads the earlier version's partition through delta-rs's store, and the
    overwrite commit keeps it in the history, on object storage as on a disk."""
    from newsflow.accounting import account
    from newsflow.pipeline import dedup_index_from, process_batch
    from newsflow.sink import land_batch
    from newsflow.source import Batch, records_from_values
    from tests.unit.test_identity import CONTENT_TABLES, _by_offset, _versions

    versions: dict[str, int] = {}
    for offset, value in enumerate(_versions(seed_event_bytes)):
        batch = Batch(records_from_values([value], topic="news", start_offset=offset))
        land_batch(s3_lake, process_batch(batch, dedup_index_from(s3_lake), validator).tables, batch)
        if offset == 0:
            versions = {name: open_table(s3_lake, name).version() for name in CONTENT_TABLES}  # type: ignore[union-attr]
    for name in CONTENT_TABLES:
        assert list(_by_offset(s3_lake, name)) == [1], name
        table = open_table(s3_lake, name)
        assert table is not None
        table.load_as_version(versions[name])
        assert set(table.to_pyarrow_table(columns=["kafka_offset"])["kafka_offset"].to_pylist()) == {0}, name
    result = account(s3_lake)
    assert result.doubled() == [] and result.missing({("news", 0): 2}) == []
    assert set(result.quarantined) == {("news", 0, 0)}
