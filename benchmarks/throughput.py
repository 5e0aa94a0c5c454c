"""Throughput of the pipeline against bare NLP and raw Kafka consumption, in one run.

    python benchmarks/throughput.py [--articles N] [--batch 50]

Corpus: the seed plus the benchmark HTML pages (if ../shared/eval is present), repeated with
varied ids and a varied sentence so that none is a duplicate. Prints articles/s for
(1) bare spaCy nlp.pipe on the same cleaned texts, (2) the pipeline stages without Kafka,
(3) end to end Kafka -> Parquet through the Prefect flow, (4) raw kafka-python consumption,
their ratios, and peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval" / "article-extraction" / "html"


def corpus(n: int) -> list[bytes]:
    seed = (ROOT / "seeds" / "000_5746d6ddd9dd780a.txt").read_text(encoding="utf-8")
    bases = [("text/plain", seed)]
    if EVAL.exists():
        bases += [("text/html", gzip.decompress(p.read_bytes()).decode("utf-8", "replace"))
                  for p in sorted(EVAL.glob("*.html.gz"))]
    events = []
    for i in range(n):
        content_type, body = bases[i % len(bases)]
        marker = f"Benchmark copy {i} was filed at desk number {i * 7919 % 10007} for review."
        body = body.replace("</body>", f"<p>{marker}</p></body>") if content_type == "text/html" else f"{body}\n\n{marker}"
        events.append(json.dumps({"id": f"bench-{i:06d}", "body": body, "content_type": content_type,
                                  "published_at": "2021-12-06", "source": "bench"}).encode())
    return events


def peak_rss_mb() -> tuple[float, float]:
    """Peak RSS of this process and of the largest child (NLP workers, ingest subprocess)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def streaming_latency(bootstrap: str, values: list[bytes], rate: float, processes: int) -> list[float]:
    """Seconds from produce (record timestamp) to the Parquet rename, per article, in stream mode."""
    import subprocess
    import sys

    from kafka import KafkaProducer

    from newsflow.broker import ensure_topics

    topic = "bench.stream"
    ensure_topics(bootstrap, {topic: 2, f"{topic}.dlq": 1})
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "NEWSFLOW_BATCH_WAIT_S": "0.5", "NEWSFLOW_NLP_PROCESSES": str(processes)}
        env.pop("PREFECT_API_URL", None)
        ingest = subprocess.Popen(
            [sys.executable, "-m", "newsflow.cli", "ingest", "--mode", "stream", "--bootstrap-servers", bootstrap,
             "--topic", topic, "--output", out, "--batch-records", "20"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=16 << 20, linger_ms=0)
        warm_up_id = json.loads(values[0])["id"]
        producer.send(topic, values[0]).get(timeout=30)  # warm-up: wait until the consumer lands it
        deadline = time.monotonic() + 180
        while not list(Path(out).glob("articles/*/*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.2)
        started = time.monotonic()
        for i, value in enumerate(values[1:]):
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
            producer.send(topic, value)
        producer.flush()
        time.sleep(15)  # let the last batches land
        ingest.terminate()
        ingest.wait(timeout=120)
        latencies = []
        for path in Path(out).glob("articles/*/*.parquet"):
            landed_at = path.stat().st_mtime  # the rename that made the file visible
            for row in pq.read_table(path, columns=["article_id", "kafka_timestamp"]).to_pylist():
                if row["article_id"] != warm_up_id:
                    latencies.append(landed_at - row["kafka_timestamp"].timestamp())
        return sorted(latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--processes", type=int, default=1, help="spaCy processes, for both (1) and the pipeline")
    parser.add_argument("--stream-events", type=int, default=40, help="events for the streaming latency run")
    parser.add_argument("--stream-rate", type=float, default=2.0, help="events/s produced in the latency run")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ["NEWSFLOW_NLP_PROCESSES"] = str(args.processes)

    from newsflow.broker import EmbeddedBroker, ensure_topics
    from newsflow.config import BatchLimits
    from newsflow.events import decode_batch
    from newsflow.pipeline import process_batch
    from newsflow.source import MemorySource, records_from_values
    from tasks.clean import clean_batch
    from tasks.dedup import DedupIndex
    from tasks.nlp import load_nlp, parse
    from tasks.validate import default_validator

    values = corpus(args.articles)
    print(f"corpus: {len(values)} events, {sum(map(len, values)) / 1e6:.1f} MB, {os.cpu_count()} cores")
    load_nlp()
    validator = default_validator()

    # (1) Bare NLP on exactly the texts the pipeline analyses.
    events, _ = decode_batch(records_from_values(values))
    texts = [a.body or "" for a in clean_batch(events, DedupIndex(), 2_000_000) if a.analysable]
    started = time.perf_counter()
    parse(texts, n_process=args.processes)
    bare = len(values) / (time.perf_counter() - started)

    # (2) All stages, no Kafka, no Prefect.
    source = MemorySource(records_from_values(values))
    index = DedupIndex()
    started = time.perf_counter()
    while (batch := source.poll_batch(BatchLimits(max_records=args.batch))).records:
        process_batch(batch, index, validator, n_process=args.processes)
    stages = len(values) / (time.perf_counter() - started)

    # (3) End to end through Kafka and the Prefect flow, and (4) raw consumption.
    from kafka import KafkaConsumer, KafkaProducer

    from flows.ingest import ingest

    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as out:
        topic = "bench.articles"
        ensure_topics(broker.bootstrap_servers, {topic: 2, f"{topic}.dlq": 1})
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, max_request_size=16 << 20)
        for v in values:
            producer.send(topic, v)
        producer.flush()
        producer.close()
        consumer = KafkaConsumer(topic, bootstrap_servers=broker.bootstrap_servers, auto_offset_reset="earliest",
                                 group_id=None, consumer_timeout_ms=3000,
                                 max_partition_fetch_bytes=16 << 20, fetch_max_bytes=64 << 20)
        started, count = time.perf_counter(), 0
        for _ in consumer:
            count += 1
            if count == len(values):
                break
        raw = count / (time.perf_counter() - started)
        consumer.close()
        summary = ingest(mode="drain", bootstrap_servers=broker.bootstrap_servers, topic=topic,
                         output_dir=out, batch_records=args.batch)
        # Active time: first non-empty poll to last commit (no group join, no final idle poll).
        end_to_end = summary["records"] / summary["active_seconds"]
        latencies = streaming_latency(broker.bootstrap_servers, values[: args.stream_events + 1],
                                      args.stream_rate, args.processes)

    # All rates are per event of the corpus, so they compare: bare NLP parses only the texts the
    # pipeline would parse (duplicates, non-English and empty pages are not), over all events.
    print(f"{'measure':<48} {'events/s':>9}")
    print(f"{'(1) bare spaCy nlp.pipe on the analysable texts':<48} {bare:>9.2f}")
    print(f"{'(2) all stages in memory (clean..GX)':<48} {stages:>9.2f}")
    print(f"{'(3) end to end Kafka -> Parquet (Prefect flow)':<48} {end_to_end:>9.2f}")
    print(f"{'(4) raw kafka-python consume':<48} {raw:>9.2f}")
    print(f"ratio (2)/(1): {stages / bare:.2f}   ratio (3)/(1): {end_to_end / bare:.2f}")
    if latencies:
        p50 = latencies[len(latencies) // 2]
        p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        print(f"(5) streaming latency produce -> Parquet at {args.stream_rate}/s over {len(latencies)} events: "
              f"p50 {p50:.2f} s, p95 {p95:.2f} s")
    own, child = peak_rss_mb()
    print(f"analysable texts: {len(texts)} of {len(values)}; peak RSS: {own:.0f} MB here, {child:.0f} MB largest child")


if __name__ == "__main__":
    main()
