"""A consumer paused past its session (a zombie) must not land anything the new owner landed.

Consumer A reads a batch and is SIGSTOPped (by its own fault hook) before landing it, either before
or after asking the group coordinator whether it still owns its partitions. Its session expires,
consumer B takes every partition and lands the whole backlog in bigger batches, covering A's
offsets. Then A is resumed. It either learns it is fenced, or (past the fence) finds every table's
Delta log already holding its partitions' offsets and writes nothing. The race where A commits
between B reading and B committing is refused by delta-rs (tests/unit/test_sink.py).
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.kafka_helpers import ROOT, assert_accounted, ingest_command, ingest_env, produce
from tests.integration.test_faults import article

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _wait_until_stopped(process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while _state(process.pid) != "T":
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the consumer never reached its fault point\n" + log.read_text()[-3000:]
        time.sleep(0.2)


def _consumer(bootstrap: str, topic: str, output: str | Path, api: str, log: Path, batch: int,
              **fault: str) -> subprocess.Popen:
    return subprocess.Popen(
        ingest_command(bootstrap, topic, output, batch_records=batch), cwd=ROOT, env=ingest_env(api, 1, **fault),
        stdout=open(log, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )


def run_zombie_scenario(broker: str, api: str, output: str | Path, logs: Path, fault: str, topic: str) -> None:
    """A consumer stopped at `fault` of its first batch while a second one lands the backlog; then
    it is resumed. Every offset must end in exactly one place."""
    values = [article(i) for i in range(40)]
    expected = produce(broker, topic, values, partitions=2)
    zombie_log, owner_log = logs / "zombie.log", logs / "owner.log"

    zombie = _consumer(broker, topic, output, api, zombie_log, 5, **{f"NEWSFLOW_FAULT_{fault}": "1"})
    try:
        _wait_until_stopped(zombie, zombie_log)
        owner = _consumer(broker, topic, output, api, owner_log, 200)
        # The owner takes every partition once the zombie's session has expired and lands the
        # whole backlog while the zombie stays stopped (no lock to wait for).
        assert owner.wait(timeout=300) == 0, owner_log.read_text()[-3000:]
        assert_accounted(output, expected, len(values))
        zombie.send_signal(signal.SIGCONT)
        assert zombie.wait(timeout=300) == 0, zombie_log.read_text()[-3000:]
    finally:
        if zombie.poll() is None:
            zombie.send_signal(signal.SIGCONT)
            zombie.kill()

    assert_accounted(output, expected, len(values))
    zombie_said = zombie_log.read_text()
    if fault == "STOP_BEFORE_LAND":
        assert "its partitions were given to another consumer" in zombie_said, zombie_said[-3000:]
    else:
        # Past the fence it lands anyway: every table's log already holds its offsets (the owner's
        # app transactions), so it writes no row, and Kafka refuses its offset commit.
        assert "landed but not committed" in zombie_said, zombie_said[-3000:]


@pytest.mark.parametrize("fault", ["STOP_BEFORE_LAND", "STOP_AFTER_FENCE"])
def test_paused_consumer_lands_nothing_over_the_new_owner(
    broker: str, prefect_api: str, tmp_path: Path, fault: str
) -> None:
    run_zombie_scenario(broker, prefect_api, tmp_path / "out", tmp_path, fault, f"news.zombie.{fault.lower()}")
