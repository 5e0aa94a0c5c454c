"""Throughput of the pipeline against bare NLP and raw Kafka consumption, in one run.

    python benchmarks/throughput.py [--articles N] [--batch 50] [--rounds 3]

Corpus: the seed plus the benchmark HTML pages (if ../shared/eval is present), repeated with
varied ids and a varied sentence (beyond the number of pages, copies are near-duplicates and
skip NLP, so ratios use at most that many). Prints events/s for (1) bare spaCy nlp.pipe (the
model as shipped) on the same cleaned texts, spread over the same worker processes, (1b) the same
parse as newsflow runs it (its array-based rule components give the same tokens for less CPU,
so (3)/(1b) is the share of the pipeline's time left to NLP), (2) the pipeline stages without Kafka
or Prefect, (3) end to end Kafka -> Parquet through the Prefect flow, (4) raw kafka-python
consumption, and their ratios; (1)-(3) run in interleaved rounds and the figures are medians
with their range, because a shared machine's speed drifts by tens of % within minutes. Then
(5) streaming latency, (6) peak memory of `newsflow ingest` draining backlogs of different
sizes, (7) CPU per event by stage, and what lies beyond newsflow's own parse and beyond bare
parsing, with each parse's CPU over the pipeline's (about the best (2)/(1) with no core ever
waiting), (8) the same in one process with the parse timed inside the extract stage (no
difference of two passes, so far less noise: the figure to read for "CPU beyond parsing"),
(9) each worker's RSS once warmed up and its peak over the run, and peak RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow.parquet as pq

from newsflow.config import BatchLimits, default_workers

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


def proc_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, fields of /proc/<pid>/stat after the command name) of every running process; the
    fields are numbered from 0 = state, so 1 = parent pid, 11/12 = user/system ticks, 21 = RSS."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            yield int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the ingest and its workers), in MB."""
    parents: dict[int, int] = {}
    rss_pages: dict[int, int] = {}
    for child, fields in proc_stats():
        parents[child], rss_pages[child] = int(fields[1]), int(fields[21])
    tree, grew = {pid}, True
    while grew:
        found = {c for c, p in parents.items() if p in tree} - tree
        tree |= found
        grew = bool(found)
    return sum(rss_pages.get(p, 0) for p in tree) * os.sysconf("SC_PAGE_SIZE") / 2**20


def ingest_peak_rss(bootstrap: str, values: list[bytes], topic: str, batch: int) -> tuple[float, float]:
    """Drain a backlog of `values` with `newsflow ingest` in a subprocess; (peak tree RSS MB, seconds)."""
    import subprocess
    import sys

    from kafka import KafkaProducer

    from newsflow.broker import ensure_topics

    ensure_topics(bootstrap, {topic: 2, f"{topic}.dlq": 1})
    producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=16 << 20)
    for value in values:
        producer.send(topic, value)
    producer.flush()
    producer.close()
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "NEWSFLOW_BATCH_WAIT_S": "1"}
        env.pop("PREFECT_API_URL", None)
        started = time.monotonic()
        ingest = subprocess.Popen(
            [sys.executable, "-m", "newsflow.cli", "ingest", "--bootstrap-servers", bootstrap, "--topic", topic,
             "--output", out, "--batch-records", str(batch)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        peak = 0.0
        while ingest.poll() is None:
            peak = max(peak, tree_rss_mb(ingest.pid))
            time.sleep(0.25)
        return peak, time.monotonic() - started


def _is_pool_worker(pid: int, fields: list[str]) -> bool:
    """Whether a process is one of this process's worker processes (the pool), not the broker
    or Prefect's server."""
    if int(fields[1]) != os.getpid():
        return False
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False  # exited meanwhile


def pool_workers() -> list[int]:
    """Pids of this process's worker processes."""
    return [pid for pid, fields in proc_stats() if _is_pool_worker(pid, fields)]


def worker_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's worker processes, in one walk
    of /proc (it runs between the stages of the passes it measures)."""
    ticks = sum(int(fields[11]) + int(fields[12]) for pid, fields in proc_stats() if _is_pool_worker(pid, fields))
    return ticks / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int, field: str) -> float | None:
    """A /proc/<pid>/status memory field (VmRSS: resident now, VmHWM: peak resident) in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass  # exited meanwhile
    return None


BARE_PARSE = "bare parse (1)"  # the budget's first entry, before the pipeline's stages
OWN_PARSE = "newsflow's parse (1b)"  # its second: the parse as the pipeline runs it
PARSES = (BARE_PARSE, OWN_PARSE)
PARSE_HERE = "parse"  # (8): the CPU of parse() inside the extract stage, in this process


class CpuBudget:
    """CPU seconds per stage, in the workers and in this process, from snapshots between stages."""

    def __init__(self) -> None:
        self.seconds: dict[str, tuple[float, float]] = {}
        self._last = (worker_cpu_seconds(), time.process_time())

    def stage_done(self, name: str) -> None:
        now = (worker_cpu_seconds(), time.process_time())
        workers, here = self.seconds.get(name, (0.0, 0.0))
        self.seconds[name] = (workers + now[0] - self._last[0], here + now[1] - self._last[1])
        self._last = now


def landed_events(out: Path) -> int:
    """Events accounted for so far: landed articles plus quarantined articles (through the log)."""
    from newsflow.accounting import check_offsets

    result = check_offsets(out, 0)
    return result.articles + result.quarantined


def commit_times(table_dir: Path) -> dict[str, float]:
    """Each data file the articles log added, with the time its commit made it visible (the
    commit file's mtime): files on disk that no commit names are not rows of the table."""
    added: dict[str, float] = {}
    for commit in sorted((table_dir / "_delta_log").glob("*.json")):
        for line in commit.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                added[unquote(action["add"]["path"])] = commit.stat().st_mtime
    return added


def streaming_latency(bootstrap: str, values: list[bytes], rate: float, processes: int) -> list[float]:
    """Seconds from produce (record timestamp) to the Delta commit that made the row visible, per
    article, in stream mode."""
    import subprocess
    import sys

    from kafka import KafkaProducer

    from newsflow.broker import ensure_topics

    topic = "bench.stream"
    ensure_topics(bootstrap, {topic: 2, f"{topic}.dlq": 1})
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "NEWSFLOW_BATCH_WAIT_S": "0.5", "NEWSFLOW_WORKERS": str(processes)}
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
        while landed_events(Path(out)) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        started = time.monotonic()
        for i, value in enumerate(values[1:]):
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
            producer.send(topic, value)
        producer.flush()
        deadline = time.monotonic() + 120
        while landed_events(Path(out)) < len(values) and time.monotonic() < deadline:
            time.sleep(0.5)  # until every event has landed (or two minutes have passed)
        ingest.terminate()
        ingest.wait(timeout=120)
        latencies = []
        for name, landed_at in commit_times(Path(out) / "articles").items():
            for row in pq.read_table(Path(out) / "articles" / name, columns=["article_id", "kafka_timestamp"]).to_pylist():
                if row["article_id"] != warm_up_id:
                    latencies.append(landed_at - row["kafka_timestamp"].timestamp())
        return sorted(latencies)


def print_budget(budgets: list[CpuBudget], events: int, processes: int) -> None:
    """CPU per corpus event by stage, in the workers and in this process, as the median over the
    rounds, and bare parsing's CPU over the pipeline's (workers + this process): about the best
    (2)/(1) with every core busy all the time. An estimate, not a bound: (1)'s own wall time
    includes cores idling at its end, so a round's (2)/(1) can come out above. What lies beyond
    parsing is a few tens of ms beside a parse of a few hundred that varies by 10% between passes
    on a busy machine, so it is taken per round (the pipeline's pass minus the bare parse just
    before it) and its median and range printed."""
    def ms(seconds: float) -> float:
        return 1000 * seconds / events

    print(f"(7) CPU per event, in-memory passes ({processes} workers; median of {len(budgets)}):")
    parses = {name: [sum(b.seconds[name]) for b in budgets] for name in PARSES}
    for name in PARSES:
        print(f"    {name:<28} {ms(median(parses[name])):7.1f} ms")
    totals = [sum(w + h for name, (w, h) in b.seconds.items() if name not in PARSES) for b in budgets]
    for name in (n for n in budgets[0].seconds if n not in PARSES):
        workers = median([b.seconds[name][0] for b in budgets])
        here = median([b.seconds[name][1] for b in budgets])
        print(f"    {name:<28} {ms(workers + here):7.1f} ms  (workers {ms(workers):.1f}, flow process {ms(here):.1f})")
    print(f"    {'pipeline total':<28} {ms(median(totals)):7.1f} ms")
    for name, what in ((OWN_PARSE, "newsflow's own parse (1b): the work that is not parsing"),
                       (BARE_PARSE, "bare parse (1)")):
        beyond = [ms(total - parse) for total, parse in zip(totals, parses[name], strict=True)]
        shares = [parse / total for total, parse in zip(totals, parses[name], strict=True)]
        print(f"    beyond {what}: {median(beyond):.1f} ms (per round {min(beyond):.1f}-{max(beyond):.1f}), "
              f"{100 * median(beyond) / ms(median(parses[name])):.1f}% of that parse; CPU ratio parse/pipeline "
              f"{median(shares):.2f}")


def print_budget_here(budgets: list[CpuBudget], events: int) -> None:
    """(8): CPU per corpus event of a pass in this process alone, the parse timed inside extract."""
    def ms(seconds: float) -> float:
        return 1000 * median(seconds) / events

    parse = [b.seconds[PARSE_HERE][1] for b in budgets]
    stages = [n for n in budgets[0].seconds if n != PARSE_HERE]
    beyond = [sum(h for n, (_, h) in b.seconds.items() if n != PARSE_HERE) - b.seconds[PARSE_HERE][1]
              for b in budgets]
    parts = []
    for name in stages:
        spent = [b.seconds[name][1] - (b.seconds[PARSE_HERE][1] if name == "extract" else 0.0) for b in budgets]
        parts.append(f"{name}{' without its parse' if name == 'extract' else ''} {ms(spent):.1f}")
    print(f"(8) CPU per event in one process, no workers (median of {len(budgets)}): parse {ms(parse):.1f} ms, "
          f"timed inside extract; beyond parsing {ms(beyond):.1f} ms (per round "
          f"{1000 * min(beyond) / events:.1f}-{1000 * max(beyond) / events:.1f}): {', '.join(parts)}")


def print_worker_memory(memory: dict[int, tuple[float | None, float | None]]) -> None:
    """(9): each worker's resident memory once warmed up (models, gazetteer and lexicons loaded,
    a few texts parsed) and its peak over every pass of the run."""
    grown = [(warm, peak) for warm, peak in memory.values() if warm is not None and peak is not None]
    if not grown:
        return
    rows = ", ".join(f"{warm:.0f} -> {peak:.0f} MB (+{peak - warm:.0f})" for warm, peak in grown)
    print(f"(9) worker RSS, warmed up -> peak over the run: {rows}; largest growth "
          f"{max(peak - warm for warm, peak in grown):.0f} MB")


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}" if len(values) > 1 else ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--batch", type=int, default=BatchLimits.max_records, help="records per batch (the flow's default)")
    parser.add_argument("--processes", type=int, default=default_workers(),
                        help="worker processes, for both bare NLP (1) and the pipeline (default: NEWSFLOW_WORKERS' default)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of (1), (2) and (3), interleaved; figures are medians (shared machines "
                             "drift); 0 skips them")
    parser.add_argument("--stream-events", type=int, default=40, help="events for the streaming latency run (0 skips)")
    parser.add_argument("--stream-rate", type=float, default=2.0, help="events/s produced in the latency run")
    parser.add_argument("--backlogs", default="480,960",
                        help="backlog sizes (events) drained by `newsflow ingest` to compare peak memory, each "
                             "several full batches; '' skips")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ["NEWSFLOW_WORKERS"] = str(args.processes)

    from kafka import KafkaConsumer, KafkaProducer

    from newsflow.broker import EmbeddedBroker, ensure_topics
    from newsflow.events import decode_batch
    from newsflow.flows.ingest import ingest
    from newsflow.pipeline import process_batch
    from newsflow.source import MemorySource, records_from_values
    from newsflow.tasks.clean import clean_batch
    from newsflow.tasks.dedup import DedupIndex
    from newsflow.tasks.nlp import count_tokens, count_tokens_as_parsed, load_nlp
    from newsflow.tasks.validate import default_validator
    from newsflow.tasks.workers import map_in_workers

    values = corpus(args.articles)
    print(f"corpus: {len(values)} events, {sum(map(len, values)) / 1e6:.1f} MB, {os.cpu_count()} cores, "
          f"{args.processes} worker processes, batches of {args.batch}, {args.rounds} rounds")
    load_nlp()
    validator = default_validator()
    events, _ = decode_batch(records_from_values(values))
    texts = [a.body or "" for a in clean_batch(events, DedupIndex(), 2_000_000) if a.analysable]
    # Warm-up on real texts, untimed: a worker's first long documents grow its memory pools, and
    # the stock model (the yardstick) loads in each worker beside newsflow's.
    for count in (count_tokens, count_tokens_as_parsed):
        if args.processes >= 1:  # worker processes (0 = this process)
            map_in_workers(count, [t for i in range(args.processes * 2) for t in texts[i::args.processes * 2][:3]],
                           args.processes)
        else:
            count(texts[:3])

    warm_rss = {pid: memory_mb(pid, "VmRSS") for pid in pool_workers()}
    # (8) runs in this process: warmed up as a worker is (gazetteer, lexicons, memory pools).
    warm = MemorySource(records_from_values(values[:12]))
    process_batch(warm.poll_batch(BatchLimits(max_records=12)), DedupIndex(), validator, workers=0)

    def bare_nlp(count: Callable[[list[str]], list[int]] = count_tokens) -> float:
        """(1) Bare NLP (the model as shipped) on exactly the texts the pipeline analyses; no docs
        travel back. (1b) with count_tokens_as_parsed: the same with newsflow's own pipeline."""
        started = time.perf_counter()
        map_in_workers(count, texts, args.processes)
        return len(values) / (time.perf_counter() - started)

    def pass_in_memory(source: MemorySource, index: DedupIndex,
                       stage_done: Callable[[str], None] | None = None) -> None:
        """Every batch of the corpus through all stages, no Kafka, no Prefect."""
        while (batch := source.poll_batch(BatchLimits(max_records=args.batch))).records:
            process_batch(batch, index, validator, workers=args.processes, stage_done=stage_done)

    def stages_in_memory() -> float:
        """(2) All stages, no Kafka, no Prefect."""
        source = MemorySource(records_from_values(values))
        index = DedupIndex()
        started = time.perf_counter()
        pass_in_memory(source, index)
        return len(values) / (time.perf_counter() - started)

    def cpu_budget() -> CpuBudget:
        """(7) Where the CPU goes: bare parsing, then an in-memory pass with a snapshot per stage.
        Measured CPU, not wall time, so the machine's drift matters less than for rates."""
        budget = CpuBudget()
        map_in_workers(count_tokens, texts, args.processes)
        budget.stage_done(BARE_PARSE)
        map_in_workers(count_tokens_as_parsed, texts, args.processes)
        budget.stage_done(OWN_PARSE)
        pass_in_memory(MemorySource(records_from_values(values)), DedupIndex(), budget.stage_done)
        return budget

    def budget_here() -> CpuBudget:
        """(8) An in-memory pass in this process alone (no workers), with the parse timed inside
        the extract stage it belongs to: what lies beyond parsing without subtracting two passes
        that ran minutes apart, which on a shared machine differ by more than that figure."""
        from newsflow.tasks import nlp

        budget, real_parse = CpuBudget(), nlp.parse
        parsing = 0.0

        def timed_parse(texts: list[str]) -> list[Any]:
            nonlocal parsing
            started = time.process_time()
            try:
                return real_parse(texts)
            finally:
                parsing += time.process_time() - started

        nlp.parse = timed_parse  # extract_texts imports it at each call
        try:
            source, index = MemorySource(records_from_values(values)), DedupIndex()
            while (batch := source.poll_batch(BatchLimits(max_records=args.batch))).records:
                process_batch(batch, index, validator, workers=0, stage_done=budget.stage_done)
        finally:
            nlp.parse = real_parse
        budget.seconds[PARSE_HERE] = (0.0, parsing)
        return budget

    bare: list[float] = []
    own_parse: list[float] = []
    stages: list[float] = []
    end_to_end: list[float] = []
    budgets: list[CpuBudget] = []
    budgets_here: list[CpuBudget] = []
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as out:
        topic = "bench.articles"
        ensure_topics(broker.bootstrap_servers, {topic: 2, f"{topic}.dlq": 1})
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, max_request_size=16 << 20)
        for v in values:
            producer.send(topic, v)
        producer.flush()
        producer.close()
        # (4) Raw consumption of the same messages.
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
        for round_number in range(1, args.rounds + 1):
            bare.append(bare_nlp())
            own_parse.append(bare_nlp(count_tokens_as_parsed))
            stages.append(stages_in_memory())
            # (3) End to end through Kafka and the Prefect flow: each round is a new consumer group
            # (reading from the start) and a new output folder. Active time: first non-empty poll
            # to last commit (no group join, no final idle poll).
            summary = ingest(mode="drain", bootstrap_servers=broker.bootstrap_servers, topic=topic,
                             group_id=f"bench-{round_number}", output_dir=f"{out}/round{round_number}",
                             batch_records=args.batch)
            end_to_end.append(summary["records"] / summary["active_seconds"])
            print(f"round {round_number}: bare {bare[-1]:.2f}, newsflow's parse {own_parse[-1]:.2f}, "
                  f"in memory {stages[-1]:.2f}, "
                  f"end to end {end_to_end[-1]:.2f} events/s")
            budgets.append(cpu_budget())
            budgets_here.append(budget_here())
        latencies = streaming_latency(broker.bootstrap_servers, values[: args.stream_events + 1],
                                      args.stream_rate, args.processes) if args.stream_events else []
        worker_memory = {pid: (warm, memory_mb(pid, "VmHWM")) for pid, warm in warm_rss.items()}
        memory = [(n, *ingest_peak_rss(broker.bootstrap_servers, corpus(n), f"bench.backlog{n}", args.batch))
                  for n in (int(x) for x in args.backlogs.split(",") if x)]

    # All rates are per event of the corpus, so they compare: bare NLP parses only the texts the
    # pipeline would parse (duplicates, non-English and empty pages are not), over all events.
    ratios_stages = [s / b for s, b in zip(stages, bare, strict=True)]
    ratios_e2e = [e / b for e, b in zip(end_to_end, bare, strict=True)]
    ratios_own = [e / b for e, b in zip(end_to_end, own_parse, strict=True)]
    print(f"{'measure (median of rounds)':<48} {'events/s':>9} {'range':>12}")
    if bare:
        print(f"{'(1) bare spaCy nlp.pipe on the analysable texts':<48} {median(bare):>9.2f} {spread(bare):>12}")
        print(f"{'(1b) the same, parsed as newsflow parses':<48} {median(own_parse):>9.2f} {spread(own_parse):>12}")
        print(f"{'(2) all stages in memory (clean..GX)':<48} {median(stages):>9.2f} {spread(stages):>12}")
        print(f"{'(3) end to end Kafka -> Parquet (Prefect flow)':<48} {median(end_to_end):>9.2f} "
              f"{spread(end_to_end):>12}")
    print(f"{'(4) raw kafka-python consume':<48} {raw:>9.2f}")
    if bare:
        print(f"ratio (2)/(1): {median(ratios_stages):.2f} {spread(ratios_stages)}   "
              f"ratio (3)/(1): {median(ratios_e2e):.2f} {spread(ratios_e2e)}   "
              f"ratio (3)/(1b): {median(ratios_own):.2f} {spread(ratios_own)}  (median of per-round ratios)")
    if latencies:
        p50 = latencies[len(latencies) // 2]
        p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        print(f"(5) streaming latency produce -> Parquet at {args.stream_rate}/s over {len(latencies)} events: "
              f"p50 {p50:.2f} s, p95 {p95:.2f} s")
    for n, peak, seconds in memory:
        print(f"(6) drain a backlog of {n} events with `newsflow ingest` (batch {args.batch}): "
              f"peak RSS {peak:.0f} MB (process + workers), {seconds:.0f} s")
    if budgets:
        print_budget(budgets, len(values), args.processes)
        print_budget_here(budgets_here, len(values))
    print_worker_memory(worker_memory)
    own, child = peak_rss_mb()
    print(f"analysable texts: {len(texts)} of {len(values)}; peak RSS: {own:.0f} MB here, {child:.0f} MB largest child")


if __name__ == "__main__":
    main()
