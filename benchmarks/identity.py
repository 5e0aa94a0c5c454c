"""What a correction costs to land: the sink's time for a one-article batch that is a new article
(a plain append in every table) against one that is a new version of a landed article (the
earlier version checked in the articles table, then one overwrite-with-predicate commit per
content table). Prints figures; asserts nothing.

    PYTHONPATH=. python benchmarks/identity.py --articles 20

Each article is the seed article under its own id; its correction adds a paragraph. The NLP
stages run once per batch outside the timing; only `DeltaSink.land` is timed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORRECTION = "\n\nCorrection: an earlier version misstated the venue; the call was held in Paris."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20)
    args = parser.parse_args()

    from newsflow.pipeline import dedup_index_from, process_batch
    from newsflow.replay import events_from_file
    from newsflow.sink import REPLACEMENTS, DeltaSink
    from newsflow.source import Batch, records_from_values
    from newsflow.tasks.validate import default_validator

    seed = json.loads(next(events_from_file(ROOT / "seeds" / "000_5746d6ddd9dd780a.txt")).value)
    validator = default_validator()
    with tempfile.TemporaryDirectory() as output:
        sink, offset = DeltaSink(Path(output), "bench"), 0
        timings: dict[str, list[float]] = {"new article": [], "new version": []}
        for n in range(args.articles):
            event = {**seed, "id": f"article-{n}"}
            versions = [event, {**event, "body": event["body"] + CORRECTION}]
            for kind, version in zip(timings, versions, strict=True):
                batch = Batch(records_from_values([json.dumps(version).encode()], topic="news", start_offset=offset))
                offset += 1
                tables = process_batch(batch, dedup_index_from(output), validator).tables
                if (tables[REPLACEMENTS].num_rows == 1) != (kind == "new version"):
                    raise SystemExit(f"batch {offset - 1} was not a {kind}: the measurement would be wrong")
                started = time.perf_counter()
                sink.land(tables, batch)
                timings[kind].append(time.perf_counter() - started)
        for kind, values in timings.items():
            ms = sorted(v * 1000 for v in values)
            print(f"{kind}: land median {statistics.median(ms):.0f} ms, "
                  f"p90 {ms[int(0.9 * (len(ms) - 1))]:.0f} ms over {len(ms)} batches "
                  f"(history up to {2 * args.articles} articles)")


if __name__ == "__main__":
    main()
