"""Faults against the real embedded broker: random SIGKILLs, a paused broker, a consumer leaving."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from newsflow.accounting import account
from newsflow.broker import EmbeddedBroker, ensure_topics
from tests.integration.kafka_helpers import ROOT, assert_accounted, ingest_command, ingest_env, produce
from tests.poison_records import good_article

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def article(i: int) -> bytes:
    """A short, unique English article (cheap to parse, never a near-duplicate of another)."""
    return good_article(i, id_prefix="art")


def ingest_process(bootstrap: str, topic: str, output: Path, api: str, *, mode: str = "drain",
                   log: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        ingest_command(bootstrap, topic, output, batch_records=5, mode=mode), cwd=ROOT, env=ingest_env(api, 1),
        stdout=open(log, "ab") if log else subprocess.DEVNULL, stderr=subprocess.STDOUT,  # noqa: SIM115
    )


def test_random_sigkills_while_events_flow(broker: str, prefect_api: str, tmp_path: Path) -> None:
    topic, output, log = "news.kills", tmp_path / "out", tmp_path / "ingest.log"
    values = [article(i) for i in range(200)] + [b"{bad", b"\xff"]
    expected: dict[tuple[str, int], int] = {}

    def producer() -> None:  # events keep arriving while the consumer is being killed
        for start in range(0, len(values), 20):
            for key, end in produce(broker, topic, values[start : start + 20]).items():
                expected[key] = max(expected.get(key, 0), end)
            time.sleep(1.5)

    ensure_topics(broker, {topic: 3, f"{topic}.dlq": 1})  # ingest refuses a topic that does not exist yet
    feeder = threading.Thread(target=producer)
    feeder.start()
    rng = random.Random(20211206)
    kills = 0
    for _ in range(20):
        process = ingest_process(broker, topic, output, prefect_api, mode="stream", log=log)
        time.sleep(rng.uniform(4.0, 14.0))  # start-up takes ~6 s, so some die early, most mid-batch
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    feeder.join()
    final = ingest_process(broker, topic, output, prefect_api, log=log)
    assert final.wait(timeout=600) == 0, log.read_text()[-3000:]
    assert kills == 20
    assert_accounted(output, expected, len(values))


def test_broker_paused_for_30_seconds(prefect_api: str, tmp_path: Path) -> None:
    topic, output, log = "news.pause", tmp_path / "out", tmp_path / "ingest.log"
    with EmbeddedBroker() as broker:
        values = [article(i) for i in range(60)]
        expected = produce(broker.bootstrap_servers, topic, values)
        process = ingest_process(broker.bootstrap_servers, topic, output, prefect_api, log=log)
        deadline = time.monotonic() + 120
        while not account(output).all_offsets and time.monotonic() < deadline:
            time.sleep(0.2)
        assert broker.process is not None
        broker.process.send_signal(signal.SIGSTOP)
        time.sleep(30)
        broker.process.send_signal(signal.SIGCONT)
        assert process.wait(timeout=600) == 0, log.read_text()[-3000:]
        leftover = ingest_process(broker.bootstrap_servers, topic, output, prefect_api, log=log)
        assert leftover.wait(timeout=600) == 0  # nothing should be left, but a drain must not lose it either
    assert_accounted(output, expected, len(values))


def test_consumer_leaving_mid_batch_rebalances_without_loss(broker: str, prefect_api: str, tmp_path: Path) -> None:
    topic, output, log = "news.rebalance", tmp_path / "out", tmp_path / "ingest.log"
    values = [article(i) for i in range(120)]
    expected = produce(broker, topic, values, partitions=4)
    staying = ingest_process(broker, topic, output, prefect_api, log=log)
    leaving = ingest_process(broker, topic, output, prefect_api, log=log)
    time.sleep(15)  # both have joined the group and are working through batches
    leaving.send_signal(signal.SIGKILL)
    leaving.wait()
    assert staying.wait(timeout=600) == 0, log.read_text()[-3000:]
    assert_accounted(output, expected, len(values))
