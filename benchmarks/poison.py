"""What each poison record of issue 15 costs, and what isolation costs on the normal path.

    python benchmarks/poison.py [--cpu-seconds 3] [--memory-mb 1536] [--workers 2] [--pages 40]

(1) Each poison record (tests/poison_records.py) in a batch between two good events, all stages in
memory (no Kafka, no Prefect) over `--workers` processes with the given bounds: wall seconds for
the batch, worker replacements, and the quarantine label and reason of the poison record.
(2) The normal path: the seed plus `--pages` eval pages in batches of 50, CPU seconds of the
worker processes and of this process (workers' CPU from /proc). Compare with the same script run
against an older checkout (PYTHONPATH) to see what isolation adds.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL_PAGES = ROOT.parent / "shared" / "eval" / "article-extraction" / "html"
POISON = ("over_nlp_limit", "many_short_sentences", "quotes_in_one_sentence", "open_parentheses")


def children_cpu_seconds() -> float:
    total = 0.0
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cpu-seconds", type=float, default=3.0)
    parser.add_argument("--memory-mb", type=int, default=1536)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pages", type=int, default=40)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    from newsflow.config import BatchLimits
    from newsflow.pipeline import process_batch
    from newsflow.replay import events_from_file
    from newsflow.source import Batch, MemorySource, records_from_values
    from newsflow.tasks.dedup import DedupIndex
    from newsflow.tasks.validate import default_validator
    from newsflow.tasks.workers import Bounds, pool, set_bounds
    from tests import poison_records

    set_bounds(Bounds(cpu_seconds=args.cpu_seconds, memory_bytes=args.memory_mb * 2**20))
    validator = default_validator()
    workers = pool(args.workers)
    workers.wait_ready()
    good = [poison_records.good_article(i) for i in range(2 * len(POISON) + 1)]
    process_batch(Batch(records_from_values(good[:2])), DedupIndex(), validator, workers=args.workers)

    print(f"(1) poison records, {args.workers} workers, CPU budget {args.cpu_seconds:g} s, "
          f"memory cap {args.memory_mb} MiB")
    for n, name in enumerate(POISON):
        values = [good[2 * n + 1], getattr(poison_records, name)(), good[2 * n + 2]]
        deaths = workers.deaths
        started = time.perf_counter()
        output = process_batch(Batch(records_from_values(values)), DedupIndex(), validator, workers=args.workers)
        seconds = time.perf_counter() - started
        rows = output.tables["quarantine"].to_pylist()
        verdict = "; ".join(f"{r['failed_expectations'][0]}: {r['reason'][:120]}" for r in rows) or "landed"
        print(f"    {name:<24} {seconds:6.1f} s  {output.tables['articles'].num_rows} good landed  "
              f"{workers.deaths - deaths} workers replaced  {verdict}")

    seed = next(events_from_file(ROOT / "seeds" / "000_5746d6ddd9dd780a.txt")).value
    pages = sorted(EVAL_PAGES.glob("*.html.gz"))[: args.pages]
    values = [seed] + [json.dumps({"id": f"page-{i}", "content_type": "text/html",
                                   "body": gzip.decompress(p.read_bytes()).decode("utf-8", "replace")}).encode()
                       for i, p in enumerate(pages)]
    source, index = MemorySource(records_from_values(values)), DedupIndex()
    here, there, started = time.process_time(), children_cpu_seconds(), time.perf_counter()
    while (batch := source.poll_batch(BatchLimits(max_records=50))).records:
        process_batch(batch, index, validator, workers=args.workers)
    print(f"(2) normal path, {len(values)} events: {time.perf_counter() - started:.1f} s wall, "
          f"workers CPU {children_cpu_seconds() - there:.2f} s, this process CPU {time.process_time() - here:.2f} s")


if __name__ == "__main__":
    main()
