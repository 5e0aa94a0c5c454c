"""Lake figures: start-up against synthetic histories, and a simulated streaming day before and
after `newsflow maintain` (files per table, DuckDB query time). Prints figures; asserts nothing.

    PYTHONPATH=. python benchmarks/lake.py --histories 1000 100000 1000000 --stream-batches 500

History articles are synthetic rows (fingerprints and short bodies) spread over a year of
ingest_date partitions, landed the way a long-running lake holds them after maintenance (one file
per day). Start-up is measured in a fresh process per history: checking the tables, resolving the
log's epoch and building the dedup index (what `newsflow ingest` does before its first poll).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
NOW = dt.datetime.now(dt.UTC)
DAY_MS = 86_400_000

STARTUP = """
import json, sys, time
def kib(key):  # this process's own figures (ru_maxrss would include the parent's, inherited at fork)
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
import deltalake  # noqa: F401
import pyarrow.dataset  # noqa: F401  (imports pandas: seconds, whatever the history)
import newsflow.flows.ingest  # noqa: F401  (what the flow imports before it reads anything)
from newsflow.pipeline import dedup_index_from
from newsflow.positions import prepare_sink
imported = kib("VmRSS:")
started, cpu_started = time.perf_counter(), time.process_time()
sink = prepare_sink(sys.argv[1], "newsflow-ingest", "news")
tables = time.perf_counter()
index = dedup_index_from(sys.argv[1], articles=sink.table("articles"))  # as the ingest flow does
done, cpu = time.perf_counter(), time.process_time() - cpu_started
print(json.dumps({"seconds": done - started, "cpu_seconds": cpu, "tables_seconds": tables - started,
                  "index_seconds": done - tables, "indexed": index.id_count, "rss_after_imports_mb": imported / 1024,
                  "peak_rss_mb": kib("VmHWM:") / 1024}))
"""


def synthetic_articles(count: int, days: int, start_offset: int = 0) -> pa.Table:
    from newsflow.schemas import to_table

    rows = []
    for i in range(count):
        ts = int(NOW.timestamp() * 1000) - (i % days) * DAY_MS
        rows.append({
            "article_id": f"a{start_offset + i:09d}", "ingested_at": NOW, "body_chars": 400, "word_count": 70,
            "body": f"Synthetic article {start_offset + i} " * 20, "content_hash": f"{start_offset + i:064x}",
            "simhash": (start_offset + i) * 2654435761 % (1 << 63), "kafka_timestamp": ts,
            "kafka_topic": "news", "kafka_partition": 0, "kafka_offset": start_offset + i, "pipeline_version": "bench",
        })
    return to_table("articles", rows)


def build_history(output: Path, count: int, days: int = 365, chunk: int = 200_000) -> None:
    """Land `count` articles over `days` days, chunk by chunk, one Delta commit per chunk."""
    from newsflow.sink import DeltaSink
    from newsflow.source import Batch, RawRecord

    sink = DeltaSink(output, "newsflow-ingest")
    for start in range(0, count, chunk):
        table = synthetic_articles(min(chunk, count - start), days, start)
        stamps = table["kafka_timestamp"].cast(pa.int64()).to_pylist()
        batch = Batch([RawRecord("news", 0, start + i, ts, None, b"") for i, ts in enumerate(stamps)])
        sink.land({"articles": table}, batch)


def measure_startup(output: Path) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", STARTUP, str(output)], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def streaming_day(output: Path, batches: int) -> None:
    """Land `batches` one-article batches into one (closed) day: what a slow stream leaves."""
    from newsflow.sink import DeltaSink
    from newsflow.source import Batch, RawRecord

    sink = DeltaSink(output, "newsflow-ingest")
    yesterday_ms = int((NOW - dt.timedelta(days=1)).timestamp() * 1000)
    for i in range(batches):
        table = synthetic_articles(1, 1, i)
        table = table.set_column(table.schema.get_field_index("kafka_timestamp"), "kafka_timestamp",
                                 pa.array([yesterday_ms], pa.timestamp("ms", tz="UTC")))
        sink.land({"articles": table}, Batch([RawRecord("news", 0, i, yesterday_ms, None, b"")]))


def duckdb_seconds(output: Path, repeat: int = 5) -> tuple[float, float]:
    """Best of `repeat`: registering the views (reads the logs), and one aggregate query."""
    import duckdb

    from newsflow.lake import register_tables

    best_register = best_query = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        con = register_tables(duckdb.connect(), output)
        registered = time.perf_counter()
        con.execute("SELECT count(*), count(DISTINCT article_id), avg(word_count) FROM articles").fetchall()
        best_register = min(best_register, registered - started)
        best_query = min(best_query, time.perf_counter() - registered)
    return best_register, best_query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--histories", type=int, nargs="*", default=[1000, 100_000, 1_000_000])
    parser.add_argument("--stream-batches", type=int, default=500, help="0: no streaming day")
    parser.add_argument("--repeat", type=int, default=3, help="start-ups per history (the fastest is shown)")
    args = parser.parse_args()

    from newsflow.lake import open_table
    from newsflow.maintain import files_per_day, maintain

    with tempfile.TemporaryDirectory() as folder:
        print("start-up (check tables, resolve epoch, dedup index of the last 30 days) by history size:")
        for count in args.histories:
            output = Path(folder) / f"history-{count}"
            started = time.perf_counter()
            build_history(output, count)
            built = time.perf_counter() - started
            figures = min((measure_startup(output) for _ in range(args.repeat)), key=lambda f: f["seconds"])
            print(f"  {count:>9} articles (built in {built:5.1f} s): start-up {figures['seconds']:.2f} s "
                  f"({figures['cpu_seconds']:.2f} s CPU) "
                  f"(tables {figures['tables_seconds']:.2f} s, dedup index {figures['index_seconds']:.2f} s, "
                  f"{figures['indexed']} ids), peak RSS {figures['peak_rss_mb']:.0f} MB "
                  f"({figures['rss_after_imports_mb']:.0f} MB after imports)")

        if not args.stream_batches:
            return
        output = Path(folder) / "stream"
        started = time.perf_counter()
        streaming_day(output, args.stream_batches)
        landed = time.perf_counter() - started
        table = open_table(output, "articles")
        assert table is not None
        before_files = sum(files_per_day(table).values())
        before_query = duckdb_seconds(output)
        started = time.perf_counter()
        reports = maintain(output, vacuum_retention_hours=0)
        took = time.perf_counter() - started
        table.update_incremental()
        after_files = sum(files_per_day(table).values())
        after_query = duckdb_seconds(output)
        print(f"\nstreaming day: {args.stream_batches} one-article batches landed in {landed:.1f} s "
              f"({landed / args.stream_batches * 1000:.0f} ms per batch, 8 table commits each)")
        print(f"  articles files: {before_files} before maintain, {after_files} after "
              f"(maintain took {took:.1f} s for {len(reports)} tables)")
        print(f"  DuckDB aggregate over the articles view: {before_query[1] * 1000:.0f} ms before, "
              f"{after_query[1] * 1000:.0f} ms after (registering the 8 views: {before_query[0] * 1000:.0f} ms "
              f"before, {after_query[0] * 1000:.0f} ms after)")
        log_files = len(list((output / 'articles' / '_delta_log').glob('*.json')))
        print(f"  articles log: {log_files} commit files, checkpoint at version {table.version()}")


if __name__ == "__main__":
    main()
