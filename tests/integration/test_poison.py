"""Issue 15's hostile records, each between good events, through the real broker and `newsflow
ingest`: the good events land, the bad record lands in quarantine or the dead letters with its
reason, the run exits 0, a second run does nothing, every offset is accounted for; and a stop
signal to the whole process group ends a streaming run cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from newsflow.broker import ensure_topics
from newsflow.lake import read_table
from tests.integration.kafka_helpers import ROOT, assert_accounted, ingest_command, ingest_env, produce
from tests.poison_records import (
    good_article,
    many_short_sentences,
    open_parentheses,
    over_nlp_limit,
    quotes_in_one_sentence,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

YEAR_10000_MS = 253_402_300_800_000 + 86_400_000  # 10000-01-02T00:00Z
# Small bounds so each poison record is judged in seconds (defaults: 60 s, 1536 MiB).
BOUNDS = {"NEWSFLOW_RECORD_CPU_S": "2", "NEWSFLOW_WORKER_MEMORY_MB": "1536", "NEWSFLOW_WORKERS": "2"}


class NotUtf8(str):
    """A header key that kafka-python's producer writes as bytes that are not UTF-8 (any
    non-Java client can send such a key; kafka-python's consumer then raises inside poll)."""

    def encode(self, *args: object, **kwargs: object) -> bytes:  # type: ignore[override]
        return b"\xff\xfekey"


def produce_raw(bootstrap: str, topic: str, sends: list[dict]) -> dict[tuple[str, int], int]:
    """Send records with their own timestamps, headers or null values, in order, to partition 0."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=16 * 1024 * 1024)
    ends: dict[tuple[str, int], int] = {}
    for send in sends:
        meta = producer.send(topic, partition=0, **send).get(timeout=30)
        ends[(meta.topic, meta.partition)] = max(ends.get((meta.topic, meta.partition), 0), meta.offset + 1)
    producer.close()
    return ends


def run(bootstrap: str, topic: str, output: Path, api: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ingest_command(bootstrap, topic, output, batch_records=4), cwd=ROOT,
        env=ingest_env(api, 1, **BOUNDS), capture_output=True, text=True, timeout=900,
    )


def test_each_poison_record_costs_itself(broker: str, prefect_api: str, tmp_path: Path) -> None:
    topic, output = "news.poison", tmp_path / "out"
    ensure_topics(broker, {topic: 1, f"{topic}.dlq": 1})
    poison = {
        "poison-long": over_nlp_limit(),
        "poison-sentences": many_short_sentences(),
        "poison-quotes": quotes_in_one_sentence(),
        "poison-parens": open_parentheses(),
    }
    sends: list[dict] = [{"value": good_article(0)}]
    for n, value in enumerate(poison.values(), start=1):
        sends += [{"value": value}, {"value": good_article(n)}]
    sends += [
        {"value": good_article(10), "timestamp_ms": YEAR_10000_MS},  # year 10000: lands, no ingest_date
        {"value": good_article(11)},
        {"value": None, "key": b"tombstone"},  # a null value
        {"value": good_article(12)},
        {"value": good_article(13), "headers": [(NotUtf8("k"), b"v")]},  # unreadable by the client
        {"value": good_article(14)},
    ]
    expected = produce_raw(broker, topic, sends)
    offsets = {i: i for i in range(len(sends))}  # one partition: the n-th send is offset n

    started = time.monotonic()
    first = run(broker, topic, output, prefect_api)
    seconds = time.monotonic() - started
    assert first.returncode == 0, first.stderr[-4000:]
    print(f"first run: {seconds:.0f} s for {len(sends)} records")

    assert_accounted(output, expected, len(sends))
    articles = set(read_table(output, "articles")["article_id"].to_pylist())
    assert articles == {f"good-{i:05d}" for i in [0, 1, 2, 3, 4, 10, 11, 12, 14]}

    quarantine = read_table(output, "quarantine")
    quarantine = quarantine.filter(pc.equal(quarantine["table_name"], "articles"))
    labels = {row["article_id"]: row["failed_expectations"][0] for row in quarantine.to_pylist()}
    reasons = {row["article_id"]: row["reason"] for row in quarantine.to_pylist()}
    assert labels == {
        "poison-long": "extract:text_too_long",
        "poison-sentences": "extract:cpu_budget",
        "poison-quotes": "extract:cpu_budget",
        "poison-parens": "extract:cpu_budget",
    }, reasons
    assert "over the NLP limit of 1,000,000" in reasons["poison-long"]
    assert "CPU budget of 2 s" in reasons["poison-quotes"] or "twice" in reasons["poison-quotes"]

    dead = {row["kafka_offset"]: row for row in read_table(output, "dead_letters").to_pylist()}
    assert dead[offsets[11]]["error_kind"] == "no_value"
    assert dead[offsets[13]]["error_kind"] == "unreadable_record"
    assert "CorruptRecordError" in dead[offsets[13]]["error"]
    assert set(dead) == {offsets[11], offsets[13]}
    # The year-10000 record is an ordinary article (landing derives every record's date
    # partition: that raised before); a time past year 9999 is not kept in the tables (readers
    # and Python's datetime cannot hold it), the record stays traceable by its offset.
    landed = read_table(output, "articles")
    stamps = dict(zip(landed["article_id"].to_pylist(),
                      pc.cast(landed["kafka_timestamp"], pa.int64()).to_pylist(), strict=True))
    assert stamps["good-00010"] is None
    dates = dict(zip(landed["article_id"].to_pylist(), landed["ingest_date"].to_pylist(), strict=True))
    assert dates["good-00010"] is None and dates["good-00000"] is not None

    files = sorted((p, p.stat().st_mtime_ns) for p in output.rglob("*.parquet"))
    second = run(broker, topic, output, prefect_api)
    assert second.returncode == 0, second.stderr[-4000:]
    assert sorted((p, p.stat().st_mtime_ns) for p in output.rglob("*.parquet")) == files
    assert "'records': 0" in second.stdout + second.stderr


def test_a_batch_slower_than_the_poll_interval_keeps_its_membership(
    broker: str, prefect_api: str, tmp_path: Path
) -> None:
    """A record that takes longer than the consumer's max poll interval (8 s here) but stays
    within its CPU budget: the flow polls with its partitions paused while the batch works, so the
    member is not evicted, the batch lands the first time and nothing is read twice."""
    topic, output = "news.slow", tmp_path / "out"
    values = [good_article(0), quotes_in_one_sentence(), good_article(1)]  # about 11 s of CPU
    expected = produce(broker, topic, values, partitions=1)
    env = ingest_env(prefect_api, 1, NEWSFLOW_MAX_POLL_INTERVAL_MS="8000", NEWSFLOW_RECORD_CPU_S="60",
                     NEWSFLOW_WORKERS="2")
    result = subprocess.run(ingest_command(broker, topic, output, batch_records=10), cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "'redone_batches': 0" in result.stdout + result.stderr
    assert_accounted(output, expected, len(values))
    assert "poison-quotes" in read_table(output, "articles")["article_id"].to_pylist()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(("mode", "signum"), [("stream", signal.SIGINT), ("drain", signal.SIGTERM)])
def test_stop_signal_to_the_process_group_ends_ingest_cleanly(
    broker: str, prefect_api: str, tmp_path: Path, mode: str, signum: int
) -> None:
    """Ctrl-C (SIGINT) and systemd's stop (SIGTERM) reach every process of the group: the flow,
    its workers and its temporary Prefect API (no PREFECT_API_URL here). The run ends within
    30 s with exit 0 and leaves no process behind; what it landed is committed, the rest is read
    again by the next run."""
    topic, output, log = "news.stop", tmp_path / "out", tmp_path / "ingest.log"
    values = [good_article(i) for i in range(60)]
    expected = produce(broker, topic, values)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"NEWSFLOW_BATCH_WAIT_S": "1", "NEWSFLOW_WORKERS": "2"})
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            ingest_command(broker, topic, output, batch_records=3, mode=mode), cwd=ROOT, env=env,
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 240
        while not list((output / "articles").rglob("*.parquet")) and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()[-3000:]
            time.sleep(0.2)
        os.killpg(process.pid, signum)
        stopped = time.monotonic()
        code = process.wait(timeout=60)
        took = time.monotonic() - stopped
    assert code == 0, log.read_text()[-3000:]
    assert took < 30, f"took {took:.1f} s to stop"
    print(f"{signal.Signals(signum).name}: stopped in {took:.1f} s")
    for _ in range(50):  # the workers and the API server are stopped by the flow's process
        if not _group_alive(process.pid):
            break
        time.sleep(0.1)
    assert not _group_alive(process.pid), "processes of the ingest's group outlived it"

    # Whatever the stop left unlanded is read again: a drain finishes it, nothing doubled.
    drain = subprocess.run(ingest_command(broker, topic, output, batch_records=10), cwd=ROOT,
                           env=ingest_env(prefect_api, 1), capture_output=True, text=True, timeout=600)
    assert drain.returncode == 0, drain.stderr[-3000:]
    assert_accounted(output, expected, len(values))
