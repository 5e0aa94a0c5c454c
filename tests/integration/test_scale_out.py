"""Three ingest processes in one consumer group over six partitions write the same tables at once;
one is SIGKILLed mid-run. Every offset ends in exactly one place, locally and on S3."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.kafka_helpers import ROOT, assert_accounted, ingest_command, ingest_env, produce
from tests.integration.test_faults import article
from tests.integration.test_object_storage import s3_lake  # noqa: F401  (fixture)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _three_consumers_one_killed(broker: str, api: str, output: str | Path, logs: Path, topic: str) -> None:
    values = [article(i) for i in range(150)]
    expected = produce(broker, topic, values, partitions=6)
    log = logs / "ingest.log"
    processes = [
        subprocess.Popen(ingest_command(broker, topic, output, batch_records=5), cwd=ROOT, env=ingest_env(api, 1),
                         stdout=open(log, "ab"), stderr=subprocess.STDOUT)  # noqa: SIM115
        for _ in range(3)
    ]
    time.sleep(25)  # all three joined and landing
    processes[1].send_signal(signal.SIGKILL)
    for i in (0, 2):
        assert processes[i].wait(timeout=600) == 0, log.read_text()[-3000:]
    processes[1].wait()
    assert_accounted(output, expected, len(values))


def test_three_consumers_over_six_partitions_one_killed(broker: str, prefect_api: str, tmp_path: Path) -> None:
    _three_consumers_one_killed(broker, prefect_api, tmp_path / "out", tmp_path, "news.scale")


def test_three_consumers_over_six_partitions_one_killed_on_s3(
    broker: str, prefect_api: str, s3_lake: str, tmp_path: Path  # noqa: F811
) -> None:
    _three_consumers_one_killed(broker, prefect_api, s3_lake, tmp_path, "news.scale.s3")
